"""A refusal of the sender, wherever the server gives it, says nothing of the readers: none is
failed or suppressed for it. At the greeting, login or MAIL FROM the send stops at once, no
attempt counted; at RCPT TO or after the data the reader is deferred, and the send stops once
readers in a row (of more than one domain) get it, the rest left as they were: the rows wait
for the next send or worker pass.

Postfix reports its sender, client and HELO restrictions at RCPT TO by default
(smtpd_delay_reject=yes): "550 5.1.8 <digest@...>: Sender address rejected: Domain not found"
comes to every reader's RCPT, with a 5.1.x code that would otherwise read as a dead mailbox;
its restriction classes give such a refusal for some recipients only.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from digest import pipeline
from digest.delivery.transport import SendResult, refuses_relay, refuses_sender
from digest.errors import SenderRefused
from digest.models import Delivery
from subscribers.models import Subscriber, Suppression
from tests.delivery.scenario import (
    NOW,
    Processes,
    addresses,
    deliveries,
    digest,
    load_subscribers,
    queue_everything,
    service_worker_until_sent,
    untouched,
    worker_until_sent,
)
from tests.delivery.scenario import smtp_config as base_config
from tests.servers import Fault, FixtureSMTPServer

SENDER = "digest@weekly.example.net"
# What Postfix answers for its sender and client restrictions (RFC 3463: X.1.7 bad sender's
# mailbox syntax, X.1.8 bad sender's system address).
AT_RCPT = {
    "unknown sender domain": f"550 5.1.8 <{SENDER}>: Sender address rejected: Domain not found",
    # Postfix's default unknown_address_reject_code is 450: the same refusal, temporary.
    "unknown sender domain, 4xx": (
        f"450 4.1.8 <{SENDER}>: Sender address rejected: Domain not found"
    ),
    "bad sender syntax": "553 5.1.7 The sender address is not a valid mailbox",
    # reject_unlisted_sender: a 5.1.0 that names the sender's address, not the reader's.
    "unlisted sender": (
        f"550 5.1.0 <{SENDER}>: Sender address rejected: User unknown in virtual mailbox table"
    ),
    "client host": (
        "554 5.7.1 <unknown[127.0.0.1]>: Client host rejected: cannot find your hostname"
    ),
    # A server that does not relay for this machine (no login, not in its networks) says so
    # to each recipient: Postfix's reject_unauth_destination.
    "relay denied": "554 5.7.1 <reader@example.org>: Relay access denied",
}
# The other ways servers say they will not relay for this client.
RELAY_REFUSALS = [
    "554 5.7.1 <reader@example.org>: Relay access denied",  # Postfix
    "550 5.7.1 <reader@example.org>... Relaying denied",  # Sendmail
    "550 relay not permitted",  # Exim
    "550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain",  # Exchange
    "550 5.7.0 Mail relay denied",
    "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)",  # qmail
]


@pytest.mark.parametrize("reply", list(AT_RCPT.values()), ids=list(AT_RCPT))
def test_a_refusal_of_the_sender_is_never_a_hard_bounce(reply: str) -> None:
    assert refuses_sender(reply)
    assert not SendResult("failed", reply).hard_bounce


@pytest.mark.parametrize("reply", RELAY_REFUSALS)
def test_a_server_that_will_not_relay_refuses_the_sender_not_the_reader(reply: str) -> None:
    assert refuses_sender(reply)
    assert refuses_relay(reply)


@pytest.mark.parametrize(
    "reply",
    [
        "550 5.1.1 No such user here",
        "550 5.1.1 <reader@example.org>: Recipient address rejected: User unknown",
        "550 5.1.10 Recipient address rejected: domain has a null MX",
    ],
)
def test_a_refusal_of_the_reader_is_not_one_of_the_sender(reply: str) -> None:
    assert not refuses_sender(reply)
    assert SendResult("failed", reply).hard_bounce


@pytest.mark.parametrize(
    "reply",
    [
        "451 4.3.0 Temporary local problem",
        "552 5.2.2 Mailbox full",
        # Postfix's reject_unverified_recipient quoting what the recipient's server said to it:
        # about that one recipient, not about this sender.
        "450 4.1.1 <r@example.org>: Recipient address rejected: unverified address: host "
        "mx.example.org[192.0.2.1] said: 554 5.7.1 <relay[192.0.2.9]>: Client host rejected: "
        "Access denied",
        # A recipient verification quoting the reader's own server's refusal to relay.
        "550 5.1.1 <r@old.example>: Recipient verify failed: host mx.old.example said: 554 "
        "5.7.1 Relay access denied",
    ],
)
def test_other_refusals_are_not_the_senders(reply: str) -> None:
    assert not refuses_sender(reply)


def smtp_config(smtp_server: FixtureSMTPServer, **overrides: object) -> dict[str, object]:
    config = base_config(smtp_server, **overrides)  # type: ignore[arg-type]
    config["newsletter"] = {"from_address": SENDER}
    return config


def suppressed(rt: pipeline.Runtime) -> list[str]:
    with rt.sessions() as session:
        return list(session.scalars(select(Suppression.email)))


def mixed(count: int) -> list[str]:
    """Readers of two domains, taking turns (in the order they are sent to)."""
    return [f"reader{n:05d}@{'example.org' if n % 2 == 0 else 'example.net'}" for n in range(count)]


def deferred_once(rows: dict[str, Delivery], emails: list[str]) -> bool:
    """Whether these readers' rows are deferred after one attempt (never failed)."""
    return all((rows[e].status, rows[e].attempts) == ("deferred", 1) for e in emails)


def at_rcpt(refusal: str) -> Fault:
    code, words = refusal.split(" ", 1)
    return Fault.code(int(code), "rcpt", words)


def readers(rt: pipeline.Runtime, emails: list[str]) -> None:
    """The sample issue's stories collected and these readers on the list."""
    pipeline.collect(rt, NOW)
    load_subscribers(rt, emails)


def refused_send(rt: pipeline.Runtime, now: datetime = NOW) -> SenderRefused:
    """What a send the server refuses the sender of raises."""
    with pytest.raises(SenderRefused, match="refused the sender") as caught:
        pipeline.send(rt, "weekly", now)
    return caught.value


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
@pytest.mark.parametrize("refusal", list(AT_RCPT.values()), ids=list(AT_RCPT))
def test_readers_in_a_row_refused_as_the_sender_stop_the_send_and_nobody_is_failed(
    write_config, smtp_server: FixtureSMTPServer, refusal: str, pipelining: bool
) -> None:
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}))
    emails = mixed(5)
    smtp_server.handler.pipelining = pipelining
    smtp_server.handler.inject_at_random(seed=1, probability=1.0, faults=[at_rcpt(refusal)])
    with pipeline.runtime(settings, NOW) as rt:
        readers(rt, emails)
        error = refused_send(rt)
        rows = deliveries(rt)
        assert suppressed(rt) == []
        with rt.sessions() as session:
            assert set(session.scalars(select(Subscriber.status))) == {"active"}
    assert refusal in error.message
    # What to fix: the envelope sender, this host (refused by its name or address), or the
    # login a relay asks for.
    if "Client host" in refusal:
        fix = "HELO name"
    elif "Relay" in refusal:
        fix = "delivery.smtp.username"
    else:
        fix = "newsletter.from_address"
    assert fix in error.hint, error.hint
    state = {e: (r.status, r.attempts) for e, r in rows.items()}
    assert deferred_once(rows, emails[:3]), state
    assert untouched(rows, emails[3:]), state
    assert rows[emails[0]].last_reply is not None and refusal in rows[emails[0]].last_reply
    # Stopped at the third refusal in a row: the others were never tried.
    assert sum(smtp_server.handler.attempts.values()) == 3


def test_a_refusal_of_the_sender_for_some_readers_only_defers_them_and_the_send_goes_on(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # Postfix's restriction classes: the sender refused for some recipients, not others.
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}))
    emails = mixed(6)
    for email in emails[1::3]:
        smtp_server.handler.faults[email] = [at_rcpt(AT_RCPT["unknown sender domain"])]
    with pipeline.runtime(settings, NOW) as rt:
        readers(rt, emails)
        report = pipeline.send(rt, "weekly", NOW)
        rows = deliveries(rt)
        assert suppressed(rt) == []
    assert report.sent == 4, report
    assert deferred_once(rows, emails[1::3])
    assert {rows[e].status for e in emails if e not in emails[1::3]} == {"sent"}


def test_readers_of_one_domain_refused_as_the_sender_are_deferred_not_a_stop(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # One domain's readers alone (a relay refusing the sender for that domain): theirs.
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}))
    emails = addresses(4)
    smtp_server.handler.inject_at_random(
        seed=1, probability=1.0, faults=[at_rcpt(AT_RCPT["unknown sender domain"])]
    )
    with pipeline.runtime(settings, NOW) as rt:
        readers(rt, emails)
        pipeline.send(rt, "weekly", NOW)
        rows = deliveries(rt)
        assert suppressed(rt) == []
    assert deferred_once(rows, emails)


def test_with_several_connections_the_send_stops_soon_after_the_refusals(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 4}, batch_size=10))
    emails = mixed(40)
    refusal = at_rcpt(AT_RCPT["unknown sender domain"])
    smtp_server.handler.inject_at_random(seed=1, probability=1.0, faults=[refusal])
    with pipeline.runtime(settings, NOW) as rt:
        readers(rt, emails)
        refused_send(rt)
        rows = deliveries(rt)
        assert suppressed(rt) == []
    tried = [e for e in emails if smtp_server.handler.attempts[e]]
    # The three in a row that stop it, and on each of the three other connections the message
    # under way at each of those refusals: a few of 40, the rest never tried.
    assert 3 <= len(tried) <= 3 + 3 * 3, tried
    assert deferred_once(rows, tried)
    assert untouched(rows, [e for e in emails if e not in tried])


def test_readers_sent_before_the_refusal_stay_sent_and_the_rest_wait(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}))
    emails = mixed(6)
    # The sender's domain vanishes from DNS after the second message.
    for email in emails[2:]:
        smtp_server.handler.faults[email] = [at_rcpt(AT_RCPT["unknown sender domain"])]
    with pipeline.runtime(settings, NOW) as rt:
        readers(rt, emails)
        refused_send(rt)
        rows = deliveries(rt)

        assert [rows[e].status for e in emails[:2]] == ["sent", "sent"]
        assert deferred_once(rows, emails[2:5])  # the three in a row that stopped it
        assert untouched(rows, emails[5:])
        assert smtp_server.handler.attempts[emails[5]] == 0

        # Fixed: the next send, once they are due again, delivers the rest, once each.
        smtp_server.handler.faults.clear()
        report = pipeline.send(rt, "weekly", NOW + timedelta(hours=1))
        rows = deliveries(rt)
    assert report.sent == 4, report
    assert {rows[e].status for e in emails} == {"sent"}
    assert all(n == 1 for n in smtp_server.handler.counts().values())


def test_a_refused_sender_never_uses_up_the_readers_retries(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # The review's case: refused at MAIL FROM for longer than max_attempts passes.
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": 1}, max_attempts=2, retry_delay_seconds=1)
    )
    emails = addresses(3)
    smtp_server.handler.mail_replies = [f"553 5.1.8 <{SENDER}>: sender domain not found"] * 3
    with pipeline.runtime(settings, NOW) as rt:
        readers(rt, emails)
        for minutes in (0, 10, 20):
            refused_send(rt, NOW + timedelta(minutes=minutes))
            assert untouched(deliveries(rt), emails)
        report = pipeline.send(rt, "weekly", NOW + timedelta(minutes=30))
        rows = deliveries(rt)
    assert report.sent == 3 and report.failed == 0, report
    assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 1)}


def test_a_deferred_reader_keeps_its_attempts_through_a_refused_sender(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}))
    emails = addresses(2)
    smtp_server.handler.faults[emails[0]] = [Fault.code(451, "rcpt")]
    with pipeline.runtime(settings, NOW) as rt:
        readers(rt, emails)
        pipeline.send(rt, "weekly", NOW)
        before = deliveries(rt)[emails[0]]
        assert (before.status, before.attempts) == ("deferred", 1)

        later = NOW + timedelta(hours=1)  # the retry is due
        smtp_server.handler.mail_replies = [AT_RCPT["unknown sender domain, 4xx"]]
        refused_send(rt, later)
        after = deliveries(rt)[emails[0]]
        assert (after.status, after.attempts) == ("deferred", 1)
        # Due again at once (when the refused send ran, its clock running on from `later`).
        assert after.next_attempt_at is not None
        assert after.next_attempt_at - later < timedelta(seconds=30)

        report = pipeline.send(rt, "weekly", later + timedelta(minutes=1))
    assert report.sent == 1, report


def test_a_worker_pass_says_what_to_fix_and_leaves_the_rows(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}))
    emails = addresses(3)
    refusal = AT_RCPT["unknown sender domain"]
    smtp_server.handler.mail_replies = [refusal]
    with pipeline.runtime(settings, NOW) as rt:
        readers(rt, emails)
        queue_everything(rt, NOW)

    refused = digest(settings.config_path, "worker", "--once")

    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert refusal in refused.stderr, refused.stderr
    assert "newsletter.from_address" in refused.stderr
    with pipeline.runtime(settings, NOW) as rt:
        assert untouched(deliveries(rt), emails)

    again = digest(settings.config_path, "worker", "--once")

    assert again.returncode == 0, again.stdout + again.stderr
    assert "Delivered to 3 recipient(s)" in again.stdout, again.stdout


def test_a_running_worker_waits_out_a_refused_sender_and_then_sends(
    write_config, smtp_server: FixtureSMTPServer, processes: Processes
) -> None:
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}))
    emails = addresses(3)
    refusal = AT_RCPT["unknown sender domain"]
    smtp_server.handler.mail_replies = [refusal] * 2  # two passes refused, then fixed
    with pipeline.runtime(settings, NOW) as rt:
        readers(rt, emails)
        queue_everything(rt, NOW)

    _stdout, stderr = worker_until_sent(processes, settings, smtp_server, len(emails))

    # The interval, a second at least (PassWaits): never a pass right after a refused one.
    assert stderr.count("Trying again in 1 s.") == 2, stderr
    assert refusal in stderr and "newsletter.from_address" in stderr
    assert smtp_server.handler.counts() == {e: 1 for e in emails}
    with pipeline.runtime(settings, NOW) as rt:
        rows = deliveries(rt)
    assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 1)}


def test_the_service_worker_logs_a_refused_sender_and_tries_again_at_its_interval(
    write_config, smtp_server: FixtureSMTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    config = smtp_config(smtp_server, smtp={"pool_size": 1})
    config["service"] = {"worker_interval_seconds": 0.2}
    settings = write_config(config)
    emails = addresses(3)
    refusal = AT_RCPT["unknown sender domain"]
    smtp_server.handler.mail_replies = [refusal] * 2
    with pipeline.runtime(settings, NOW) as rt:
        readers(rt, emails)
        queue_everything(rt, NOW)
        said = service_worker_until_sent(rt, settings, smtp_server, len(emails), caplog)
        rows = deliveries(rt)
    assert len(said) == 2 and all(refusal in line for line in said), said
    assert all("newsletter.from_address" in line and "again in 1 s" in line for line in said)
    assert {(r.status, r.attempts) for r in rows.values()} == {("sent", 1)}
