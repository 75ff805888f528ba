"""Bounces: VERP envelope senders, and `digest bounces process PATH` reading delivery status
notifications (RFC 3464), MTAs' own bounce formats and ARF complaints (RFC 5965) from an mbox or
a Maildir, as a user runs it."""

from __future__ import annotations

import mailbox
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from digest import pipeline
from digest.config import Settings
from digest.models import Delivery, Issue
from subscribers import membership
from subscribers.models import MailingList, Subscriber, Suppression
from subscribers.tokens import TokenSubject
from tests.cli_runner import Finished
from tests.conftest import TEST_FROM
from tests.delivery.scenario import NOW, digest, smtp_config
from tests.servers import Fault, FixtureSMTPServer

HARD, SOFT, FINE = "amina@example.org", "kofi@example.net", "nadia@example.org"
LATER = NOW + timedelta(hours=1)


def dsn(
    *, to: str, final_recipient: str, action: str, status: str, diagnostic: str, number: int
) -> bytes:
    """A delivery status notification as an MTA writes one (RFC 3464 multipart/report)."""
    boundary = f"dsn-{number}-boundary"
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        f"To: {to}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: Mon, 23 Nov 2026 08:00:00 +0000\r\n"
        f"Message-ID: <dsn-{number}@mx.example.net>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: multipart/report; report-type=delivery-status;\r\n"
        f'\tboundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "This is the mail system at host mx.example.net. Your message could not be\r\n"
        "delivered to one or more recipients.\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n"
        "X-Postfix-Queue-ID: 4Q2b7m1xYz\r\n"
        "Arrival-Date: Mon, 23 Nov 2026 07:00:01 +0000\r\n"
        "\r\n"
        f"Final-Recipient: rfc822; {final_recipient}\r\n"
        f"Action: {action}\r\n"
        f"Status: {status}\r\n"
        "Remote-MTA: dns; inbound.example.net\r\n"
        f"Diagnostic-Code: smtp; {diagnostic}\r\n"
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        f"From: The Weekly <{TEST_FROM}>\r\n"
        f"To: {final_recipient}\r\n"
        "Subject: The Weekly: 23 Nov - 29 Nov 2026\r\n"
        "\r\n"
        f"--{boundary}--\r\n"
    ).encode()


def process(settings: Settings, box: Path, now: datetime = LATER) -> Finished:
    """`digest bounces process BOX` at `now`, as an operator runs it."""
    return digest(settings.config_path, "--now", now.isoformat(), "bounces", "process", str(box))


def user_unknown(address: str, number: int = 1) -> bytes:
    return dsn(
        to=TEST_FROM,
        final_recipient=address,
        action="failed",
        status="5.1.1",
        diagnostic="550 5.1.1 User unknown",
        number=number,
    )


def not_a_dsn(to: str) -> bytes:
    return (
        "From: A Reader <reader@example.net>\r\n"
        f"To: {to}\r\n"
        "Subject: Re: The Weekly\r\n"
        "Date: Mon, 23 Nov 2026 09:00:00 +0000\r\n"
        "Message-ID: <reply-1@example.net>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Thanks for the digest! Action: failed. Status: 5.1.1 (quoting a bounce is no bounce)\r\n"
    ).encode()


def write_mbox(path: Path, messages: list[bytes]) -> Path:
    box = mailbox.mbox(path, create=True)
    for raw in messages:
        message = mailbox.mboxMessage(raw)
        message.set_from("MAILER-DAEMON")
        box.add(message)
    box.close()
    return path


def write_maildir(path: Path, messages: list[bytes]) -> Path:
    box = mailbox.Maildir(path, create=True)
    for raw in messages:
        box.add(mailbox.MaildirMessage(raw))
    return path


def config(smtp_server: FixtureSMTPServer, **delivery: Any) -> dict[str, Any]:
    settings = smtp_config(smtp_server, **delivery)
    settings["lists"].append(
        {"slug": "extra", "name": "The Extra", "timezone": "UTC", "demo_subscribers": []}
    )
    return settings


def subscribe(rt: pipeline.Runtime, *slugs: str) -> None:
    with rt.sessions.begin() as session:
        for slug in slugs:
            lst = membership.get_list(session, slug)
            for email in (HARD, SOFT, FINE):
                membership.add_subscriber(session, lst, email, name=None, now=NOW)


def ids(rt: pipeline.Runtime) -> tuple[dict[str, int], dict[str, int]]:
    with rt.sessions() as session:
        subscribers = dict(session.execute(select(Subscriber.email, Subscriber.id)).all())
        lists = dict(session.execute(select(MailingList.slug, MailingList.id)).all())
    return subscribers, lists


def audience(rt: pipeline.Runtime) -> dict[str, tuple[str, int]]:
    with rt.sessions() as session:
        return {s.email: (s.status, s.soft_bounces) for s in session.scalars(select(Subscriber))}


def suppressions(rt: pipeline.Runtime) -> dict[str, tuple[str, str]]:
    with rt.sessions() as session:
        return {s.email: (s.reason, s.detail or "") for s in session.scalars(select(Suppression))}


def test_verp_sender_names_the_subscriber_and_a_bounce_to_it_suppresses_them(
    write_config, smtp_server: FixtureSMTPServer, tmp_path: Path
) -> None:
    settings = write_config(config(smtp_server, bounce_address="bounces@news.example.org"))
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        subscribe(rt, "weekly", "extra")
        assert pipeline.send(rt, "weekly", NOW).sent == 3
        subscribers, lists = ids(rt)

        # Each message's envelope sender is bounces+TOKEN@domain, the token naming its
        # subscriber on this list, so a bounce says whose it is whatever address it names.
        senders = {rcpt[0]: sender for sender, rcpt, _ in smtp_server.handler.messages}
        assert sorted(senders) == sorted((HARD, SOFT, FINE))
        for email, sender in senders.items():
            found = re.fullmatch(r"bounces\+([A-Za-z0-9_.-]+)@news\.example\.org", sender)
            assert found, sender
            subject = rt.signer.verify("bounce", found.group(1))
            assert subject == TokenSubject(subscribers[email], lists["weekly"])
        assert len(set(senders.values())) == 3
        for message in smtp_server.handler.parsed():
            assert message["From"].addresses[0].addr_spec == TEST_FROM

        box = write_mbox(
            tmp_path / "bounces.mbox",
            [
                # The mailbox the message was forwarded to is gone: only the VERP token in the
                # DSN's To says which subscriber that is.
                dsn(
                    to=senders[HARD],
                    final_recipient="amina.old-job@forward.example.net",
                    action="failed",
                    status="5.1.1",
                    diagnostic="550 5.1.1 <amina.old-job@forward.example.net>: User unknown",
                    number=1,
                ),
                dsn(
                    to=senders[SOFT],
                    final_recipient=SOFT,
                    action="failed",
                    status="5.2.2",
                    diagnostic="552 5.2.2 Mailbox full",
                    number=2,
                ),
                # A forged token names no one, even if it looks like ours.
                dsn(
                    to="bounces+WzEsMV0.forged-signature@news.example.org",
                    final_recipient="someone@elsewhere.example.net",
                    action="failed",
                    status="5.1.1",
                    diagnostic="550 5.1.1 User unknown",
                    number=3,
                ),
                not_a_dsn(senders[FINE]),
            ],
        )

        result = process(settings, box)

        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip() == (
            "Read 4 message(s): 1 hard bounce(s) suppressed, 1 soft bounce(s) noted, "
            "0 complaint(s) suppressed, 1 naming no known subscriber"
        )
        assert suppressions(rt) == {
            HARD: (
                "hard_bounce",
                "user_unknown: smtp; 550 5.1.1 <amina.old-job@forward.example.net>: User unknown",
            )
        }
        assert audience(rt) == {HARD: ("bounced", 0), SOFT: ("active", 1), FINE: ("active", 0)}

        # The next send (another list's issue) leaves the suppressed address out.
        extra = pipeline.send(rt, "extra", LATER)
        assert extra.sent == 2
        assert smtp_server.handler.counts() == {HARD: 1, SOFT: 2, FINE: 2}
        with rt.sessions() as session:
            extra_rows = session.scalars(
                select(Delivery.email)
                .join(Issue, Issue.id == Delivery.issue_id)
                .where(Issue.list_id == lists["extra"])
            )
            assert sorted(extra_rows) == sorted((SOFT, FINE))


def test_without_verp_the_final_recipient_names_the_subscriber_from_a_maildir(
    write_config, smtp_server: FixtureSMTPServer, tmp_path: Path
) -> None:
    settings = write_config(config(smtp_server))  # no delivery.bounce_address
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        subscribe(rt, "weekly")
        # HARD's message is still waiting for a retry when its bounce comes in (a bounce of
        # an earlier issue, say): the retry must not send it.
        smtp_server.handler.faults = {HARD: [Fault.code(451, "rcpt")]}
        first = pipeline.send(rt, "weekly", NOW)
        assert (first.sent, first.deferred) == (2, 1)
        # Without a bounce address the envelope sender is the From address.
        assert {sender for sender, _r, _b in smtp_server.handler.messages} == {TEST_FROM}
        events = smtp_server.handler.events
        assert {e.mail_from for e in events} == {TEST_FROM}

        folder = write_maildir(
            tmp_path / "Maildir",
            [
                dsn(
                    to=TEST_FROM,
                    final_recipient="Amina@Example.org",
                    action="failed",
                    status="5.1.1",
                    diagnostic="550 5.1.1 User unknown",
                    number=1,
                ),
                dsn(
                    to=TEST_FROM,
                    final_recipient=SOFT,
                    action="failed",
                    status="5.2.2",
                    diagnostic="552 5.2.2 Mailbox full",
                    number=2,
                ),
                not_a_dsn(TEST_FROM),
            ],
        )

        result = process(settings, folder)

        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip() == (
            "Read 3 message(s): 1 hard bounce(s) suppressed, 1 soft bounce(s) noted, "
            "0 complaint(s) suppressed, 0 naming no known subscriber"
        )
        assert suppressions(rt) == {
            HARD: ("hard_bounce", "user_unknown: smtp; 550 5.1.1 User unknown")
        }
        assert audience(rt) == {HARD: ("bounced", 0), SOFT: ("active", 1), FINE: ("active", 0)}

        retry = pipeline.send(rt, "weekly", LATER)
        assert (retry.sent, retry.skipped) == (0, 1)
        assert smtp_server.handler.count(HARD) == 0
        with rt.sessions() as session:
            row = session.scalar(select(Delivery).where(Delivery.email == HARD))
            assert row is not None and row.status == "skipped"


def test_processing_the_same_bounces_twice_changes_nothing_the_second_time(
    write_config, smtp_server: FixtureSMTPServer, tmp_path: Path
) -> None:
    # A mailbox is often read again (a cron job over an mbox nobody empties): every step is
    # idempotent (DESIGN.md), so a DSN already read must not count as a new soft bounce.
    settings = write_config(config(smtp_server))
    with pipeline.runtime(settings, NOW) as rt:
        subscribe(rt, "weekly")
        box = write_mbox(
            tmp_path / "bounces.mbox",
            [
                user_unknown(HARD),
                dsn(
                    to=TEST_FROM,
                    final_recipient=SOFT,
                    action="failed",
                    status="5.2.2",
                    diagnostic="552 5.2.2 Mailbox full",
                    number=2,
                ),
            ],
        )
        first = process(settings, box)
        assert first.returncode == 0, first.stderr
        after_first = (audience(rt), suppressions(rt))
        assert after_first[0][SOFT] == ("active", 1)

        second = process(settings, box, LATER + timedelta(hours=1))

        assert second.returncode == 0, second.stderr
        assert (audience(rt), suppressions(rt)) == after_first


def test_bounces_process_on_a_file_that_is_no_mailbox_is_one_line_and_a_hint(
    write_config, smtp_server: FixtureSMTPServer, tmp_path: Path
) -> None:
    settings = write_config(config(smtp_server))
    folder = tmp_path / "not-a-maildir"
    folder.mkdir()
    result = digest(settings.config_path, "bounces", "process", str(folder))
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"error: {folder}: cannot read bounces")
    assert lines[1] == "hint: give an mbox file or a Maildir folder"


def bad_base64_report() -> bytes:
    """A report whose delivery-status part says base64 and is not (cut short, or hostile)."""
    return (
        b"From: MAILER-DAEMON@mx.example.net\r\nTo: " + TEST_FROM.encode() + b"\r\n"
        b"Subject: Undelivered Mail Returned to Sender\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="BB"\r\n\r\n'
        b"--BB\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n\r\n"
        b"--BB\r\nContent-Type: message/delivery-status\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nQUJDRE\r\n--BB--\r\n"
    )


def test_a_report_that_cannot_be_read_stops_no_other_in_the_mailbox(
    write_config, smtp_server: FixtureSMTPServer, tmp_path: Path
) -> None:
    # One message the reader cannot make sense of fails alone: the rest of the mailbox is
    # still read, and the run goes on to its end.
    settings = write_config(config(smtp_server))
    with pipeline.runtime(settings, NOW) as rt:
        subscribe(rt, "weekly")
        box = write_mbox(
            tmp_path / "bounces.mbox",
            [
                bad_base64_report(),
                user_unknown(HARD),
            ],
        )
        result = process(settings, box)
        assert result.returncode == 0, result.stderr
        assert "Read 2 message(s): 1 hard bounce(s) suppressed" in result.stdout
        assert HARD in suppressions(rt)


def test_a_report_whose_text_no_database_stores_stops_no_other(
    write_config, smtp_server: FixtureSMTPServer, tmp_path: Path
) -> None:
    # A notice in a charset that decodes a lone surrogate (unicode_escape) into the detail:
    # stored as it was read, it failed the database's write, which stopped the run at that
    # message on every run after; its text is now made storable, and the run goes on.
    settings = write_config(config(smtp_server))
    hostile = (
        b"From: MAILER-DAEMON@mx.example.net\r\nTo: " + TEST_FROM.encode() + b"\r\n"
        b"Subject: failure notice\r\nContent-Type: text/plain; charset=unicode_escape\r\n\r\n"
        b"<" + HARD.encode() + b">: 550 5.1.1 User unknown \\ud800\r\n"
    )
    with pipeline.runtime(settings, NOW) as rt:
        subscribe(rt, "weekly")
        box = write_mbox(tmp_path / "bounces.mbox", [hostile, user_unknown(SOFT)])
        result = process(settings, box)
        assert result.returncode == 0, result.stderr
        assert "Read 2 message(s): 2 hard bounce(s) suppressed" in result.stdout, result.stdout
        assert {HARD, SOFT} <= set(suppressions(rt))


def test_a_message_a_bounce_detector_cannot_read_prints_no_traceback(
    write_config, smtp_server: FixtureSMTPServer, tmp_path: Path
) -> None:
    # flufl.bounce logs a traceback at ERROR when one of its detectors cannot read a message
    # (here one with no From at all): digest catches that error and goes on, so the run shows
    # no traceback, only its summary.
    settings = write_config(config(smtp_server))
    with pipeline.runtime(settings, NOW) as rt:
        subscribe(rt, "weekly")
        headless = (
            b"\r\nThis is the mail system at host mx.example.net.\r\n\r\n"
            b"<gone@example.net>: host mx.example.net[192.0.2.1] said: 450 4.2.1\r\n"
            b"    mailbox temporarily unavailable (in reply to RCPT TO command)\r\n"
        )
        box = write_mbox(tmp_path / "bounces.mbox", [headless, user_unknown(HARD)])
        result = process(settings, box)
        assert result.returncode == 0, result.stderr
        assert "Read 2 message(s): 1 hard bounce(s) suppressed" in result.stdout
        assert "Traceback" not in result.stderr
        assert "Exception in detector" not in result.stderr
