"""Delivery against a fault-injecting SMTP server: 4xx, 5xx, dropped connections and stalls.

Every deliverable message arrives exactly once, every permanent failure is recorded with the
server's reply, bad mailboxes are suppressed, and nothing is left pending.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from digest import pipeline
from digest.delivery.smtp import SmtpPool
from digest.errors import DeliveryError
from digest.models import Delivery, Issue
from subscribers.models import Subscriber, Suppression
from tests.delivery.scenario import (
    NOW,
    PENDING,
    addresses,
    deliveries,
    load_subscribers,
    smtp_config,
    states,
)
from tests.delivery.test_sender_deferred import sender_of
from tests.servers import Fault, FixtureSMTPServer

OpenSend = Callable[..., pipeline.Runtime]


@pytest.fixture
def open_send(write_config, smtp_server: FixtureSMTPServer) -> Iterator[OpenSend]:
    """A runtime whose config sends over SMTP to the fixture server, with the sample articles
    collected; keyword arguments are delivery.* keys (smtp= for delivery.smtp.*)."""
    opened: list[pipeline.Runtime] = []

    def open_(**delivery: Any) -> pipeline.Runtime:
        rt = pipeline.open_runtime(write_config(smtp_config(smtp_server, **delivery)), NOW)
        opened.append(rt)
        pipeline.collect(rt, NOW)
        return rt

    yield open_
    for rt in opened:
        rt.close()


def send_until_settled(
    rt: pipeline.Runtime, transport: SmtpPool, rounds: int = 12
) -> tuple[datetime, list[pipeline.SendReport]]:
    """Send, then send again later (past every retry delay) until no row is pending."""
    now, reports = NOW, []
    for _ in range(rounds):
        reports.append(pipeline.send(rt, "weekly", now, transport=transport))
        if not any(state in PENDING for state in states(rt)):
            return now, reports
        now += timedelta(minutes=10)
    raise AssertionError(f"rows still pending after {rounds} sends: {states(rt)}")


def suppressed(rt: pipeline.Runtime) -> dict[str, str]:
    with rt.sessions() as session:
        return {s.email: s.reason for s in session.scalars(select(Suppression))}


def subscriber_status(rt: pipeline.Runtime, email: str) -> str | None:
    with rt.sessions() as session:
        return session.scalar(select(Subscriber.status).where(Subscriber.email == email))


@pytest.mark.parametrize("pipelining", [False, True], ids=["one-by-one", "pipelined"])
def test_every_deliverable_message_arrives_exactly_once_under_random_faults(
    open_send: OpenSend, smtp_server: FixtureSMTPServer, pipelining: bool
) -> None:
    # A 421 pauses every sender for delivery.slow_down_seconds (30 s by default): shortened
    # so that the many random 421s below keep this test fast. Their effect is measured in
    # test_a_421_backs_the_whole_pool_off.
    rt = open_send(
        smtp={"pool_size": 4, "timeout_seconds": 5, "data_timeout_seconds": 5},
        slow_down_seconds=0.05,
        # A drop after the data is uncertain and left alone by default; this server keeps no
        # copy it dropped, so retrying them still delivers each message once.
        retry_uncertain=True,
        batch_size=25,
        max_attempts=6,
        retry_delay_seconds=1,
    )
    emails = addresses(200)
    load_subscribers(rt, emails)
    handler = smtp_server.handler
    handler.pipelining = pipelining  # refusals then come with the commands that follow
    permanent = {
        emails[3]: Fault.code(550, "rcpt"),  # 550 5.1.1: no such mailbox
        emails[17]: Fault.code(550, "data"),
        emails[42]: Fault.code(552, "data"),  # 5.2.2 mailbox full: permanent, not a bad address
        emails[77]: Fault.code(554, "data"),
        # (A "Relaying denied" would refuse this client, for every reader: test_refused_sender.)
        emails[101]: Fault.code(550, "rcpt", "5.7.1 Message refused by the recipient's rules"),
        # A policy of this recipient's (a "Client host rejected" would refuse this host, for
        # every reader: that stops the send, see test_refused_sender).
        emails[150]: Fault.code(554, "rcpt", "5.7.1 Delivery not authorized, message refused"),
    }
    handler.faults = {email: [fault] for email, fault in permanent.items()}
    handler.faults |= {
        emails[5]: [Fault.code(452, "rcpt"), Fault.code(451, "data")],
        emails[6]: [Fault.dropped("rcpt")],
        emails[7]: [Fault.dropped("data")],
        emails[8]: [Fault.code(421, "rcpt")],
        emails[9]: [Fault.code(421, "data")],
        emails[10]: [Fault.code(451, "rcpt"), Fault.code(550, "data")],  # 4xx, then 5.1.1
        emails[199]: [Fault.code(451, "rcpt")] * 10,  # never accepted: retries run out
    }
    temporary = {e: [f.describe() for f in handler.faults[e]] for e in emails[5:10]}
    handler.inject_at_random(
        seed=20261123,
        probability=0.25,
        faults=[
            Fault.code(451, "rcpt"),
            Fault.code(451, "data"),
            Fault.code(452, "rcpt"),
            Fault.code(421, "rcpt"),
            Fault.code(421, "data"),
            Fault.dropped("rcpt"),
            Fault.dropped("data"),
            Fault.code(550, "data"),
            Fault.code(554, "rcpt"),
        ],
        max_per_recipient=3,
    )
    pool = pipeline.make_transport(rt.settings)
    assert isinstance(pool, SmtpPool)

    last, reports = send_until_settled(rt, pool)

    rows = deliveries(rt)
    assert sorted(rows) == emails
    assert not [e for e, row in rows.items() if row.status in PENDING]
    counts = handler.counts()
    assert set(counts) <= set(emails), "the server got mail for someone not on the list"
    hard_bounced = set()
    for email, row in rows.items():
        outcomes = handler.outcomes(email)
        refusals = [o for o in outcomes if o.startswith("5")]
        if refusals:
            # A 5xx ends it: recorded as failed with the server's own reply, never retried.
            assert (row.status, row.last_reply) == ("failed", refusals[0]), email
            assert outcomes[-1] == refusals[0] and len(refusals) == 1, (email, outcomes)
            assert counts[email] == 0, email
            if refusals[0].split()[1].startswith("5.1."):
                hard_bounced.add(email)
        elif email == emails[199]:
            assert row.status == "failed" and row.attempts == 6, (row.status, row.attempts)
            assert row.last_reply == "451 4.3.0 Temporary local problem, try again later"
            assert outcomes == ["451 4.3.0 Temporary local problem, try again later"] * 6
            assert counts[email] == 0
        else:
            assert row.status == "sent", (email, row.status, row.last_reply, outcomes)
            assert counts[email] == 1, (email, counts[email], outcomes)
            assert outcomes[-1].startswith("250") and row.last_reply == outcomes[-1]
            assert row.attempts == len(outcomes), (email, row.attempts, outcomes)
            assert row.sent_at is not None and row.message_id

    # The chosen faults did what they say.
    for email in (emails[3], emails[17], emails[10]):
        assert email in hard_bounced
    for email in (emails[42], emails[77], emails[101], emails[150]):
        assert rows[email].status == "failed" and email not in hard_bounced
    for email, chosen in temporary.items():
        # Retried after each 4xx or dropped connection (what came next is checked above:
        # the random faults may have refused some of them for good afterwards).
        outcomes = handler.outcomes(email)
        assert outcomes[: len(chosen)] == chosen and len(outcomes) > len(chosen), outcomes
    # 5.1.x (bad mailbox): suppressed as hard bounces, the subscriber marked bounced; any
    # other 5xx is not the address's fault and suppresses nothing.
    assert suppressed(rt) == {email: "hard_bounce" for email in hard_bounced}
    assert all(subscriber_status(rt, email) == "bounced" for email in hard_bounced)
    assert subscriber_status(rt, emails[42]) == "active"

    # The random faults were many and varied, and each 421 slowed the pool.
    every = [e.outcome for e in handler.events]
    injected = [o for o in every if not o.startswith("250")]
    assert len(injected) >= 60, len(injected)
    for kind in ("421 ", "451 ", "452 ", "550 ", "554 ", "dropped at rcpt", "dropped at data"):
        assert any(o.startswith(kind) for o in injected), kind
    assert pool.slow_down_replies == sum(o.startswith("421 ") for o in every) >= 2
    assert len(reports) >= 3 and reports[0].deferred > 0
    assert sum(r.sent for r in reports) == sum(counts.values()) == states(rt)["sent"]
    assert set(handler.pipelined) == {pipelining}
    with rt.sessions() as session:
        issue = session.scalar(select(Issue))
        assert issue is not None and (issue.status, issue.sent_at) == ("sent", last)

    # Sending again sends nothing: every row is settled.
    received = len(handler.received)
    again = pipeline.send(rt, "weekly", last + timedelta(days=1), transport=pool)
    assert (again.sent, again.deferred, again.failed) == (0, 0, 0)
    assert len(handler.received) == received


def test_a_421_backs_the_whole_pool_off(
    open_send: OpenSend, smtp_server: FixtureSMTPServer
) -> None:
    pause = 1.0  # delivery.slow_down_seconds, 30 s by default
    # The deferred message is due again only after this send: results are recorded as they
    # come, so with a retry delay shorter than the pause it would be retried within it.
    rt = open_send(smtp={"pool_size": 4}, retry_delay_seconds=60, slow_down_seconds=pause)
    emails = addresses(30)
    load_subscribers(rt, emails)
    smtp_server.handler.faults = {emails[8]: [Fault.code(421, "rcpt")]}
    pool = pipeline.make_transport(rt.settings)
    assert isinstance(pool, SmtpPool)

    first = pipeline.send(rt, "weekly", NOW, transport=pool)

    assert (first.sent, first.deferred) == (29, 1)
    assert pool.slow_down_replies == 1
    [slow_down] = [e for e in smtp_server.handler.events if e.outcome.startswith("421")]
    arrivals = [r.at for r in smtp_server.handler.received]
    # After the 421, only messages already on their way (at most one per other connection,
    # give or take the one whose permit raced the reply) arrive before the pause is over.
    during = [t for t in arrivals if slow_down.at < t < slow_down.at + pause * 0.9]
    assert len(during) <= pool.size, (len(during), [round(t - slow_down.at, 3) for t in during])
    after = [t for t in arrivals if t >= slow_down.at + pause * 0.9]
    assert len(after) >= 29 - 8 - pool.size, "the rest of the batch waited out the pause"
    row = deliveries(rt)[emails[8]]
    assert row.status == "deferred" and row.last_reply is not None
    assert row.last_reply.startswith("421 4.7.0")

    later = pipeline.send(rt, "weekly", NOW + timedelta(minutes=5), transport=pool)
    assert later.sent == 1 and smtp_server.handler.count(emails[8]) == 1


@pytest.mark.parametrize("retry_uncertain", [False, True], ids=["default", "retry_uncertain"])
def test_a_stall_after_the_data_is_uncertain(
    open_send: OpenSend, smtp_server: FixtureSMTPServer, retry_uncertain: bool
) -> None:
    rt = open_send(
        smtp={"pool_size": 3, "data_timeout_seconds": 0.5},
        retry_uncertain=retry_uncertain,
        retry_delay_seconds=1,
    )
    kept, lost, fine = "kept@example.org", "lost@example.org", "fine@example.org"
    load_subscribers(rt, [kept, lost, fine])
    smtp_server.handler.faults = {
        # The server stores the message, then hangs before its 250 (a slow disk, say).
        kept: [Fault.stalled(3.0, keep=True)],
        # The server hangs before storing it: when the client gives up and hangs up, aiosmtpd
        # cancels the handler, so this copy is never kept.
        lost: [Fault.stalled(3.0, keep=False)],
    }

    first = pipeline.send(rt, "weekly", NOW)

    rows = deliveries(rt)
    assert rows[fine].status == "sent"
    for email in (kept, lost):
        reply = rows[email].last_reply or ""
        assert reply.startswith("no reply to the message data"), (email, reply)
    assert smtp_server.handler.count(kept) == 1 and smtp_server.handler.count(lost) == 0
    assert smtp_server.handler.outcomes(lost) == ["stalled 3.0s, client gave up"]

    later = NOW + timedelta(hours=1)
    second = pipeline.send(rt, "weekly", later)
    rows = deliveries(rt)
    if not retry_uncertain:
        # Not retried blindly: left for a person to look at (`digest status` counts them).
        assert first.uncertain == 2 and first.deferred == 0
        assert rows[kept].status == rows[lost].status == "uncertain"
        assert second.sent == 0
        assert smtp_server.handler.count(kept) == 1 and smtp_server.handler.count(lost) == 0
    else:
        # Retried like a deferral. The server has `kept` twice because it had accepted the
        # first copy before it stalled, and the client could not know: that is the price of
        # delivery.retry_uncertain. It has `lost` once, because the first copy died with the
        # connection the client closed when it gave up waiting.
        assert first.deferred == 2 and first.uncertain == 0
        assert second.sent == 2
        assert rows[kept].status == rows[lost].status == "sent"
        assert smtp_server.handler.count(kept) == 2 and smtp_server.handler.count(lost) == 1
        # Both copies carry the Message-ID the row records: mail clients show one.
        copies = [m for m in smtp_server.handler.parsed() if m["To"] == kept]
        assert [m["Message-ID"] for m in copies] == [rows[kept].message_id] * 2
    assert smtp_server.handler.count(fine) == 1


def test_a_connection_dropped_before_the_data_is_deferred_then_sent_once(
    open_send: OpenSend, smtp_server: FixtureSMTPServer
) -> None:
    rt = open_send(smtp={"pool_size": 2}, retry_delay_seconds=60)
    at_rcpt, fine = "rcpt@example.org", "fine@example.org"
    load_subscribers(rt, [at_rcpt, fine])
    smtp_server.handler.faults = {at_rcpt: [Fault.dropped("rcpt")]}

    first = pipeline.send(rt, "weekly", NOW)

    assert (first.sent, first.deferred, first.failed, first.uncertain) == (1, 1, 0, 0)
    row = deliveries(rt)[at_rcpt]
    assert row.status == "deferred"
    assert (row.last_reply or "").startswith("before data")
    retry_at = row.next_attempt_at
    assert retry_at is not None and NOW + timedelta(seconds=45) <= retry_at
    assert retry_at <= NOW + timedelta(seconds=75)  # 60 s +-25% jitter

    too_early = pipeline.send(rt, "weekly", NOW + timedelta(seconds=30))
    assert too_early.sent == 0

    later = pipeline.send(rt, "weekly", NOW + timedelta(minutes=5))
    assert later.sent == 1
    assert {e: r.status for e, r in deliveries(rt).items()} == dict.fromkeys(
        (at_rcpt, fine), "sent"
    )
    assert [smtp_server.handler.count(e) for e in (at_rcpt, fine)] == [1, 1]
    with rt.sessions() as session:
        attempts = dict(session.execute(select(Delivery.email, Delivery.attempts)).all())
    assert attempts == {at_rcpt: 2, fine: 1}


@pytest.mark.parametrize("retry_uncertain", [False, True], ids=["default", "retry_uncertain"])
def test_a_connection_dropped_after_the_data_is_uncertain(
    open_send: OpenSend, smtp_server: FixtureSMTPServer, retry_uncertain: bool
) -> None:
    # RFC 5321 4.5.3.2.6: once the final dot is sent, a lost connection leaves the client not
    # knowing whether the server accepted the message, exactly as a timeout does.
    rt = open_send(smtp={"pool_size": 2}, retry_uncertain=retry_uncertain, retry_delay_seconds=1)
    at_data, fine = "data@example.org", "fine@example.org"
    load_subscribers(rt, [at_data, fine])
    # The server reads the whole message, then closes the connection without a reply.
    smtp_server.handler.faults = {at_data: [Fault.dropped("data")]}

    first = pipeline.send(rt, "weekly", NOW)

    row = deliveries(rt)[at_data]
    assert (row.last_reply or "").startswith("no reply to the message data"), row.last_reply
    assert smtp_server.handler.outcomes(at_data) == ["dropped at data"]
    second = pipeline.send(rt, "weekly", NOW + timedelta(hours=1))
    rows = deliveries(rt)
    if not retry_uncertain:
        assert (first.sent, first.deferred, first.uncertain) == (1, 0, 1)
        assert row.status == rows[at_data].status == "uncertain"
        assert second.sent == 0
        assert smtp_server.handler.outcomes(at_data) == ["dropped at data"]
    else:
        assert (first.sent, first.deferred, first.uncertain) == (1, 1, 0)
        assert row.status == "deferred"
        assert second.sent == 1 and rows[at_data].status == "sent"
        assert smtp_server.handler.count(at_data) == 1  # the dropped copy was not kept
    assert smtp_server.handler.count(fine) == 1


@pytest.mark.parametrize("pipelining", [False, True], ids=["one-by-one", "pipelined"])
def test_a_hostile_server_gives_every_deliverable_reader_one_copy_and_never_livelocks(
    open_send: OpenSend, smtp_server: FixtureSMTPServer, pipelining: bool
) -> None:
    # Faults at once, over three lanes: random 4xx/5xx, drops and stalls past the timeouts at
    # RCPT TO and after the data; a connection closed after each 4 messages, and after 2
    # refused MAIL FROMs; greetings refused or dropped; resets refused or dropped; one
    # reader's own VERP sender refused every time, another's every other time. Passes that
    # the server turns away (ServerUnavailable, SenderRefused) are part of it. In the end:
    # nothing pending, one copy for each reader never refused for good, none for the others,
    # the reader whose own sender is refused failed after max_attempts, not holding up anyone.
    rt = open_send(
        smtp={"pool_size": 3, "timeout_seconds": 0.5, "data_timeout_seconds": 0.5},
        slow_down_seconds=0.02,
        retry_uncertain=True,  # this server keeps no copy it dropped or stalled
        batch_size=10,
        max_attempts=12,
        retry_delay_seconds=1,
        bounce_address="bounces@example.net",
    )
    emails = addresses(60)
    load_subscribers(rt, emails)
    handler = smtp_server.handler
    handler.pipelining = pipelining
    handler.messages_per_connection = 4
    handler.refusals_before_close = 2
    handler.greeting_replies = ["421 4.7.0 busy", None, None, "", None] * 3
    handler.rset_replies = ["250 OK", "502 5.5.2 no", "250 OK", "", "451 4.3.0 not now"] * 5
    handler.inject_at_random(
        seed=20261207,
        probability=0.3,
        faults=[
            Fault.code(451, "rcpt"),
            Fault.code(452, "rcpt", "4.5.3 Too many recipients"),
            Fault.code(421, "rcpt"),
            Fault.code(421, "data"),
            Fault.dropped("rcpt"),
            Fault.dropped("data"),
            Fault.stalled(1.5),
            Fault.stalled(1.5, stage="rcpt"),
            Fault.code(550, "data"),
        ],
        max_per_recipient=3,
    )
    own, flaky = (sender_of(rt, emails[7]), sender_of(rt, emails[20]))
    asked: list[str] = []

    def refuse(address: str) -> str | None:
        if address == own:
            return "553 5.7.1 Sender address rejected: not owned by user"
        if address == flaky:
            asked.append(address)
            return "451 4.3.0 Try again later" if len(asked) % 2 else None
        return None

    handler.mail_reply_for = refuse
    pool = pipeline.make_transport(rt.settings)
    assert isinstance(pool, SmtpPool)
    now = NOW
    for _ in range(25):
        with contextlib.suppress(DeliveryError):  # a pass the server turned away
            pipeline.send(rt, "weekly", now, transport=pool)
        if not any(state in PENDING for state in states(rt)):
            break
        now += timedelta(minutes=10)

    rows, counts = deliveries(rt), handler.counts()
    assert not [e for e, row in rows.items() if row.status in PENDING], states(rt)
    refused_for_good = {e for e in emails if any(o[0] == "5" for o in handler.outcomes(e))}
    assert refused_for_good, "the random faults refused some readers for good"
    assert counts == {e: 1 for e in emails if e not in refused_for_good | {emails[7]}}
    assert (rows[emails[7]].status, rows[emails[7]].attempts) == ("failed", 12)
    assert all(rows[e].status == "failed" for e in refused_for_good)
