"""Attacks on the reader's links that hold: a tampered, truncated or spliced token, and a token
used for another purpose, is refused at every page and form it could reach, and changes nothing.

Already covered elsewhere, not repeated here: a one-click POST without a cookie or a CSRF token
unsubscribes (tests/web/readers/test_reader_pages.py::
test_one_click_unsubscribe_from_a_digest_needs_no_cookie); a tampered or expired confirm token
and the confirm/unsubscribe/preferences swaps at POST /confirm/, POST /u/ and GET /p/
(test_forged_expired_and_other_purposes_tokens_are_refused); tokens forged with another secret
(tests/security/test_secret.py); the signer itself (tests/subscribers/test_tokens.py).
"""

from __future__ import annotations

import base64
import json
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from digest import db, pipeline
from digest.config import Settings
from subscribers.membership import add_subscriber, ensure_list
from subscribers.models import ConsentRecord, Subscriber, Subscription
from subscribers.tokens import Purpose, TokenSubject
from tests.web.conftest import NOW, LiveApp, tcp_socket
from tests.web.readers.conftest import (  # noqa: F401
    app,
    clock,
    delivery_overrides,
    list_overrides,
    reader_overrides,
    settings,
)
from tests.web.readers.rig import csrf_of

READER = "reader@example.org"  # the demo reader: confirmed on weekly
OTHER = "other@example.net"  # confirmed on weekly and culture
PENDING = "pending@example.net"  # waiting to confirm weekly
ONE_CLICK = {"List-Unsubscribe": "One-Click"}
PAGES = {"unsubscribe": "/u/", "preferences": "/p/", "confirm": "/confirm/"}


@pytest.fixture
def app_socket() -> Iterator[socket.socket]:
    with tcp_socket() as sock:
        yield sock


@pytest.fixture
def rt(settings: Settings) -> Iterator[pipeline.Runtime]:  # noqa: F811
    """The app's database with its lists and demo reader; no articles (none are needed)."""
    with pipeline.runtime(settings, NOW) as runtime:
        yield runtime


@dataclass(frozen=True)
class Readers:
    reader: TokenSubject
    other: TokenSubject
    other_culture: TokenSubject
    pending: TokenSubject


@pytest.fixture
def readers(rt: pipeline.Runtime) -> Readers:
    with db.transaction(rt.sessions) as session:
        weekly, _ = ensure_list(session, "weekly", "The Weekly")
        culture, _ = ensure_list(session, "culture", "Culture Notes")
        other, _ = add_subscriber(session, weekly, OTHER, name="Other", now=NOW)
        add_subscriber(session, culture, OTHER, name="Other", now=NOW)
        pending, _ = add_subscriber(
            session, weekly, PENDING, name=None, now=NOW, origin="form", confirmed=False
        )
        pending.confirmation_sent_at = NOW
        session.flush()
        reader_id = session.scalar(select(Subscriber.id).where(Subscriber.email == READER))
        assert reader_id is not None
        return Readers(
            TokenSubject(reader_id, weekly.id),
            TokenSubject(other.subscriber_id, weekly.id),
            TokenSubject(other.subscriber_id, culture.id),
            TokenSubject(pending.subscriber_id, weekly.id),
        )


def state(rt: pipeline.Runtime) -> dict[str, Any]:
    """Everything a reader's link could change."""
    with rt.sessions() as session:
        people = session.execute(
            select(Subscriber.email, Subscriber.name, Subscriber.timezone, Subscriber.topics)
        ).all()
        subscriptions = session.execute(
            select(Subscriber.email, Subscription.list_id, Subscription.status).join(Subscriber)
        ).all()
        consent = session.scalar(select(func.count()).select_from(ConsentRecord))
    return {
        "people": sorted(map(tuple, people)),
        "subscriptions": sorted(map(tuple, subscriptions)),
        "consent records": consent,
    }


def sign(rt: pipeline.Runtime, purpose: Purpose, subject: TokenSubject) -> str:
    if purpose == "confirm":
        return rt.signer.sign(purpose, subject, issued_at=NOW)
    return rt.signer.sign(purpose, subject)


def flip(token: str, at: int) -> str:
    """The token with the character at `at` changed to one that decodes to other bits (the
    top bit of its 6 flipped: the low bits of a segment's last character are padding, which
    base64 ignores, so a change there could leave the same bytes and the same genuine token)."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    assert token[at] in alphabet, (token, at)
    return token[:at] + alphabet[alphabet.index(token[at]) ^ 0b100000] + token[at + 1 :]


def payload(data: list[int]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def tampered(token: str, other_payloads: list[str]) -> dict[str, str]:
    """The ways a token can be bent: characters changed, cut short, another payload spliced
    onto its signature."""
    head, _, signature = token.partition(".")
    sig_at = len(head) + 1
    variants = {
        "first character": flip(token, 0),
        "payload's middle": flip(token, len(head) // 2),
        "payload's last": flip(token, len(head) - 1),
        "signature's first": flip(token, sig_at),
        "signature's middle": flip(token, sig_at + len(signature) // 2),
        "signature's last": flip(token, len(token) - 1),
        "last character cut": token[:-1],
        "half the signature": token[: sig_at + len(signature) // 2],
        "no signature": head + ".",
        "payload only": head,
        "signature only": signature,
        "doubled": token + token,
    }
    for i, other in enumerate(other_payloads):
        variants[f"spliced payload {i}"] = f"{other}.{signature}"
    return variants


def attempts(
    http: httpx.Client, page: str, token: str, csrf: str
) -> dict[str, Callable[[], httpx.Response]]:
    """Every request a token of this page opens, each as its page's own form would send it."""
    url = page + token
    form = {"csrf_token": csrf}
    if page == "/u/":
        return {
            "GET": lambda: http.get(url),
            "one-click POST": lambda: http.post(url, data=ONE_CLICK),
        }
    if page == "/confirm/":
        return {"GET": lambda: http.get(url), "POST": lambda: http.post(url, data=form)}
    return {
        "GET": lambda: http.get(url),
        "save": lambda: http.post(url, data={**form, "name": "Mallory", "lists": []}),
        "leave": lambda: http.post(url + "/leave", data=form),
        "export": lambda: http.post(url + "/export", data=form),
        "erase": lambda: http.post(url + "/erase", data={**form, "sure": "yes"}),
    }


def test_tampered_tokens_are_refused_everywhere_and_change_nothing(
    app: LiveApp,  # noqa: F811
    rt: pipeline.Runtime,
    readers: Readers,
) -> None:
    http = app.client()
    csrf = csrf_of(http.get("/subscribe").text)
    before = state(rt)
    targets = {
        "unsubscribe": readers.reader,
        "preferences": readers.reader,
        "confirm": readers.pending,
    }
    answers: dict[str, int] = {}
    for purpose, subject in targets.items():
        genuine = sign(rt, purpose, subject)  # type: ignore[arg-type]
        extra = [int(NOW.timestamp())] if purpose == "confirm" else []
        splices = [
            payload([readers.other.subscriber_id, subject.list_id, *extra]),  # another reader
            payload([subject.subscriber_id, readers.other_culture.list_id, *extra]),  # list
            payload([readers.other.subscriber_id, readers.other_culture.list_id, *extra]),
        ]
        for how, token in tampered(genuine, splices).items():
            for action, send in attempts(http, PAGES[purpose], token, csrf).items():
                answers[f"{purpose} {how}: {action}"] = send().status_code

    assert answers and {k: v for k, v in answers.items() if v != 400} == {}
    assert state(rt) == before
    # The same requests with the genuine tokens do act: the refusals were the tokens'.
    unsubscribe = sign(rt, "unsubscribe", readers.reader)
    assert http.post(f"/u/{unsubscribe}", data=ONE_CLICK).status_code == 200
    confirm = sign(rt, "confirm", readers.pending)
    assert http.post(f"/confirm/{confirm}", data={"csrf_token": csrf}).status_code == 200
    preferences = sign(rt, "preferences", readers.reader)
    assert READER in http.get(f"/p/{preferences}").text
    after = state(rt)["subscriptions"]
    assert (READER, readers.reader.list_id, "unsubscribed") in after
    assert (PENDING, readers.pending.list_id, "confirmed") in after


@pytest.mark.parametrize("page", ["/u/", "/p/", "/confirm/"])
def test_a_token_made_for_another_purpose_opens_nothing(
    app: LiveApp,  # noqa: F811
    rt: pipeline.Runtime,
    readers: Readers,
    page: str,
) -> None:
    http = app.client()
    csrf = csrf_of(http.get("/subscribe").text)
    before = state(rt)
    own = next(purpose for purpose, prefix in PAGES.items() if prefix == page)
    answers: dict[str, int] = {}
    for purpose in ("unsubscribe", "preferences", "confirm", "bounce"):
        if purpose == own:
            continue
        subject = readers.pending if page == "/confirm/" else readers.reader
        token = sign(rt, purpose, subject)  # type: ignore[arg-type]
        for action, send in attempts(http, page, token, csrf).items():
            answers[f"{purpose} token: {action}"] = send().status_code

    assert answers and {k: v for k, v in answers.items() if v != 400} == {}
    assert state(rt) == before
