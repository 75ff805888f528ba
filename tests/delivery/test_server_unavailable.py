"""A server that cannot take mail now (the connection refused or timed out, a 4xx to the
greeting, the login or MAIL FROM: before any reader is named) says nothing of the readers: no
attempt of theirs is counted. A connection it will not take is given up for the rest of the
pass, its message handed to another; once no connection is left the pass stops (no loop within
it), the readers taken but not sent put back as they were, and ServerUnavailable is raised;
`digest worker` and the service try again after a growing wait. Past delivery.max_retry_hours
the rows are given up by age."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from datetime import timedelta

import pytest

from digest import pipeline
from digest.delivery.smtp import SmtpPool, _Connection
from digest.delivery.smtp_wire import Reply
from digest.errors import ServerUnavailable
from digest.models import Delivery
from tests.delivery.scenario import (
    NOW,
    Processes,
    addresses,
    deliveries,
    digest,
    load_subscribers,
    queued_issue,
    service_worker_until_sent,
    smtp_config,
    worker_until_sent,
)
from tests.servers import FixtureSMTPServer

BUSY = "421 4.7.0 Too many connections, try again later"


def busy_after(smtp_server: FixtureSMTPServer, messages: int, greeting: str = BUSY) -> None:
    """The server answers every greeting so ("": closes the connection without a word) once it
    has accepted `messages` messages."""
    handler = smtp_server.handler

    def count(_previous: str | None, _this: str) -> None:
        if len(handler.received) + 1 >= messages:
            handler.busy = greeting

    handler.on_data = count


def untouched(rows: dict[str, Delivery], emails: list[str]) -> bool:
    """Whether these readers' rows are queued, no attempt counted: as before any send."""
    return all((rows[e].status, rows[e].attempts) == ("queued", 0) for e in emails)


@pytest.mark.parametrize("pool_size", [1, 3])
def test_a_server_busy_at_every_greeting_ends_the_pass_and_counts_no_attempt(
    write_config, smtp_server: FixtureSMTPServer, pool_size: int
) -> None:
    settings = write_config(
        smtp_config(
            smtp_server,
            smtp={"pool_size": pool_size, "messages_per_connection": 2},
            slow_down_seconds=0.1,
            max_attempts=2,
            batch_size=5,
        )
    )
    emails = addresses(20)
    busy_after(smtp_server, 4)
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        started = time.monotonic()
        with pytest.raises(ServerUnavailable, match=re.escape(BUSY)) as caught:
            pipeline.send(rt, "weekly", NOW)
        took = time.monotonic() - started
        rows = deliveries(rt)
        sent = [e for e in emails if rows[e].status == "sent"]
        # Each connection asked once more, then given up: no loop within the pass.
        assert smtp_server.handler.greetings_refused <= pool_size
        assert took < 10, took
        assert "delivery.smtp.host" in caught.value.hint
        assert "No reader was failed" in caught.value.hint
        assert 4 <= len(sent) < len(emails), sent
        assert {(rows[e].status, rows[e].attempts) for e in sent} == {("sent", 1)}
        assert untouched(rows, [e for e in emails if e not in sent]), {
            e: (r.status, r.attempts) for e, r in rows.items()
        }

        # Busy for longer than max_attempts passes: still nobody's attempt.
        for minutes in (10, 20, 30):
            with pytest.raises(ServerUnavailable):
                pipeline.send(rt, "weekly", NOW + timedelta(minutes=minutes))
        assert untouched(deliveries(rt), [e for e in emails if e not in sent])

        smtp_server.handler.busy = None
        smtp_server.handler.on_data = None
        report = pipeline.send(rt, "weekly", NOW + timedelta(minutes=40))
        rows = deliveries(rt)
    assert report.sent == len(emails) - len(sent) and report.failed == 0, report
    assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 1)}
    assert smtp_server.handler.counts() == dict.fromkeys(emails, 1)


def test_a_server_that_goes_away_mid_send_ends_the_pass_and_counts_no_attempt(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # Each connection carries two messages, so the send opens new ones as it goes; once the
    # server closes every new connection unheard, none can be made.
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": 2, "messages_per_connection": 2})
    )
    emails = addresses(10)
    busy_after(smtp_server, 3, greeting="")
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        with pytest.raises(ServerUnavailable, match="cannot connect"):
            pipeline.send(rt, "weekly", NOW)
        rows = deliveries(rt)
        sent = [e for e in emails if rows[e].status == "sent"]
        assert 3 <= len(sent) < len(emails)
        assert untouched(rows, [e for e in emails if e not in sent])
        assert smtp_server.handler.greetings_refused <= 2

        smtp_server.handler.busy = None
        smtp_server.handler.on_data = None
        report = pipeline.send(rt, "weekly", NOW + timedelta(minutes=1))
    assert report.sent == len(emails) - len(sent)
    assert smtp_server.handler.counts() == dict.fromkeys(emails, 1)


def test_one_connection_refused_while_the_others_deliver_does_not_stop_the_send(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # A server that takes fewer connections than the pool has: the connection it refuses is
    # given up for this pass, its reader sent over another.
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": 3}, slow_down_seconds=0.1, batch_size=5)
    )
    emails = addresses(12)
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        # The first connection is opened before any reader is taken; the next one is refused.
        smtp_server.handler.greeting_replies = [None, BUSY]

        report = pipeline.send(rt, "weekly", NOW)

        rows = deliveries(rt)
    assert smtp_server.handler.greeting_replies == []
    assert smtp_server.handler.greetings_refused == 1
    assert (report.sent, report.deferred, report.failed) == (12, 0, 0), report
    assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 1)}
    assert smtp_server.handler.counts() == dict.fromkeys(emails, 1)


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
@pytest.mark.parametrize(
    "reply", ["452 4.3.1 Insufficient system storage", "451 4.3.0 Temporary lookup failure"]
)
def test_a_temporary_refusal_of_mail_from_is_the_servers_not_the_readers(
    write_config, smtp_server: FixtureSMTPServer, reply: str, pipelining: bool
) -> None:
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}))
    emails = addresses(3)
    smtp_server.handler.pipelining = pipelining
    smtp_server.handler.mail_replies = [reply]
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        with pytest.raises(ServerUnavailable, match=re.escape(reply)):
            pipeline.send(rt, "weekly", NOW)
        assert untouched(deliveries(rt), emails)
        report = pipeline.send(rt, "weekly", NOW + timedelta(minutes=1))
    assert report.sent == 3


def test_a_server_busy_from_the_start_touches_no_row(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 2}))
    emails = addresses(3)
    smtp_server.handler.busy = BUSY
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        with pytest.raises(ServerUnavailable, match="421"):
            pipeline.send(rt, "weekly", NOW)
        assert untouched(deliveries(rt), emails)


def test_a_connection_that_cannot_be_made_is_the_servers_state() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens there once it is closed
    lane = _Connection(SmtpPool(host="127.0.0.1", port=port, security="none", timeout=2))
    result = asyncio.run(lane.send("digest@example.net", "reader@example.org", b"x\r\n", None))
    assert result.outcome == "deferred" and result.server_unavailable, result
    with pytest.raises(ServerUnavailable, match="cannot connect"):
        asyncio.run(SmtpPool(host="127.0.0.1", port=port, security="none", timeout=2).open())


def test_only_a_temporary_refusal_before_the_reader_is_named_is_the_servers() -> None:
    lane = _Connection(SmtpPool(host="127.0.0.1", port=25))
    assert lane._refused(0, Reply(452, "4.3.1 Insufficient system storage")).server_unavailable
    assert lane._refused(0, Reply(421, "4.7.0 Too many connections")).server_unavailable
    assert not lane._refused(1, Reply(452, "4.2.2 Mailbox full")).server_unavailable
    assert not lane._refused(1, Reply(421, "4.7.0 Too many messages")).server_unavailable
    assert not lane._refused(2, Reply(451, "4.3.0 Try again")).server_unavailable
    # Refused for good at MAIL FROM: the sender's (the send stops), not a busy server.
    refused = lane._refused(0, Reply(553, "5.1.8 sender domain not found"))
    assert refused.sender_refused and not refused.server_unavailable
    # The sender's words in a 4xx at MAIL FROM: a refusal of the sender, not a busy server.
    words = lane._refused(0, Reply(450, "4.1.8 <d@x.example>: Sender address rejected"))
    assert words.sender_refused and not words.server_unavailable


def test_rows_are_given_up_by_age_once_the_server_is_unavailable_past_max_retry_hours(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}, max_retry_hours=1))
    emails = addresses(2)
    smtp_server.handler.busy = BUSY
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        with pytest.raises(ServerUnavailable):
            pipeline.send(rt, "weekly", NOW)
        with pytest.raises(ServerUnavailable):
            pipeline.send(rt, "weekly", NOW + timedelta(minutes=50))
        assert untouched(deliveries(rt), emails)
        with pytest.raises(ServerUnavailable):
            pipeline.send(rt, "weekly", NOW + timedelta(hours=2))
        rows = deliveries(rt)
        assert {r.status for r in rows.values()} == {"failed"}
        assert all("delivery.max_retry_hours" in (r.last_reply or "") for r in rows.values())
        assert all(BUSY in (r.last_reply or "") for r in rows.values())
        smtp_server.handler.busy = None
        report = pipeline.send(rt, "weekly", NOW + timedelta(hours=3))
    assert report.sent == 0
    assert smtp_server.handler.received == []


def test_a_running_worker_waits_longer_each_time_the_server_is_unavailable(
    write_config, smtp_server: FixtureSMTPServer, processes: Processes
) -> None:
    # The wait starts at --interval and doubles, up to delivery.retry_delay_seconds.
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}, retry_delay_seconds=1))
    emails = addresses(3)
    with pipeline.runtime(settings, NOW) as rt:
        queued_issue(rt, emails)  # now: a worker's passes run on the real clock
    smtp_server.handler.greeting_replies = [BUSY] * 5

    _stdout, stderr = worker_until_sent(processes, settings, smtp_server, len(emails))

    waits = [line for line in stderr.splitlines() if line.startswith("Trying again in")]
    assert waits == [f"Trying again in {s} s." for s in ("0.2", "0.4", "0.8", "1", "1")], stderr
    assert BUSY in stderr and "delivery.smtp.host" in stderr
    assert smtp_server.handler.counts() == dict.fromkeys(emails, 1)
    with pipeline.runtime(settings, NOW) as rt:
        rows = deliveries(rt)
    assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 1)}


def test_the_service_worker_waits_longer_each_time_the_server_is_unavailable(
    write_config, smtp_server: FixtureSMTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    config = smtp_config(smtp_server, smtp={"pool_size": 1}, retry_delay_seconds=1)
    config["service"] = {"worker_interval_seconds": 0.2}
    settings = write_config(config)
    emails = addresses(3)
    with pipeline.runtime(settings, NOW) as rt:
        queued_issue(rt, emails)  # now: the service's passes run on the real clock
        smtp_server.handler.greeting_replies = [BUSY] * 4
        said = service_worker_until_sent(rt, settings, smtp_server, len(emails), caplog)
        rows = deliveries(rt)
    assert len(said) == 4 and all(BUSY in line for line in said), said
    assert [line.rpartition("again in ")[2] for line in said] == ["0.2 s", "0.4 s", "0.8 s", "1 s"]
    assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 1)}


def test_digest_send_says_the_server_is_unavailable_and_that_no_reader_was_failed(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}))
    emails = addresses(2)
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
    smtp_server.handler.busy = BUSY

    result = digest(settings.config_path, "send")

    assert result.returncode == 1, result.stdout + result.stderr
    assert BUSY in result.stderr and "Traceback" not in result.stderr
    assert "delivery.smtp.host" in result.stderr and "No reader was failed" in result.stderr
    with pipeline.runtime(settings, NOW) as rt:
        assert untouched(deliveries(rt), emails)
