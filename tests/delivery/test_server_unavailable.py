"""A server that cannot take mail now (the connection refused or timed out, a 4xx to the
greeting, the login or MAIL FROM — every sender's, see test_sender_deferred.py: before any
reader is named) says nothing of the readers: no
attempt of theirs is counted. A connection it will not take is given up for the rest of the
pass, its message handed to another; once no connection is left the pass stops (no loop within
it), the readers taken but not sent put back as they were, and ServerUnavailable is raised;
`digest worker` and the service try again after a growing wait. An outage fails no reader,
however long it lasts."""

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
from digest.delivery.transport import SendResult
from digest.errors import ServerUnavailable
from digest.pipeline import send_start
from digest.stopping import StopAfterBatch
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
    untouched,
    worker_until_sent,
)
from tests.servers import Fault, FixtureSMTPServer

BUSY = "421 4.7.0 Too many connections, try again later"


def busy_after(smtp_server: FixtureSMTPServer, messages: int, greeting: str = BUSY) -> None:
    """The server answers every greeting so ("": closes the connection without a word) once it
    has accepted `messages` messages."""
    handler = smtp_server.handler

    def count(_previous: str | None, _this: str) -> None:
        if len(handler.received) + 1 >= messages:
            handler.busy = greeting

    handler.on_data = count


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
        assert "not yet sent to had no attempt counted" in caught.value.hint
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
        with pytest.raises(ServerUnavailable, match="cannot connect") as stopped:
            pipeline.send(rt, "weekly", NOW)
        assert stopped.value.sent_before  # the worker's wait starts again (PassWaits)
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
    # given up for this pass, its reader sent over another. Its 421 is also a "slow down": it
    # pauses every connection (of every sender) for delivery.slow_down_seconds, so the readers
    # after it wait out the pause before they go, the one handed back included.
    pause = 0.5
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": 3}, slow_down_seconds=pause, batch_size=5)
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
    [refused_at] = smtp_server.handler.greetings_refused_at
    gaps = sorted(r.started - refused_at for r in smtp_server.handler.received)
    later = [gap for gap in gaps if gap > 0]
    # The other two connections may each have begun a message before this side read the 421
    # (a few milliseconds); every message after that waited out the pause.
    early = [gap for gap in later if gap < pause * 0.9]
    assert len(later) > 2 and len(early) <= 2 and all(gap < 0.1 for gap in early), gaps
    assert smtp_server.handler.greetings_refused == 1
    assert (report.sent, report.deferred, report.failed) == (12, 0, 0), report
    assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 1)}
    assert smtp_server.handler.counts() == dict.fromkeys(emails, 1)


def test_a_lane_with_nothing_left_to_take_stays_for_a_message_handed_back(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # One message a connection, so each lane connects again for its next one. The second
    # lane's reconnect is refused, slowly: the first lane has sent its message and found
    # nothing left to take by then. It must stay while the second may hand a message back,
    # then send it: a healthy connection is left, so the pass is no outage.
    settings = write_config(
        smtp_config(
            smtp_server, smtp={"pool_size": 2, "messages_per_connection": 1}, slow_down_seconds=0.2
        )
    )
    emails = addresses(3)
    handler = smtp_server.handler
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        handler.greeting_replies = [None, None, BUSY]
        handler.greeting_refusal_delay = 0.5

        report = pipeline.send(rt, "weekly", NOW)

        rows = deliveries(rt)
    assert handler.greetings_refused == 1
    assert (report.sent, report.deferred, report.failed) == (3, 0, 0), report
    assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 1)}
    assert handler.counts() == dict.fromkeys(emails, 1)


def test_a_message_handed_back_waits_for_its_permit_under_a_rate_limit(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # The 421 that turned its connection away pauses every sender: the message handed back
    # takes a permit again like any other, and so waits out the pause before it goes.
    pause = 1.0
    settings = write_config(
        smtp_config(
            smtp_server, smtp={"pool_size": 2}, slow_down_seconds=pause, rate_limit_per_second=4
        )
    )
    emails = addresses(2)
    handler = smtp_server.handler
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        handler.greeting_replies = [None, BUSY]

        report = pipeline.send(rt, "weekly", NOW)

    assert (report.sent, report.failed) == (2, 0), report
    [refused_at] = handler.greetings_refused_at
    [handed_back] = [r for r in handler.received if r.started > refused_at]
    assert handed_back.started - refused_at >= pause * 0.9, handed_back.started - refused_at


def test_a_stop_asked_for_while_a_message_is_handed_back_wins(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # SIGTERM (the progress callback raising StopAfterBatch) after the first batch, while the
    # lane's next message finds its reconnect refused: the send stops as asked (the worker
    # says "Stopped after the current batch", the scheduler records it interrupted), not as an
    # outage; the reader not sent is put back untouched all the same.
    settings = write_config(
        smtp_config(
            smtp_server,
            smtp={"pool_size": 1, "messages_per_connection": 1},
            slow_down_seconds=0.1,
            batch_size=2,
        )
    )
    emails = addresses(4)
    handler = smtp_server.handler

    def stop(_done: int, _todo: int) -> None:
        raise StopAfterBatch

    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        handler.greeting_replies = [None, BUSY]
        with pytest.raises(StopAfterBatch):
            pipeline.send(rt, "weekly", NOW, progress=stop)
        rows = deliveries(rt)
    assert handler.greetings_refused == 1
    sent = [e for e in emails if rows[e].status == "sent"]
    assert len(sent) == 1, sent
    assert untouched(rows, [e for e in emails if e not in sent])


def test_the_hint_after_a_partial_pass_says_only_what_is_true(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # A reader refused for good (550) before the server went busy is failed, as any such
    # reader: the hint must not say that nobody was.
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}))
    emails = addresses(3)
    handler = smtp_server.handler
    handler.by_recipient = {e: ["550 5.1.1 No such user"] for e in emails}

    def busy_from_now(_previous: str | None, _this: str) -> None:
        handler.mail_replies = ["452 4.3.1 Insufficient system storage"] * 5

    handler.on_data = busy_from_now
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        with pytest.raises(ServerUnavailable) as caught:
            pipeline.send(rt, "weekly", NOW)
        rows = deliveries(rt)
    failed = [e for e in emails if rows[e].status == "failed"]
    assert len(failed) == 1, {e: (r.status, r.attempts) for e, r in rows.items()}
    assert untouched(rows, [e for e in emails if e not in failed])
    hint = caught.value.hint
    assert "No reader was failed" not in hint, hint
    assert "not yet sent to had no attempt counted" in hint, hint


def test_a_worker_pass_that_sent_one_issue_before_the_server_went_away_says_so(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # A worker's pass sends each issue under way in turn: the first one's messages got
    # through, so the pass's wait starts again from the interval (PassWaits), though the
    # send of the second got none before the server closed every new connection unheard.
    config = smtp_config(smtp_server, smtp={"pool_size": 1})
    config["lists"].append({**config["lists"][0], "slug": "daily", "name": "The Daily"})
    settings = write_config(config)
    emails = addresses(6)
    busy_after(smtp_server, 3, greeting="")
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        for slug, readers in (("weekly", emails[:3]), ("daily", emails[3:])):
            load_subscribers(rt, readers, slug)
            ref = pipeline.compose(rt, slug, NOW)
            assert ref is not None
            send_start.start_send(rt, ref.id, NOW)
        with pytest.raises(ServerUnavailable) as stopped:
            pipeline.deliver_pending(rt, NOW)
        rows = deliveries(rt)
    assert sorted(smtp_server.handler.counts()) == emails[:3]
    assert untouched(rows, emails[3:])
    assert stopped.value.sent_before


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
    # Every sender's, the plain one's too (see test_sender_deferred.py).
    smtp_server.handler.mail_reply_for = lambda _address: reply
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        with pytest.raises(ServerUnavailable, match=re.escape(reply)) as stopped:
            pipeline.send(rt, "weekly", NOW)
        assert not stopped.value.sent_before
        assert untouched(deliveries(rt), emails)
        smtp_server.handler.mail_reply_for = None
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


def test_an_outage_longer_than_max_retry_hours_fails_no_reader(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # delivery.max_retry_hours ends the retries of a reader whose own attempt is deferred
    # again; an outage is nobody's attempt: the readers not tried wait, however long it lasts,
    # and are sent once the server takes mail again. Their first attempt, deferred then
    # (greylisting, on first contact), gets its retry: before, the outage had used up the
    # window and that first 4xx failed them.
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}, max_retry_hours=1))
    emails = addresses(2)
    smtp_server.handler.busy = BUSY
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        for hours in (0, 2, 30):
            with pytest.raises(ServerUnavailable):
                pipeline.send(rt, "weekly", NOW + timedelta(hours=hours))
            assert untouched(deliveries(rt), emails)
        smtp_server.handler.busy = None
        greylisted = Fault.code(450, "rcpt", "4.2.0 Greylisted")
        smtp_server.handler.faults = {e: [greylisted] for e in emails}
        pipeline.send(rt, "weekly", NOW + timedelta(hours=31))
        first = {(r.status, r.attempts) for r in deliveries(rt).values()}
        report = pipeline.send(rt, "weekly", NOW + timedelta(hours=32))
        rows = deliveries(rt)
    assert first == {("deferred", 1)}, first
    assert (report.sent, report.failed) == (2, 0), report
    assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 2)}
    assert smtp_server.handler.counts() == dict.fromkeys(emails, 1)


def test_a_running_worker_waits_longer_each_time_the_server_is_unavailable(
    write_config, smtp_server: FixtureSMTPServer, processes: Processes
) -> None:
    # The wait starts at --interval (a second at least) and doubles, up to
    # delivery.retry_delay_seconds.
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}, retry_delay_seconds=2))
    emails = addresses(3)
    with pipeline.runtime(settings, NOW) as rt:
        queued_issue(rt, emails)  # now: a worker's passes run on the real clock
    smtp_server.handler.greeting_replies = [BUSY] * 3

    _stdout, stderr = worker_until_sent(processes, settings, smtp_server, len(emails))

    # --interval 0.2, but never less than a second (GrowingWait's floor) after an outage.
    waits = [line for line in stderr.splitlines() if line.startswith("Trying again in")]
    assert waits == [f"Trying again in {s} s." for s in ("1", "2", "2")], stderr
    assert BUSY in stderr and "delivery.smtp.host" in stderr
    assert smtp_server.handler.counts() == dict.fromkeys(emails, 1)
    with pipeline.runtime(settings, NOW) as rt:
        rows = deliveries(rt)
    assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 1)}


def test_the_service_worker_waits_longer_each_time_the_server_is_unavailable(
    write_config, smtp_server: FixtureSMTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    config = smtp_config(smtp_server, smtp={"pool_size": 1}, retry_delay_seconds=2)
    config["service"] = {"worker_interval_seconds": 0.2}
    settings = write_config(config)
    emails = addresses(3)
    with pipeline.runtime(settings, NOW) as rt:
        queued_issue(rt, emails)  # now: the service's passes run on the real clock
        smtp_server.handler.greeting_replies = [BUSY] * 3
        said = service_worker_until_sent(rt, settings, smtp_server, len(emails), caplog)
        rows = deliveries(rt)
    assert len(said) == 3 and all(BUSY in line for line in said), said
    # From the interval, a second at least (GrowingWait's floor), doubled up to the cap.
    assert [line.rpartition("again in ")[2] for line in said] == ["1 s", "2 s", "2 s"]
    assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 1)}


def test_digest_send_says_the_server_is_unavailable_and_that_no_attempt_was_counted(
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
    assert "delivery.smtp.host" in result.stderr
    assert "not yet sent to had no attempt counted" in result.stderr
    with pipeline.runtime(settings, NOW) as rt:
        assert untouched(deliveries(rt), emails)


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
@pytest.mark.parametrize("bounce_address", [None, "bounces@example.net"], ids=["no VERP", "VERP"])
def test_a_server_that_never_answers_mail_from_counts_no_attempt(
    write_config, smtp_server: FixtureSMTPServer, pipelining: bool, bounce_address: str | None
) -> None:
    # Every MAIL FROM answered later than delivery.smtp.timeout_seconds (a slow check of the
    # sender): nothing was said of any reader (asked alone on another session, MAIL FROM is
    # not answered either), so it is the server's state, pass after pass (before: every
    # reader tried was deferred "before data", an attempt counted each time, until
    # max_attempts failed readers the server never refused). Pipelined, the RCPT TO went with
    # it and the silence may have been the reader's: see
    # test_a_slow_recipient_behind_a_pipelined_mail_from_holds_up_no_one.
    settings = write_config(
        smtp_config(
            smtp_server,
            smtp={"pool_size": 2, "timeout_seconds": 0.3},
            bounce_address=bounce_address,
        )
    )
    smtp_server.handler.pipelining = pipelining
    smtp_server.handler.mail_stall = 1.0
    emails = addresses(4)
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        for minutes in range(2):
            with pytest.raises(ServerUnavailable, match="MAIL FROM"):
                pipeline.send(rt, "weekly", NOW + timedelta(minutes=minutes))
        rows = deliveries(rt)
    assert untouched(rows, emails), {e: (r.status, r.attempts) for e, r in rows.items()}
    assert not smtp_server.handler.received


@pytest.mark.parametrize("pool_size", [1, 2])
def test_a_slow_recipient_behind_a_pipelined_mail_from_holds_up_no_one(
    write_config, smtp_server: FixtureSMTPServer, pool_size: int
) -> None:
    # A server that holds its pipelined replies while it checks a recipient (a slow DNS
    # look-up of the reader's domain): no reply at all to the group within the timeout. That
    # silence may be the reader's: counted as any loss before the data, the others sent in
    # the same pass (before, read as a silent MAIL FROM, the server's state: every pass
    # stopped at that reader, nobody counted, and with one connection nobody was ever sent).
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": pool_size, "timeout_seconds": 0.3})
    )
    smtp_server.handler.pipelining = True
    emails = addresses(5)
    smtp_server.handler.slow_recipients = {emails[0]}
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        pipeline.send(rt, "weekly", NOW)
        rows = deliveries(rt)
    assert rows[emails[0]].attempts >= 1, {e: (r.status, r.attempts) for e, r in rows.items()}
    assert all(rows[e].status == "sent" for e in emails[1:]), {
        e: (r.status, r.attempts) for e, r in rows.items()
    }


VERP_PLAIN = "bounces@example.net"


def _send_one(server: FixtureSMTPServer, sender: str) -> SendResult:
    pool = SmtpPool(
        host="127.0.0.1", port=server.port, security="none", size=1, timeout=2,
        plain_sender=VERP_PLAIN,
    )  # fmt: skip

    async def go() -> SendResult:
        await pool.open()
        try:
            return await pool.send(
                sender, "reader@example.org", b"Subject: hi\r\n\r\nHi.\r\n", lane=0
            )
        finally:
            await pool.close()

    return asyncio.run(go())


def test_a_twin_refused_at_the_greeting_after_a_silent_mail_from_counts_nobody(
    smtp_server: FixtureSMTPServer,
) -> None:
    # Every MAIL FROM met with a close; the twin's own new connection refused at the greeting
    # (busy): nothing is known of this reader's sender, the server's state (before: any reply
    # to the twin's question, a 421 greeting included, counted the reader).
    smtp_server.handler.mail_reply_for = lambda address: ""
    smtp_server.handler.greeting_replies = [None, None, "421 4.7.0 Too many connections"]
    result = _send_one(smtp_server, "bounces+abc123@example.net")
    assert result.server_unavailable, result


def test_a_twin_deferred_after_a_silent_mail_from_counts_nobody(
    smtp_server: FixtureSMTPServer,
) -> None:
    # The sender's check dropped twice, then "try again later" to the twin: the server's
    # state, nobody counted (before: the 451 to the twin counted the reader).
    asked: list[str] = []

    def flaky(address: str) -> str | None:
        asked.append(address)
        return "" if len(asked) <= 2 else "451 4.3.0 Temporary lookup failure"

    smtp_server.handler.mail_reply_for = flaky
    result = _send_one(smtp_server, "bounces+abc123@example.net")
    assert result.server_unavailable, result


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
def test_a_server_closing_at_every_mail_from_counts_no_attempt(
    write_config, smtp_server: FixtureSMTPServer, pipelining: bool
) -> None:
    # Every MAIL FROM met with a close, whoever the reader: the server's state, nobody
    # counted (before, pipelined: every reader counted each pass, failed at max_attempts).
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": 2, "timeout_seconds": 0.3}, max_attempts=2)
    )
    smtp_server.handler.pipelining = pipelining
    smtp_server.handler.mail_reply_for = lambda address: ""
    emails = addresses(4)
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        for minutes in range(3):
            with pytest.raises(ServerUnavailable):
                pipeline.send(rt, "weekly", NOW + timedelta(minutes=minutes))
        rows = deliveries(rt)
    assert untouched(rows, emails), {e: (r.status, r.attempts) for e, r in rows.items()}


def test_a_server_silent_at_one_readers_own_transaction_holds_up_no_one(
    write_config,
) -> None:
    # A server that closes at MAIL FROM only when it carries SMTPUTF8, which a UTF-8 reader's
    # address asks for, one sender for every reader (no VERP): asked alone, the same MAIL
    # FROM without it is taken, so the silence was that reader's, counted, and the others are
    # sent (before: the server's state, every pass stopped at that reader, nobody sent with
    # one connection).
    server = FixtureSMTPServer(smtputf8=True).start()
    try:
        server.handler.mail_closes_with = "SMTPUTF8"
        settings = write_config(smtp_config(server, smtp={"pool_size": 1, "timeout_seconds": 0.5}))
        emails = ["\u00fcmlaut@example.org", *addresses(3)]
        with pipeline.runtime(settings, NOW) as rt:
            pipeline.collect(rt, NOW)
            load_subscribers(rt, emails)
            pipeline.send(rt, "weekly", NOW)
            rows = deliveries(rt)
    finally:
        server.stop()
    table = {e: (r.status, r.attempts) for e, r in rows.items()}
    assert rows[emails[0]].attempts == 1, table
    assert all(rows[e].status == "sent" for e in emails[1:]), table
