"""One bad recipient never stops a send: readers at internationalised addresses, and any
message that cannot be built or sent, fail alone with their reason.

The attack: a confirmed reader at `ascii-local@exаmple.net` (a Cyrillic а) or at `ü@example.net`
(both accepted by email-validator) crashed message building: the batch stayed `sending`, the
reader before got the issue again on every retry and the readers after never got it; the CLI
printed a traceback; the sign-up page said "Check your inbox" and no mail ever went.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update

from digest import db, pipeline
from digest.config import Settings
from digest.delivery.smtp import SmtpPool
from digest.models import Issue
from digest.web import create_app
from subscribers.addresses import normalise_address
from subscribers.models import Subscriber, Subscription
from tests.delivery.scenario import (
    NOW,
    PENDING,
    SOURCES,
    deliveries,
    digest,
    load_subscribers,
    smtp_config,
    states,
)
from tests.servers import FixtureSMTPServer
from tests.web.conftest import serve

FIRST, LAST = "first@example.org", "last@example.org"
# Both pass email-validator, which stores them in this (Unicode) form.
IDN = normalise_address("ascii-local@ex\u0430mple.net")  # Cyrillic а
IDN_WIRE = "ascii-local@xn--exmple-4nf.net"  # its domain as an IDNA A-label
UTF8_LOCAL = normalise_address("\u00fc@example.net")
NO_SMTPUTF8 = f"the server does not offer SMTPUTF8, needed for {UTF8_LOCAL}"


@pytest.fixture(params=[True, False], ids=["smtputf8", "no-smtputf8"])
def server(request: pytest.FixtureRequest) -> Iterator[FixtureSMTPServer]:
    """An SMTP server on loopback that offers SMTPUTF8, or one that does not."""
    started = FixtureSMTPServer(smtputf8=request.param).start()
    yield started
    started.stop()


def offers_smtputf8(server: FixtureSMTPServer) -> bool:
    return bool(server._controller.SMTP_kwargs.get("enable_SMTPUTF8"))


@pytest.fixture
def rt(write_config: Any, server: FixtureSMTPServer) -> Iterator[pipeline.Runtime]:
    """The sample articles collected; sends go to `server` over one connection (in order)."""
    # Plain http to 127.0.0.1 for the sign-up page: cookies without Secure.
    web = {"web": {"secure_cookies": False}}
    settings = write_config(smtp_config(server, smtp={"pool_size": 1}) | web)
    with pipeline.runtime(settings, NOW) as runtime:
        pipeline.collect(runtime, NOW)
        yield runtime


def pool(server: FixtureSMTPServer) -> SmtpPool:
    return SmtpPool(host="127.0.0.1", port=server.port, security="none", size=1)


def to_line(message: bytes) -> bytes:
    """The message's To header line, as its bytes went (UTF-8 when RFC 6532)."""
    head = message.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    [line] = [line for line in head if line.lower().startswith(b"to:")]
    return line


def assert_settled(rt: pipeline.Runtime) -> None:
    """Every row recorded, none left claimed or due, and the issue done."""
    assert not set(states(rt)) & set(PENDING), states(rt)
    with rt.sessions() as session:
        assert set(session.scalars(select(Issue.status))) == {"sent"}


def test_readers_at_international_addresses_get_the_issue_or_fail_alone(
    rt: pipeline.Runtime, server: FixtureSMTPServer
) -> None:
    load_subscribers(rt, [FIRST, IDN, UTF8_LOCAL, LAST])
    utf8 = offers_smtputf8(server)

    report = pipeline.send(rt, "weekly", NOW, transport=pool(server))

    handler = server.handler
    expected = {FIRST: 1, IDN_WIRE: 1, LAST: 1} | ({UTF8_LOCAL: 1} if utf8 else {})
    assert dict(handler.counts()) == expected
    by_recipient = {r.rcpt_tos[0]: r for r in handler.received}
    # The internationalised domain goes as its A-label, in the envelope and in the To header,
    # and needs no extension: the message stays 7-bit.
    idn = by_recipient[IDN_WIRE]
    assert not idn.smtputf8
    assert message_from_bytes(idn.content, policy=policy.default)["To"] == IDN_WIRE
    assert idn.content.isascii()
    rows = deliveries(rt)
    assert {e: rows[e].status for e in (FIRST, IDN, LAST)} == dict.fromkeys(
        (FIRST, IDN, LAST), "sent"
    )
    if utf8:
        # A UTF-8 local part has no ASCII form: MAIL FROM ... SMTPUTF8, To in UTF-8 (RFC 6532).
        mail = by_recipient[UTF8_LOCAL]
        assert mail.smtputf8
        assert to_line(mail.content) == f"To: {UTF8_LOCAL}".encode()
        assert rows[UTF8_LOCAL].status == "sent"
        assert (report.sent, report.failed) == (4, 0)
    else:
        assert UTF8_LOCAL not in handler.attempts  # refused before any transaction
        assert (rows[UTF8_LOCAL].status, rows[UTF8_LOCAL].last_reply) == ("failed", NO_SMTPUTF8)
        assert (report.sent, report.failed) == (3, 0 + 1)
    assert_settled(rt)

    # Later, past every lease: a row left claimed would be sent again now. Nothing is.
    again = pipeline.send(rt, "weekly", NOW + timedelta(hours=1), transport=pool(server))
    assert (again.enqueued, again.sent, again.failed) == (0, 0, 0)
    assert dict(handler.counts()) == expected


# Stored behind the validator's back (an older import, a hand edit): no message can be built.
CONTROL = "evil@example.org\r\nBcc: victim@example.net"
UNENCODABLE = "snow@ex\u2603.net"  # U+2603 is not allowed in an IDNA 2008 label
ODD_TOPICS = "odd.topics@example.org"  # topics [1]: their issue cannot be rendered


@pytest.mark.parametrize("server", [False], indirect=True, ids=["no-smtputf8"])
def test_any_message_that_cannot_be_built_fails_only_its_row(
    rt: pipeline.Runtime, server: FixtureSMTPServer
) -> None:
    load_subscribers(rt, [FIRST, CONTROL, UNENCODABLE, ODD_TOPICS, LAST])
    with db.transaction(rt.sessions) as session:
        session.execute(update(Subscriber).where(Subscriber.email == ODD_TOPICS).values(topics=[1]))

    report = pipeline.send(rt, "weekly", NOW, transport=pool(server))

    assert dict(server.handler.counts()) == {FIRST: 1, LAST: 1}
    assert "victim@example.net" not in server.handler.attempts
    rows = deliveries(rt)
    assert rows[CONTROL].status == "failed"
    assert "control character" in str(rows[CONTROL].last_reply)
    assert rows[UNENCODABLE].status == "failed"
    assert "IDNA" in str(rows[UNENCODABLE].last_reply)
    assert "U+2603" in str(rows[UNENCODABLE].last_reply)
    assert rows[ODD_TOPICS].status == "failed"
    assert "cannot render the issue for this reader's topics" in str(rows[ODD_TOPICS].last_reply)
    assert (report.sent, report.failed) == (2, 3)
    assert_settled(rt)
    again = pipeline.send(rt, "weekly", NOW + timedelta(hours=1), transport=pool(server))
    assert (again.sent, again.failed) == (0, 0)
    assert dict(server.handler.counts()) == {FIRST: 1, LAST: 1}


@pytest.mark.parametrize("server", [False], indirect=True, ids=["no-smtputf8"])
def test_the_cli_reports_failed_readers_in_a_line_each_without_a_traceback(
    rt: pipeline.Runtime, server: FixtureSMTPServer, tmp_path: Path
) -> None:
    load_subscribers(rt, [FIRST, IDN, UTF8_LOCAL, CONTROL, LAST])
    config = tmp_path / "config.yaml"

    sent = digest(config, "--now", NOW.isoformat(), "send")

    assert sent.returncode == 0, sent.stderr
    assert "Traceback" not in sent.stderr + sent.stdout
    assert "Delivered to 3 recipient(s)" in sent.stdout
    assert "2 failed" in sent.stdout
    assert NO_SMTPUTF8 in sent.stderr
    assert "control character" in sent.stderr
    assert dict(server.handler.counts()) == {FIRST: 1, IDN_WIRE: 1, LAST: 1}
    assert_settled(rt)

    # Later, past every lease, with -v: nothing more for the readers already done, and what
    # went wrong with a new bad row shown in full, for whoever has to fix it.
    load_subscribers(rt, ["evil2@example.org\nBcc: victim@example.net"])
    later = (NOW + timedelta(hours=1)).isoformat()
    again = digest(config, "-v", "--now", later, "send")
    assert again.returncode == 0, again.stderr
    assert "Delivered to 0 recipient(s)" in again.stdout and "1 failed" in again.stdout
    assert "Traceback" in again.stderr
    assert dict(server.handler.counts()) == {FIRST: 1, IDN_WIRE: 1, LAST: 1}
    assert_settled(rt)


def sign_up(http: httpx.Client, email: str) -> httpx.Response:
    page = http.get("/subscribe")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    form = {"csrf_token": token, "email": email, "lists": "weekly", "name": "", "website": ""}
    return http.post("/subscribe", data=form)


def wait_until(done: Callable[[], bool], seconds: float = 10) -> None:
    """The confirmation mail goes after the page has answered: wait for it (or its log)."""
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.02)


def test_confirmation_mails_reach_international_addresses_or_say_why_not(
    rt: pipeline.Runtime,
    server: FixtureSMTPServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings: Settings = rt.settings
    utf8 = offers_smtputf8(server)
    caplog.set_level(logging.WARNING)
    with serve(create_app(settings, clock=lambda: NOW)) as live:
        for address in ("ascii-local@ex\u0430mple.net", "\u00fc@example.net"):
            answer = sign_up(live.client(), address)
            assert answer.status_code == 200 and "Check your inbox" in answer.text
        expected = {IDN_WIRE, UTF8_LOCAL} if utf8 else {IDN_WIRE}
        wait_until(lambda: expected <= set(server.handler.counts()))
        if not utf8:
            wait_until(lambda: NO_SMTPUTF8 in caplog.text)

    by_recipient = {r.rcpt_tos[0]: r for r in server.handler.received}
    idn = by_recipient[IDN_WIRE]
    assert not idn.smtputf8
    assert message_from_bytes(idn.content, policy=policy.default)["To"] == IDN_WIRE
    with rt.sessions() as session:
        pending = {
            email: sent_at
            for email, sent_at in session.execute(
                select(Subscriber.email, Subscription.confirmation_sent_at).join(Subscription)
            )
        }
    assert pending[IDN] == NOW
    if utf8:
        mail = by_recipient[UTF8_LOCAL]
        assert mail.smtputf8 and to_line(mail.content) == f"To: {UTF8_LOCAL}".encode()
        assert pending[UTF8_LOCAL] == NOW
    else:
        assert UTF8_LOCAL not in server.handler.counts()
        # Logged with its reason, and the claim given back: the reader may ask again at once.
        assert NO_SMTPUTF8 in caplog.text
        assert pending[UTF8_LOCAL] is None


def test_the_file_outbox_writes_each_message_as_it_would_go(
    write_config: Any, tmp_path: Path
) -> None:
    lists = [{"slug": "weekly", "name": "The Weekly", "timezone": "UTC", "demo_subscribers": []}]
    settings = write_config({"sources": SOURCES, "lists": lists})  # the file outbox
    with pipeline.runtime(settings, NOW) as runtime:
        pipeline.collect(runtime, NOW)
        load_subscribers(runtime, [IDN, UTF8_LOCAL, CONTROL])
        report = pipeline.send(runtime, "weekly", NOW)
        rows = deliveries(runtime)

    written = [path.read_bytes() for path in sorted((tmp_path / "outbox").glob("*.eml"))]
    assert sorted(to_line(m) for m in written) == sorted(
        f"To: {a}".encode() for a in (IDN_WIRE, UTF8_LOCAL)
    )
    assert (report.sent, report.failed) == (2, 1)
    assert rows[CONTROL].status == "failed"
