"""A lane's next transaction begun with the final dot of its message (RFC 2920: the message
data first in a group, DATA last): one round trip a message instead of two, and no message
the server did not get whole, whatever happens to either transaction."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from digest import pipeline
from digest.delivery import shared_rate
from digest.delivery.smtp import SmtpPool
from digest.delivery.transport import SendResult
from tests.delivery.scenario import NOW, addresses, load_subscribers, smtp_config
from tests.servers import Fault, FixtureSMTPServer

FROM = "digest@example.org"
MESSAGE = b"Subject: hi\r\n\r\nHello.\r\n"
# (recipient, the recipient the same lane sends next, or None)
Plan = Sequence[tuple[str, str | None]]


def _lane(server: FixtureSMTPServer, plan: Plan, size: int = 1) -> list[SendResult]:
    """Each recipient of plan sent in turn on lane 0 of a pool, the next one named with it."""
    pool = SmtpPool(host="127.0.0.1", port=server.port, security="none", size=size, timeout=5)

    async def send() -> list[SendResult]:
        await pool.open()
        try:
            return [
                await pool.send(
                    FROM, to, MESSAGE, lane=0, then=(FROM, upcoming) if upcoming else None
                )
                for to, upcoming in plan
            ]
        finally:
            await pool.close()

    return asyncio.run(send())


def _chain(recipients: list[str]) -> Plan:
    return list(zip(recipients, [*recipients[1:], None], strict=True))


def test_the_next_transaction_goes_with_the_final_dot(smtp_server: FixtureSMTPServer) -> None:
    smtp_server.handler.pipelining = True
    emails = addresses(5)

    results = _lane(smtp_server, _chain(emails))

    assert [r.outcome for r in results] == ["sent"] * 5
    assert [to for _f, (to,), _c in smtp_server.handler.messages] == emails
    # After each message but the last, the next one's MAIL FROM, RCPT TO and DATA had come
    # with its final dot.
    assert smtp_server.handler.followed == [True] * 4 + [False]
    assert smtp_server.connections == 2  # the pool's check at open, then its one session


def test_without_pipelining_the_next_transaction_waits_for_the_reply(
    smtp_server: FixtureSMTPServer,
) -> None:
    emails = addresses(3)

    results = _lane(smtp_server, _chain(emails))

    assert [r.outcome for r in results] == ["sent"] * 3
    assert smtp_server.handler.followed == [False] * 3
    assert smtp_server.handler.pipelined == [False] * 3


@pytest.mark.parametrize("then_closed", [True, False], ids=["pool-closed", "another-message"])
def test_a_transaction_begun_for_a_message_never_sent_delivers_nothing(
    smtp_server: FixtureSMTPServer, then_closed: bool
) -> None:
    """The server waits for the data of the transaction begun with the dot: when the lane then
    sends another message, or none, the session is dropped, never ended with an empty one."""
    smtp_server.handler.pipelining = True
    first, promised, other = addresses(3)
    plan: Plan = [(first, promised)] if then_closed else [(first, promised), (other, None)]

    results = _lane(smtp_server, plan)

    assert [r.outcome for r in results] == ["sent"] * len(plan)
    received = [to for _f, (to,), _c in smtp_server.handler.messages]
    assert received == [first] if then_closed else [first, other]
    assert smtp_server.handler.count(promised) == 0


def test_a_refusal_of_the_next_recipient_fails_that_message_alone(
    smtp_server: FixtureSMTPServer,
) -> None:
    smtp_server.handler.pipelining = True
    first, refused, last = addresses(3)
    smtp_server.handler.faults = {refused: [Fault.code(550, "rcpt")]}

    results = _lane(smtp_server, _chain([first, refused, last]))

    assert [r.outcome for r in results] == ["sent", "failed", "sent"]
    assert results[1].reply.startswith("550")
    assert [to for _f, (to,), _c in smtp_server.handler.messages] == [first, last]


def test_a_421_to_the_data_closes_the_session_and_the_next_goes_on_a_new_one(
    smtp_server: FixtureSMTPServer,
) -> None:
    """421 says the server is closing the channel (RFC 5321 4.2.3): the transaction begun
    behind that message is dropped with the session, never left for its data on it."""
    smtp_server.handler.pipelining = True
    first, next_one, last = addresses(3)
    smtp_server.handler.faults = {first: [Fault.code(421, "data")]}

    before = smtp_server.connections
    results = _lane(smtp_server, _chain([first, next_one, last]))

    assert [r.outcome for r in results] == ["deferred", "sent", "sent"]
    assert results[0].slow_down
    assert [to for _f, (to,), _c in smtp_server.handler.messages] == [next_one, last]
    assert smtp_server.connections - before == 2  # the one the 421 ended, and a new one


def test_a_servers_pause_never_holds_a_begun_transaction_waiting_for_its_data(
    write_config,  # type: ignore[no-untyped-def]
    smtp_server: FixtureSMTPServer,
) -> None:
    """During a 421's pause no lane leaves the server waiting for data it said 354 to: a lane
    begins the next transaction behind its dot only when that message may go at once."""
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": 2}, batch_size=10, slow_down_seconds=2)
    )
    handler = smtp_server.handler
    handler.pipelining = True
    emails = addresses(30)
    handler.faults = {emails[10]: [Fault.code(421, "data")]}
    rcpt_at: dict[str, float] = {}
    waited: dict[str, float] = {}
    original = handler.handle_RCPT

    async def rcpt(server, session, envelope, address, options):  # type: ignore[no-untyped-def]
        rcpt_at[address] = time.monotonic()
        return await original(server, session, envelope, address, options)

    handler.handle_RCPT = rcpt  # type: ignore[method-assign]
    handler.on_data = lambda _prev, to: waited.__setitem__(to, time.monotonic() - rcpt_at[to])
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        pipeline.send(rt, "weekly", NOW)

    # The refused one is deferred, for a later pass; every other reader has theirs.
    assert handler.counts() == dict.fromkeys(emails[:10] + emails[11:], 1)
    assert max(waited.values()) < 1.0, {to: s for to, s in waited.items() if s >= 1.0}


def test_a_drop_after_the_data_sends_the_next_message_on_a_new_session(
    smtp_server: FixtureSMTPServer,
) -> None:
    """The dropped message may have been accepted (uncertain); the next one's data never left,
    so it goes whole on a new session, once."""
    smtp_server.handler.pipelining = True
    first, next_one, last = addresses(3)
    smtp_server.handler.faults = {first: [Fault.dropped("data")]}

    results = _lane(smtp_server, _chain([first, next_one, last]))

    assert [r.outcome for r in results] == ["uncertain", "sent", "sent"]
    assert [to for _f, (to,), _c in smtp_server.handler.messages] == [next_one, last]
    assert smtp_server.connections == 3  # the check at open, the dropped session, a new one


def test_a_next_address_no_command_may_carry_is_not_begun(
    smtp_server: FixtureSMTPServer,
) -> None:
    smtp_server.handler.pipelining = True
    first, last = addresses(2)
    evil = "evil@example.org>\r\nRCPT TO:<victim@example.net"

    results = _lane(smtp_server, [(first, evil), (evil, last), (last, None)])

    assert [r.outcome for r in results] == ["sent", "failed", "sent"]
    assert smtp_server.handler.attempts == {first: 1, last: 1}


@pytest.mark.parametrize("pause_check", [None, 0.02], ids=["default", "frequent pause checks"])
def test_the_send_loop_keeps_each_lanes_transactions_going_across_batches(
    write_config, smtp_server: FixtureSMTPServer, monkeypatch, pause_check: float | None
) -> None:
    """Through `digest send`: on a server offering PIPELINING every message but each lane's
    last has the next transaction behind its final dot, batch after batch: the next batch is
    claimed while the last messages of the one before are on their way. Nor does the look at
    the shared pause, due every PAUSE_CHECK_SECONDS, break a lane's chain (before, each one
    did: a send slower than a second, on a loaded machine, had more than one a lane)."""
    if pause_check is not None:
        monkeypatch.setattr(shared_rate, "PAUSE_CHECK_SECONDS", pause_check)

    followed = _send_in_batches_on_three_lanes(write_config, smtp_server, 120)

    assert followed.count(False) <= 3, followed  # one a lane, not one a lane and batch


def test_a_pause_check_falling_due_between_two_looks_breaks_no_chain(
    write_config, smtp_server: FixtureSMTPServer, monkeypatch
) -> None:
    """Whether the next message may go at once is asked once a message: the shared pause's
    look falling due between two asks (every answer here is the window's last moment) left
    the next transaction unbegun (before: nearly every message went unfollowed; on a loaded
    machine, now and then one more than a lane's last)."""
    at_once = shared_rate.SharedRateLimit.at_once

    def last_moment(self: shared_rate.SharedRateLimit) -> bool:
        free = at_once(self)
        self._free_until = 0.0  # due again from the next ask on
        return free

    monkeypatch.setattr(shared_rate.SharedRateLimit, "at_once", last_moment)

    followed = _send_in_batches_on_three_lanes(write_config, smtp_server, 30)

    assert followed.count(False) <= 3, followed


def _send_in_batches_on_three_lanes(
    write_config, smtp_server: FixtureSMTPServer, readers: int
) -> list[bool]:
    """`digest send` to `readers` in batches of ten over three pipelined connections, each
    reader's one copy checked: whether each message's final dot had the next transaction
    behind it."""
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 3}, batch_size=10))
    smtp_server.handler.pipelining = True
    emails = addresses(readers)
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        report = pipeline.send(rt, "weekly", NOW)

    assert report.sent == len(emails)
    assert sorted(smtp_server.handler.counts().values()) == [1] * len(emails)
    assert len(smtp_server.handler.followed) == len(emails)
    return smtp_server.handler.followed


@pytest.mark.parametrize("extra", ["250 2.0.0 Ok", "354 End data with <CR><LF>.<CR><LF>"])
def test_a_server_out_of_step_fails_no_reader(smtp_server: FixtureSMTPServer, extra: str) -> None:
    """A server that answers a message's data twice: the replies to the next transaction,
    begun behind its final dot, are each one command late, and a 2xx or 354 where a refusal
    is looked for is no refusal (before: the next reader failed for good, with "250 2.1.5 Ok"
    as the server's reply, or a 354 to MAIL FROM stopped the send as a refusal of the
    sender): the session is dropped, and the message asked for once on a new session, where
    no stale reply waits, nobody counted."""
    smtp_server.handler.pipelining = True
    first, second, third = addresses(3)
    smtp_server.handler.extra_replies = {first: extra}

    results = _lane(smtp_server, _chain([first, second, third]))

    assert [r.outcome for r in results] == ["sent", "sent", "sent"], results
    assert [smtp_server.handler.count(a) for a in (first, second, third)] == [1, 1, 1]


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
def test_a_server_closing_after_each_message_costs_the_next_reader_nothing(
    smtp_server: FixtureSMTPServer, pipelining: bool
) -> None:
    """A server that closes the connection, without a word, after each message it accepts:
    the transaction begun behind a final dot never reached it, so the next message goes on
    a new session, not counted as that reader's deferral (before: every other reader was
    deferred "before data", an attempt each, pass after pass, until max_attempts failed
    some)."""
    smtp_server.handler.pipelining = pipelining
    smtp_server.handler.messages_per_connection = 1
    emails = addresses(4)

    results = _lane(smtp_server, _chain(emails))

    assert [r.outcome for r in results] == ["sent"] * 4, results
    assert smtp_server.handler.counts() == dict.fromkeys(emails, 1)


def test_a_reply_out_of_step_to_the_data_is_uncertain(smtp_server: FixtureSMTPServer) -> None:
    """A server that answers RCPT TO with a 354 after its 250: its own 354 to DATA is then
    read as the reply to the message data, which the server accepts (before: that reader
    failed for good, with "354" as the server's reply, for a message it got): the session
    is dropped and the message uncertain, as for a connection lost after the data; the next
    goes on a new session."""
    smtp_server.handler.pipelining = True
    first, second = addresses(2)
    smtp_server.handler.extra_rcpt_replies = {first: "354 End data with <CR><LF>.<CR><LF>"}

    results = _lane(smtp_server, _chain([first, second]))

    assert [r.outcome for r in results] == ["uncertain", "sent"], results


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-by-one"])
def test_any_positive_completion_to_the_data_is_sent(
    smtp_server: FixtureSMTPServer, pipelining: bool
) -> None:
    """RFC 5321 4.2.1: a 2yz reply is a positive completion, whichever; a server answering
    the data with one other than 250 took the message (before: that reader failed for good,
    as a refusal, for a message the server had accepted)."""
    smtp_server.handler.pipelining = pipelining
    first, second = addresses(2)
    smtp_server.handler.by_recipient = {first: ["252 2.0.0 Queued as 4F2A"]}

    results = _lane(smtp_server, _chain([first, second]))

    assert [r.outcome for r in results] == ["sent", "sent"], results


def test_a_stale_refusal_out_of_step_stops_nothing(smtp_server: FixtureSMTPServer) -> None:
    """A server that answers the first message's data twice, 250 then 550: the next
    transaction, begun behind that final dot, reads the stale 550 as the reply to its MAIL
    FROM and a 250 to its RCPT TO, which a server never gives after a refused MAIL FROM
    (503): out of step, the session dropped and the message sent on a new one, once (before:
    a refusal of the sender, which stops the whole send)."""
    smtp_server.handler.pipelining = True
    first, second, third = addresses(3)
    smtp_server.handler.extra_replies = {first: "550 5.7.1 Message content rejected"}

    results = _lane(smtp_server, _chain([first, second, third]))

    assert [r.outcome for r in results] == ["sent", "sent", "sent"], results
    assert [smtp_server.handler.count(a) for a in (first, second, third)] == [1, 1, 1]
