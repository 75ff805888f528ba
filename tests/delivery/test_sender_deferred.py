"""A refusal of one message's MAIL FROM is told apart from one of every reader's by asking, on
the same connection, for the plain envelope sender (delivery.bounce_address without a reader's
token, else the From address) and then for the message's own once more. Taken both times: a
passing refusal, and the message goes, no attempt counted. The plain one taken and the
message's own refused again: without VERP, the sender every reader shares (nothing counted);
with VERP, its twin (another token of the same shape) is asked for: taken, the refusal is of that
reader's own sender, so that reader's deferral, counted, and the send goes on; refused, every
reader's token is: a refusal of the sender, the send stops, nothing counted. The plain one
refused too: every reader's sender is, which is the server's state for a 4xx
(ServerUnavailable, no attempt counted; see test_server_unavailable.py)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from digest import pipeline
from digest.config import Settings
from digest.delivery.envelope import envelope_sender
from digest.delivery.smtp import SmtpPool, _Connection
from digest.delivery.transport import SendResult
from digest.errors import SenderRefused, ServerUnavailable
from digest.models import Delivery, MailingList, Subscriber
from tests.conftest import TEST_FROM
from tests.delivery.scenario import (
    NOW,
    addresses,
    deliveries,
    load_subscribers,
    smtp_config,
    untouched,
)
from tests.servers import Fault, FixtureSMTPServer

DEFERRED = "451 4.3.0 Temporary failure, try again later"
SLOW_DOWN = "454 4.7.0 Slow down"
REFUSED_FOR_GOOD = "553 5.7.1 Sender address rejected: not owned by user"
BOUNCES = "bounces@example.net"


def sender_of(rt: pipeline.Runtime, email: str) -> str:
    """The VERP envelope sender of this reader's messages on the weekly list."""
    with rt.sessions() as session:
        subscriber = session.scalar(select(Subscriber.id).where(Subscriber.email == email))
        list_id = session.scalar(select(MailingList.id).where(MailingList.slug == "weekly"))
    assert subscriber is not None and list_id is not None
    return envelope_sender(rt.settings, rt.signer, subscriber, list_id)


def send_refusing(
    write_config: Callable[..., Settings],
    smtp_server: FixtureSMTPServer,
    emails: list[str],
    refuse: Callable[[str], str | None],
    raises: tuple[type[Exception], str],
    bounce_address: str | None = BOUNCES,
    pool_size: int = 1,
    passes: int = 1,
) -> dict[str, Delivery]:
    """The weekly issue sent to these readers (`passes` times, a minute apart), the server
    answering each MAIL FROM with refuse(address) (None: taken); each send must raise `raises`
    (the error, a pattern of its message). The rows after."""
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": pool_size}, bounce_address=bounce_address)
    )
    smtp_server.handler.mail_reply_for = refuse
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        for minutes in range(passes):
            with pytest.raises(raises[0], match=raises[1]):
                pipeline.send(rt, "weekly", NOW + timedelta(minutes=minutes))
        return deliveries(rt)


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
@pytest.mark.parametrize("pool_size", [1, 3])
@pytest.mark.parametrize("which", [0, -1], ids=["first reader", "last reader"])
@pytest.mark.parametrize(
    "reply",
    [
        DEFERRED,
        # Postfix's check_sender_access, for this one address: the sender's words, but of
        # this reader's own sender alone (the plain one is taken).
        "450 4.7.1 <bounces+x@example.net>: Sender address rejected: Access denied",
        "553 5.7.1 <bounces+x@example.net>: Sender address rejected: not owned by user",
    ],
    ids=["451", "450 sender words", "553 sender words"],
)
def test_one_readers_own_sender_refused_defers_that_reader_alone(
    write_config,
    smtp_server: FixtureSMTPServer,
    pipelining: bool,
    pool_size: int,
    which: int,
    reply: str,
) -> None:
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": pool_size}, bounce_address=BOUNCES)
    )
    emails = addresses(6)
    smtp_server.handler.pipelining = pipelining
    own_sender_refused_twice(settings, smtp_server, emails, emails[which], reply)


def own_sender_refused_twice(
    settings: Settings, smtp_server: FixtureSMTPServer, emails: list[str], refused: str, reply: str
) -> None:
    """The weekly issue sent to these readers, then again a day later, the server refusing the
    reader `refused`'s own VERP sender with `reply` every time: that reader deferred and
    counted each time (never a pass that ends with it untried), every other one sent once."""
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        own = sender_of(rt, refused)
        smtp_server.handler.mail_reply_for = lambda address: reply if address == own else None
        report = pipeline.send(rt, "weekly", NOW)
        rows = deliveries(rt)
        assert report.sent == len(emails) - 1, report
        assert (rows[refused].status, rows[refused].attempts) == ("deferred", 1)
        assert rows[refused].last_reply is not None and reply in rows[refused].last_reply
        assert all(rows[e].status == "sent" for e in emails if e != refused)
        pipeline.send(rt, "weekly", NOW + timedelta(days=1))
        assert deliveries(rt)[refused].attempts == 2
    assert smtp_server.handler.counts() == {e: 1 for e in emails if e != refused}


@pytest.mark.parametrize(
    ("bounce_address", "refused"),
    [
        (None, lambda address: address == TEST_FROM),  # no VERP: every reader's sender
        (BOUNCES, lambda address: address.endswith("@example.net")),  # the bounce domain's
    ],
    ids=["the From address", "every VERP sender"],
)
def test_a_sender_every_reader_shares_deferred_counts_no_reader(
    write_config,
    smtp_server: FixtureSMTPServer,
    bounce_address: str | None,
    refused: Callable[[str], bool],
) -> None:
    # The null sender is taken all along: only the senders of our own are refused.
    emails = addresses(5)
    rows = send_refusing(
        write_config,
        smtp_server,
        emails,
        lambda address: DEFERRED if refused(address) else None,
        (ServerUnavailable, re.escape(DEFERRED)),
        bounce_address=bounce_address,
        pool_size=2,
    )
    assert untouched(rows, emails)
    assert not smtp_server.handler.received


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
@pytest.mark.parametrize("bounce_address", [None, BOUNCES], ids=["no VERP", "VERP"])
def test_a_passing_refusal_of_mail_from_costs_nothing(
    write_config, smtp_server: FixtureSMTPServer, bounce_address: str | None, pipelining: bool
) -> None:
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": 1}, bounce_address=bounce_address)
    )
    emails = addresses(4)
    smtp_server.handler.pipelining = pipelining
    smtp_server.handler.mail_replies = [DEFERRED]  # the first MAIL FROM only
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        assert pipeline.send(rt, "weekly", NOW).sent == 4
        rows = deliveries(rt)
    assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 1)}
    assert smtp_server.handler.counts() == dict.fromkeys(emails, 1)


@pytest.mark.parametrize("pool_size", [1, 4])
def test_every_verp_sender_refused_the_plain_one_taken_stops_the_send_counting_no_one(
    write_config, smtp_server: FixtureSMTPServer, pool_size: int
) -> None:
    # A relay that refuses every address with a token (a sender verify callout to our bounce
    # host failing, its plain address in the callout cache; Postfix's sender login maps): a
    # twin (another token of the same shape) refused too, the send stops, nobody counted.
    emails = addresses(12)
    refuse = lambda address: DEFERRED if "+" in address else None  # noqa: E731
    rows = send_refusing(
        write_config,
        smtp_server,
        emails,
        refuse,
        (SenderRefused, re.escape(DEFERRED)),
        pool_size=pool_size,
        passes=3,
    )
    assert untouched(rows, emails), {e: (r.status, r.attempts) for e, r in rows.items()}
    assert not smtp_server.handler.received


def test_readers_in_a_row_whose_own_senders_are_refused_hold_up_no_one(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}, bounce_address=BOUNCES))
    emails = addresses(10)
    refused = emails[3:7]
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        own = {sender_of(rt, e) for e in refused}
        smtp_server.handler.mail_reply_for = lambda address: DEFERRED if address in own else None
        report = pipeline.send(rt, "weekly", NOW)
        rows = deliveries(rt)
    assert report.sent == 6, report
    assert {e: (rows[e].status, rows[e].attempts) for e in refused} == dict.fromkeys(
        refused, ("deferred", 1)
    )
    assert smtp_server.handler.counts() == {e: 1 for e in emails if e not in refused}


def test_a_server_refusing_every_other_mail_from_counts_no_reader_without_verp(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # Without VERP nothing at MAIL FROM is one reader's: a flaky server costs no attempt.
    emails = addresses(4)
    asked = []

    def every_other(address: str) -> str | None:
        asked.append(address)
        return DEFERRED if len(asked) % 2 else None

    error = (ServerUnavailable, re.escape(DEFERRED))
    rows = send_refusing(write_config, smtp_server, emails, every_other, error, bounce_address=None)
    assert untouched(rows, emails)


def test_a_slow_down_at_mail_from_is_every_connections_pause_not_a_readers_deferral(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # A 454 that leaves the connection open (a 421 closes it, so nothing could be asked after).
    emails = addresses(3)
    slow_down = "454 4.7.0 Slow down"
    refuse = lambda address: slow_down if "+" in address else None  # noqa: E731
    rows = send_refusing(write_config, smtp_server, emails, refuse, (ServerUnavailable, "454"))
    assert untouched(rows, emails)


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
@pytest.mark.parametrize("slow_down", ["454 4.7.0 Slow down", "421 4.7.0 Too busy, closing"])
def test_a_slow_down_to_the_message_asked_again_is_not_the_readers_deferral(
    write_config, smtp_server: FixtureSMTPServer, pipelining: bool, slow_down: str
) -> None:
    asked: list[str] = []

    def refuse(address: str) -> str | None:
        asked.append(address)
        own = [a for a in asked if "+" in a]
        if "+" not in address or len(own) > 2:
            return None
        return DEFERRED if len(own) == 1 else slow_down  # then a pause, asked again

    smtp_server.handler.pipelining = pipelining
    emails = addresses(2)
    rows = send_refusing(
        write_config, smtp_server, emails, refuse, (ServerUnavailable, slow_down[:3])
    )
    assert untouched(rows, emails)


def test_a_test_mails_from_address_refused_is_a_refusal_of_the_sender(
    smtp_server: FixtureSMTPServer,
) -> None:
    # `digest send-test` goes from the From address, not a VERP sender of the bounce address:
    # its refusal is never taken for one reader's own.
    refusal = "553 5.7.1 <digest@weekly.example.net>: Sender address rejected: not owned by user"
    smtp_server.handler.mail_reply_for = lambda address: refusal if address == TEST_FROM else None
    pool = SmtpPool(host="127.0.0.1", port=smtp_server.port, security="none", plain_sender=BOUNCES)

    async def send() -> SendResult:
        lane = _Connection(pool)
        try:
            return await lane.send(TEST_FROM, "reader@example.org", b"x\r\n", None)
        finally:
            await lane.close()

    result = asyncio.run(send())
    assert result.sender_refused and "own envelope sender" not in result.reply, result


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
@pytest.mark.parametrize(
    ("own_reply", "answer", "asked_for", "raised"),
    [
        (DEFERRED, SLOW_DOWN, "the plain sender", (ServerUnavailable, "454")),
        (DEFERRED, SLOW_DOWN, "the twin", (ServerUnavailable, "454")),
        # Exim's ACL "drop": a 5xx, then the connection closed. Nothing more can be asked,
        # and the refusal says what it is: the operator is told to fix the sender, never
        # "the server is busy" again and again.
        (REFUSED_FOR_GOOD, "", "the plain sender", (SenderRefused, "553")),
        # The plain sender taken on a connection that stayed open through two refusals, then
        # lost when the twin is asked for: nothing known of any sender, the server's state.
        (REFUSED_FOR_GOOD, "", "the twin", (ServerUnavailable, "lost while asking")),
    ],
    ids=["slow down-plain", "slow down-twin", "closed-plain", "closed-twin"],
)
def test_a_slow_down_or_a_close_when_a_sender_is_asked_for_counts_nobody(
    write_config,
    smtp_server: FixtureSMTPServer,
    pipelining: bool,
    asked_for: str,
    own_reply: str,
    answer: str,
    raised: tuple[type[Exception], str],
) -> None:
    # The first reader's own sender refused; the server's answer to the sender asked for to
    # tell whose refusal it is: a slow down is every connection's pause; a close leaves the
    # refusal alone to say what it is.
    emails = addresses(2)
    smtp_server.handler.pipelining = pipelining
    own: list[str] = []

    def refuse(address: str) -> str | None:
        if address == BOUNCES:
            return answer if asked_for == "the plain sender" else None
        if not own:
            own.append(address)  # the first reader's own sender: refused every time
        if address == own[0]:
            return own_reply
        return answer  # its twin (no other reader gets this far)

    rows = send_refusing(write_config, smtp_server, emails, refuse, raised)
    assert untouched(rows, emails)


def test_a_bounce_address_with_a_plus_keeps_it_in_the_twin(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # bounce_address list+bounces@…: the server takes it and its extensions only; one reader's
    # own sender refused is that reader's deferral, never a refusal of every reader's.
    bounces = "list+bounces@example.net"
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}, bounce_address=bounces))
    emails = addresses(3)
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        refused = sender_of(rt, emails[0])

        def refuse(address: str) -> str | None:
            ours = address == bounces or address.startswith("list+bounces+")
            return DEFERRED if address == refused or not ours else None

        smtp_server.handler.mail_reply_for = refuse
        report = pipeline.send(rt, "weekly", NOW)
        rows = deliveries(rt)
    assert report.sent == 2, report
    assert (rows[emails[0]].status, rows[emails[0]].attempts) == ("deferred", 1)


def test_a_server_refusing_every_long_verp_sender_refuses_their_twin_too(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # RFC 5321's 64-octet local part enforced, a long bounce address: every reader's token is
    # too long, the plain sender is not. The sender asked for to tell them apart has the same
    # shape, so it is refused too: a refusal of the sender, nobody counted.
    long_local = "weekly-digest-newsletter-bounces"
    emails = addresses(4)

    def refuse(address: str) -> str | None:
        too_long = len(address.rpartition("@")[0]) > 64
        return "553 5.1.3 local part too long" if too_long else None

    rows = send_refusing(
        write_config,
        smtp_server,
        emails,
        refuse,
        (SenderRefused, "553"),
        bounce_address=f"{long_local}@example.net",
        passes=2,
    )
    assert untouched(rows, emails)


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
@pytest.mark.parametrize(
    ("reset_reply", "bounce_address"),
    [
        ("421 4.7.0 Too many errors, closing", None),
        # With VERP: a 4xx to the reset is no refusal of the next reader's own sender, even
        # though its twin would be taken on a new connection.
        ("451 4.3.2 System not accepting network messages", BOUNCES),
    ],
    ids=["421", "451 VERP"],
)
def test_a_4xx_to_the_reset_before_a_reader_is_named_counts_nobody(
    write_config,
    smtp_server: FixtureSMTPServer,
    pipelining: bool,
    reset_reply: str,
    bounce_address: str | None,
) -> None:
    # The first reader refused at RCPT TO (the transaction reset before the next), then the
    # server refuses that RSET (a 421 closes): the next reader was not named, the server's
    # state (a 421's pause is every lane's).
    settings = write_config(
        smtp_config(
            smtp_server,
            smtp={"pool_size": 1},
            slow_down_seconds=0.1,
            bounce_address=bounce_address,
        )
    )
    emails = addresses(3)
    smtp_server.handler.pipelining = pipelining
    smtp_server.handler.faults = {emails[0]: [Fault.code(550, "rcpt")]}
    smtp_server.handler.rset_replies = [reset_reply]
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        with pytest.raises(ServerUnavailable, match=reset_reply[:3]):
            pipeline.send(rt, "weekly", NOW)
        rows = deliveries(rt)
    assert (rows[emails[0]].status, rows[emails[0]].attempts) == ("failed", 1)
    assert untouched(rows, emails[1:])


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
@pytest.mark.parametrize(
    "reply",
    [
        # A server without RSET (RFC 5321 requires it), or one closing at it without a word.
        "502 5.5.2 Error: command not recognized",
        "",
    ],
    ids=["502", "closed"],
)
def test_a_session_that_cannot_be_reset_is_replaced_and_counts_nobody(
    write_config, smtp_server: FixtureSMTPServer, pipelining: bool, reply: str
) -> None:
    # Every other reader refused at RCPT TO, and every reset after it fails: the next reader,
    # not yet named, goes on a new session (which needs no reset), in the same pass, counted
    # once (before, each was a counted "before data" deferral; then, each cost a whole pass).
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}))
    emails = addresses(8)
    refused = emails[::2]
    smtp_server.handler.pipelining = pipelining
    smtp_server.handler.faults = {e: [Fault.code(550, "rcpt")] for e in refused}
    smtp_server.handler.rset_replies = [reply] * len(emails)
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        report = pipeline.send(rt, "weekly", NOW)
        rows = deliveries(rt)
    assert report.sent == len(emails) - len(refused), report
    assert {e: (rows[e].status, rows[e].attempts) for e in emails} == {
        e: ("failed", 1) if e in refused else ("sent", 1) for e in emails
    }
    assert smtp_server.handler.counts() == {e: 1 for e in emails if e not in refused}


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
@pytest.mark.parametrize(
    "close_at_limit",
    [None, "", "421 4.7.0 Error: too many errors"],
    ids=["closed after the refusal", "closed at the next command", "421 at the next command"],
)
@pytest.mark.parametrize("reply", [DEFERRED, REFUSED_FOR_GOOD], ids=["451", "553"])
@pytest.mark.parametrize("limit", [2, 1], ids=["2 refusals", "1 refusal"])
@pytest.mark.parametrize("pool_size", [1, 3])
def test_a_server_closing_after_refusals_holds_up_no_one(
    write_config,
    smtp_server: FixtureSMTPServer,
    pipelining: bool,
    close_at_limit: str | None,
    reply: str,
    limit: int,
    pool_size: int,
) -> None:
    # One reader's own VERP sender refused every time, and a server that closes a connection
    # once `limit` MAIL FROMs were refused on it (Postfix's smtpd_hard_error_limit, an Exim
    # ACL "drop"). After two, the twin asked for is lost with that connection; after one, the
    # plain sender is. The twin is asked on a new connection, where it is taken: that
    # reader's deferral, counted, and the send goes on to the readers after it, pass after
    # pass (before: the server's state or a refusal of the sender every time, nobody counted,
    # each pass stopping at that reader, the readers after it never sent).
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": pool_size}, bounce_address=BOUNCES)
    )
    emails = addresses(5)
    smtp_server.handler.pipelining = pipelining
    smtp_server.handler.refusals_before_close = limit
    smtp_server.handler.close_at_limit = close_at_limit
    own_sender_refused_twice(settings, smtp_server, emails, emails[1], reply)


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
def test_a_4xx_to_the_reset_before_the_own_sender_is_asked_again_counts_nobody(
    write_config, smtp_server: FixtureSMTPServer, pipelining: bool
) -> None:
    # The first reader's own sender refused once, the plain one taken, then the RSET before
    # the message's own is asked again refused: the server's state, never that reader's
    # deferral (its twin, taken on a new connection, says nothing of a reset).
    emails = addresses(2)
    smtp_server.handler.pipelining = pipelining
    smtp_server.handler.rset_replies = ["250 OK", "451 4.3.2 System not accepting messages"]
    refused: list[str] = []

    def refuse_once(address: str) -> str | None:
        if "+" not in address or refused:
            return None
        refused.append(address)
        return DEFERRED

    rows = send_refusing(
        write_config, smtp_server, emails, refuse_once, (ServerUnavailable, "451 4.3.2")
    )
    assert untouched(rows, emails)


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
@pytest.mark.parametrize("pool_size", [1, 3])
def test_one_readers_own_sender_met_with_silence_holds_up_no_one(
    write_config, smtp_server: FixtureSMTPServer, pipelining: bool, pool_size: int
) -> None:
    # The connection closed without a word at one reader's own VERP sender, every time: no
    # reply to MAIL FROM is the server's state only when the twin gets none either; here the
    # twin is answered on a new connection, so it is that reader's deferral, counted, and the
    # readers after it are sent.
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": pool_size}, bounce_address=BOUNCES)
    )
    emails = addresses(5)
    smtp_server.handler.pipelining = pipelining
    own_sender_refused_twice(settings, smtp_server, emails, emails[1], "")
