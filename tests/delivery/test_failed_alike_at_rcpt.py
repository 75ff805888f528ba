"""A server that fails every recipient alike at RCPT TO (the connection dropped, no reply in
time, or the same 4xx: a broken recipient-verification backend's "451 4.3.0 Temporary lookup
failure") says nothing of the readers: once readers in a row, of more than one domain, get it
with nothing accepted between, and the server does the same to the envelope sender's own
address asked for on a new connection, the send stops as the server unavailable and none of
them has an attempt counted. One reader's own trouble at RCPT TO (the server takes the sender's
address, or other readers) is that reader's deferral, counted, as before; so are readers of one
domain alone. The sender's own address is what keeps a send from stopping at the same readers
every pass with nobody ever counted when the trouble is theirs (see
test_the_first_readers_bad_on_three_domains_are_counted_and_the_list_goes_on)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from digest import pipeline
from digest.errors import ServerUnavailable
from tests.delivery.scenario import NOW, deliveries, load_subscribers, untouched
from tests.delivery.scenario import smtp_config as base_config
from tests.servers import Fault, FixtureSMTPServer

SENDER = "digest@weekly.example.net"

# How a server fails a recipient at RCPT TO, by the recipient's address.
FAILURES: dict[str, Callable[[str], Fault]] = {
    "dropped": lambda _address: Fault.dropped("rcpt"),
    "no reply in time": lambda _address: Fault.stalled(3.0, stage="rcpt"),
    "451, the same words": lambda _address: Fault.code(
        451, "rcpt", "4.3.0 Temporary lookup failure"
    ),
    # Postfix names the recipient in its reply: alike but for the address.
    "451, naming the recipient": lambda address: Fault.code(
        451, "rcpt", f"4.3.0 <{address}>: Temporary lookup failure"
    ),
}


def config(smtp_server: FixtureSMTPServer, **delivery: Any) -> dict[str, Any]:
    smtp = {"timeout_seconds": 0.5, **delivery.pop("smtp", {})}
    overrides = base_config(smtp_server, smtp=smtp, **delivery)
    overrides["newsletter"] = {"from_address": SENDER}
    return overrides


def mixed(count: int) -> list[str]:
    """Readers of two domains, taking turns (in the order they are sent to)."""
    return [f"reader{n:05d}@{'example.org' if n % 2 == 0 else 'example.net'}" for n in range(count)]


def counted(rt: pipeline.Runtime) -> dict[str, tuple[str, int]]:
    return {e: (r.status, r.attempts) for e, r in deliveries(rt).items()}


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
@pytest.mark.parametrize("failure", list(FAILURES), ids=list(FAILURES))
def test_a_server_failing_every_recipient_alike_stops_the_send_and_counts_nobody(
    write_config, smtp_server: FixtureSMTPServer, failure: str, pipelining: bool
) -> None:
    # One attempt each: were any reader's counted, it would be failed for good.
    settings = write_config(config(smtp_server, smtp={"pool_size": 2}, max_attempts=1))
    emails = mixed(8)
    handler = smtp_server.handler
    handler.pipelining = pipelining
    handler.rcpt_fault_for = FAILURES[failure]  # the sender's own address too
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        for attempt in range(2):  # a later pass, the server no better: nobody counted either
            with pytest.raises(ServerUnavailable, match="RCPT TO") as caught:
                pipeline.send(rt, "weekly", NOW + timedelta(minutes=attempt))
            assert untouched(deliveries(rt), emails), counted(rt)
        assert "sending stopped" in caught.value.message
        assert handler.received == []
        # The server mended, the next pass sends to every reader once.
        handler.rcpt_fault_for = None
        report = pipeline.send(rt, "weekly", NOW + timedelta(minutes=5))
        assert report.sent == len(emails)
        assert counted(rt) == dict.fromkeys(emails, ("sent", 1))
    assert handler.counts() == dict.fromkeys(emails, 1)


@pytest.mark.parametrize("pool_size", [1, 2])
@pytest.mark.parametrize("failure", list(FAILURES), ids=list(FAILURES))
def test_one_readers_failure_at_rcpt_among_good_ones_counts_for_that_reader_alone(
    write_config, smtp_server: FixtureSMTPServer, failure: str, pool_size: int
) -> None:
    settings = write_config(config(smtp_server, smtp={"pool_size": pool_size}, max_attempts=3))
    emails = mixed(8)
    slow = emails[2]
    handler = smtp_server.handler
    handler.pipelining = True
    handler.rcpt_fault_for = lambda address: FAILURES[failure](address) if address == slow else None
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        report = pipeline.send(rt, "weekly", NOW)
        states = counted(rt)
    assert (report.sent, report.deferred) == (len(emails) - 1, 1)
    assert states.pop(slow) == ("deferred", 1)
    assert states == dict.fromkeys(emails[:2] + emails[3:], ("sent", 1))


@pytest.mark.parametrize("failure", list(FAILURES), ids=list(FAILURES))
def test_the_first_readers_bad_on_one_domain_are_counted_as_before(
    write_config, smtp_server: FixtureSMTPServer, failure: str
) -> None:
    # Readers of one domain failed alike are that domain's trouble, whatever the server does
    # to the sender's own address: counted, and failed once their attempts run out.
    settings = write_config(config(smtp_server, smtp={"pool_size": 1}, max_attempts=2))
    bad = [f"reader{n}@broken.example" for n in range(4)]
    good = mixed(4)
    handler = smtp_server.handler
    # The broken domain's readers and the sender's own address fail alike; the others not.
    handler.rcpt_fault_for = lambda a: None if a in good else FAILURES[failure](a)
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, bad + good)
        first = pipeline.send(rt, "weekly", NOW)
        assert (first.sent, first.deferred) == (len(good), len(bad))
        assert counted(rt) == dict.fromkeys(bad, ("deferred", 1)) | dict.fromkeys(good, ("sent", 1))
        second = pipeline.send(rt, "weekly", NOW + timedelta(days=1))
        assert (second.sent, second.failed) == (0, len(bad))
        assert counted(rt) == dict.fromkeys(bad, ("failed", 2)) | dict.fromkeys(good, ("sent", 1))


@pytest.mark.parametrize("failure", list(FAILURES), ids=list(FAILURES))
def test_the_first_readers_bad_on_three_domains_are_counted_and_the_list_goes_on(
    write_config, smtp_server: FixtureSMTPServer, failure: str
) -> None:
    # The livelock the rule must not make: the list's first three readers, of three domains,
    # fail alike at RCPT TO every pass (three domains whose checks time out, say). Were that
    # taken for the server's state, every pass would stop at them, nobody ever counted, and
    # the readers after them never sent. The server takes the sender's own address: theirs
    # is the trouble, counted, and the list goes on; their attempts run out as anyone's.
    settings = write_config(config(smtp_server, smtp={"pool_size": 1}, max_attempts=2))
    bad = ["first@one.example", "second@two.example", "third@three.example"]
    good = mixed(4)
    handler = smtp_server.handler
    handler.pipelining = True
    handler.rcpt_fault_for = lambda a: FAILURES[failure](a) if a in bad else None
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, bad + good)
        first = pipeline.send(rt, "weekly", NOW)
        assert (first.sent, first.deferred) == (len(good), len(bad))
        second = pipeline.send(rt, "weekly", NOW + timedelta(days=1))
        assert (second.sent, second.failed) == (0, len(bad))
        assert counted(rt) == dict.fromkeys(bad, ("failed", 2)) | dict.fromkeys(good, ("sent", 1))
    assert handler.counts() == dict.fromkeys(good, 1)


def test_fewer_readers_in_a_row_than_make_the_servers_state_are_counted(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # Two readers, each failed alike with the sender's own address: too few to tell the
    # server's state from theirs, so each is that reader's deferral, as before.
    settings = write_config(config(smtp_server, smtp={"pool_size": 1}, max_attempts=3))
    emails = mixed(2)
    smtp_server.handler.rcpt_fault_for = FAILURES["451, naming the recipient"]
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        report = pipeline.send(rt, "weekly", NOW)
        assert (report.sent, report.deferred) == (0, 2)
        assert counted(rt) == dict.fromkeys(emails, ("deferred", 1))


def test_a_server_silent_while_it_checks_every_recipient_stops_the_send_and_counts_nobody(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # A server that holds back every pipelined reply while it checks the recipient (Postfix
    # flushes its replies only once the client's input is read), and whose every check
    # stalls: the client hears nothing at all, not even the reply to MAIL FROM.
    settings = write_config(config(smtp_server, smtp={"pool_size": 2}, max_attempts=1))
    emails = mixed(6)
    handler = smtp_server.handler
    handler.pipelining = True
    handler.slow_recipients = {*emails, SENDER}
    handler.slow_recipient_stall = 2.0
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        with pytest.raises(ServerUnavailable, match="no reply in time"):
            pipeline.send(rt, "weekly", NOW)
        assert untouched(deliveries(rt), emails), counted(rt)
        handler.slow_recipients = set()
        assert pipeline.send(rt, "weekly", NOW + timedelta(minutes=5)).sent == len(emails)
    assert handler.counts() == dict.fromkeys(emails, 1)
