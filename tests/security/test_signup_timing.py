"""The sign-up page's time tells nothing about the address: the request path does the same work
whoever it belongs to, and what differs (the pending subscription, the consent record, the
confirmation mail) happens after the page has gone.

The attack: a new address took 24 ms to sign up, a known or suppressed one 7-10 ms (the new one
was written and committed before the answer); one request told them apart 78% of the time. The
figures are in tests/bench/bench_signup_timing.py; here the structure is asserted, not the time:
the SQL each request runs before its answer is sent, recorded from the app's engine.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine, event, select
from starlette.applications import Starlette
from starlette.types import Message, Receive, Scope, Send

from digest import db, pipeline
from digest.config import Settings
from digest.web import create_app
from subscribers.membership import add_subscriber, ensure_list
from subscribers.models import Subscriber, Subscription
from subscribers.suppression import suppress
from tests.servers import FixtureSMTPServer
from tests.web.conftest import NOW, LiveApp, rt, serving, tcp_socket  # noqa: F401
from tests.web.readers.conftest import (  # noqa: F401
    clock,
    delivery_overrides,
    list_overrides,
    reader_overrides,
    settings,
)
from tests.web.readers.rig import MovableClock, csrf_of, mails_to, wait_for_mails

# One address of each kind the sign-up form can meet.
KINDS = {
    "new": "new.reader@example.net",
    "unsubscribed": "left@example.net",
    "pending": "pending@example.net",
    "confirmed": "reader@example.org",  # the list's demo reader
    "suppressed": "bounced@example.net",
    "blocked": "blocked@example.net",
}


@dataclass
class Recorder:
    """The app, recording for each request the SQL its engine ran before the answer went out,
    and letting the test wait until the request's work after the answer is done too."""

    app: Starlette
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Event = field(default_factory=threading.Event)
    answering: bool = False
    before_answer: list[str] = field(default_factory=list)
    after_answer: list[str] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self.lock:
            self.answering = True
            self.before_answer, self.after_answer = [], []
            self.done.clear()

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.body" and not message.get("more_body"):
                with self.lock:
                    self.answering = False
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.done.set()

    def note(self, statement: str) -> None:
        with self.lock:
            (self.before_answer if self.answering else self.after_answer).append(statement)

    def listen(self, engine: Engine) -> None:
        def executed(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            self.note(" ".join(statement.split()))

        def committed(_conn: Any) -> None:
            self.note("COMMIT")

        event.listen(engine, "before_cursor_execute", executed)
        event.listen(engine, "commit", committed)


@pytest.fixture
def app_socket() -> Iterator[socket.socket]:
    with tcp_socket() as sock:
        yield sock


@pytest.fixture
def recorded(
    settings: Settings,  # noqa: F811
    rt: pipeline.Runtime,  # noqa: F811
    app_socket: socket.socket,
    clock: MovableClock,  # noqa: F811
) -> Iterator[tuple[LiveApp, Recorder]]:
    web = create_app(settings, clock=clock)
    recorder = Recorder(web)
    with serving(recorder, app_socket) as live:  # type: ignore[arg-type]
        recorder.listen(web.state.web.rt.engine)
        yield live, recorder


def known_addresses(rt: pipeline.Runtime) -> None:  # noqa: F811
    """Every kind of address but the new one, stored as that kind."""
    with db.transaction(rt.sessions) as session:
        weekly, _ = ensure_list(session, "weekly", "The Weekly")
        left, _ = add_subscriber(session, weekly, KINDS["unsubscribed"], name=None, now=NOW)
        left.status, left.unsubscribed_at = "unsubscribed", NOW
        # Its confirmation mail went out a moment ago: the window holds the next one back.
        pending, _ = add_subscriber(
            session, weekly, KINDS["pending"], name=None, now=NOW, confirmed=False
        )
        pending.confirmation_sent_at = NOW
        blocked, _ = add_subscriber(session, weekly, KINDS["blocked"], name=None, now=NOW)
        blocked.subscriber.status = "blocked"
        suppress(session, KINDS["suppressed"], "hard_bounce", NOW)


def sign_up(live: LiveApp, recorder: Recorder, email: str) -> tuple[httpx.Response, list[str]]:
    """Sign email up for weekly; the SQL run before the answer, once all the work is done."""
    http = live.client()
    token = csrf_of(http.get("/subscribe").text)
    assert recorder.done.wait(10)
    answer = http.post(
        "/subscribe",
        data={"csrf_token": token, "email": email, "lists": "weekly", "website": ""},
    )
    assert recorder.done.wait(10), "the sign-up's work after the answer never ended"
    return answer, list(recorder.before_answer)


def status_of(rt: pipeline.Runtime, email: str) -> str | None:  # noqa: F811
    with rt.sessions() as session:
        return session.scalar(
            select(Subscription.status).join(Subscriber).where(Subscriber.email == email)
        )


def test_the_request_path_runs_the_same_sql_for_every_kind_of_address(
    recorded: tuple[LiveApp, Recorder],
    rt: pipeline.Runtime,  # noqa: F811
    smtp_server: FixtureSMTPServer,
) -> None:
    live, recorder = recorded
    known_addresses(rt)

    seen = {kind: sign_up(live, recorder, email) for kind, email in KINDS.items()}

    assert {kind: answer.status_code for kind, (answer, _) in seen.items()} == dict.fromkeys(
        KINDS, 200
    )
    assert len({answer.text for answer, _ in seen.values()}) == 1
    paths = {kind: sql for kind, (_, sql) in seen.items()}
    assert all(paths.values()), "no SQL recorded: the recorder is not on the app's engine"
    differing = {kind: sql for kind, sql in paths.items() if sql != paths["new"]}
    assert differing == {}, f"other SQL than a new address's {paths['new']}"
    writes = [s for s in paths["new"] if s.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert writes == [], "the request path writes before it answers"
    # The work was done all the same, after the answer: it did not pass by doing nothing.
    wait_for_mails(smtp_server, KINDS["unsubscribed"])
    mailed = {to for _sender, tos, _data in smtp_server.handler.messages for to in tos}
    assert mailed == {KINDS["new"], KINDS["unsubscribed"]}
    assert status_of(rt, KINDS["new"]) == "pending"
    assert status_of(rt, KINDS["unsubscribed"]) == "pending"
    assert status_of(rt, KINDS["confirmed"]) == "confirmed"
    assert status_of(rt, KINDS["blocked"]) == "confirmed"
    assert status_of(rt, KINDS["suppressed"]) is None
    assert mails_to(smtp_server, KINDS["pending"]) == []
