"""A temporary refusal before any reader is named (the greeting, the login or MAIL FROM: a busy
server, its storage full, a lookup of its own failing) is the server's state, not the reader's:
the reader is deferred without an attempt counted, so an outage of the relay longer than
max_attempts retries never fails the list; delivery.max_retry_hours still gives up."""

from __future__ import annotations

from datetime import timedelta

from digest import pipeline
from digest.delivery.smtp import SmtpPool, _Connection
from digest.delivery.smtp_wire import Reply
from tests.delivery.scenario import NOW, addresses, deliveries, load_subscribers, smtp_config
from tests.servers import FixtureSMTPServer

BUSY = "452 4.3.1 Insufficient system storage"


def test_a_server_busy_at_mail_from_never_uses_up_the_readers_retries(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": 1}, max_attempts=2, retry_delay_seconds=1)
    )
    emails = addresses(3)
    passes = 4  # twice max_attempts
    smtp_server.handler.mail_replies = [BUSY] * (passes * len(emails))
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        for n in range(passes):
            pipeline.send(rt, "weekly", NOW + timedelta(minutes=10 * n))
            rows = deliveries(rt)
            state = {e: (r.status, r.attempts) for e, r in rows.items()}
            assert set(state.values()) == {("deferred", 0)}, state
            assert all(BUSY in (r.last_reply or "") for r in rows.values())
        report = pipeline.send(rt, "weekly", NOW + timedelta(minutes=10 * passes))
        rows = deliveries(rt)
    assert report.sent == 3 and report.failed == 0, report
    assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 1)}


def test_a_server_busy_at_mail_from_gives_up_after_max_retry_hours(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": 1}, max_retry_hours=1, retry_delay_seconds=1)
    )
    emails = addresses(2)
    smtp_server.handler.mail_replies = [BUSY] * 4
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        pipeline.send(rt, "weekly", NOW)
        assert {r.status for r in deliveries(rt).values()} == {"deferred"}
        pipeline.send(rt, "weekly", NOW + timedelta(hours=2))
        rows = deliveries(rt)
    assert {r.status for r in rows.values()} == {"failed"}


def test_only_a_temporary_refusal_before_the_reader_is_named_is_the_servers() -> None:
    lane = _Connection(SmtpPool(host="127.0.0.1", port=25))
    assert lane._refused(0, Reply(452, "4.3.1 Insufficient system storage")).of_server
    assert lane._refused(0, Reply(421, "4.7.0 Too many connections")).of_server
    assert not lane._refused(1, Reply(452, "4.2.2 Mailbox full")).of_server
    assert not lane._refused(1, Reply(450, "4.1.1 User unknown in local table")).of_server
    assert not lane._refused(2, Reply(451, "4.3.0 Try again")).of_server
    # Refused for good at MAIL FROM: the sender's (the send stops), not a busy server.
    refused = lane._refused(0, Reply(553, "5.1.8 sender domain not found"))
    assert refused.sender_refused and not refused.of_server
