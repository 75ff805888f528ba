"""Bounce classification: only reasons about the recipient's address suppress it; pure."""

from __future__ import annotations

import pytest

from digest.delivery.bounce_reasons import Reason, classify, suppresses
from digest.delivery.bounces import parse_dsn
from tests.delivery.test_bounce_kinds import CORPUS, arf
from tests.delivery.test_bounces import dsn


@pytest.mark.parametrize(
    ("status", "action", "diagnostic", "reason", "suppressed"),
    [
        # Reasons about the recipient's address: suppressed.
        ("5.1.1", "failed", "550 5.1.1 <a@example.org>: User unknown", Reason.USER_UNKNOWN, True),
        ("5.1.2", "failed", "Host or domain name not found", Reason.HOST_UNKNOWN, True),
        ("5.1.10", "failed", "556 5.1.10 Domain has null MX", Reason.HOST_UNKNOWN, True),
        ("5.1.6", "failed", "551 5.1.6 Recipient has moved", Reason.USER_UNKNOWN, True),
        ("5.2.1", "failed", "550 5.2.1 The email account is disabled", Reason.SUSPENDED, True),
        (
            "5.4.1",
            "failed",
            "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)",
            Reason.USER_UNKNOWN,
            True,
        ),
        # Anything else never is.
        ("5.2.2", "failed", "552 5.2.2 Mailbox full", Reason.MAILBOX_FULL, False),
        ("5.0.0", "failed", "552 Requested mail action aborted: quota", Reason.MAILBOX_FULL, False),
        # A wrong code does not win over the server's words.
        ("5.1.1", "failed", "550 5.1.1 user over quota", Reason.MAILBOX_FULL, False),
        (
            "5.3.4",
            "failed",
            "552 5.3.4 Message size exceeds fixed limit",
            Reason.MESSAGE_TOO_BIG,
            False,
        ),
        (
            "5.7.1",
            "failed",
            "554 5.7.1 Service unavailable; Client host [192.0.2.1] blocked using zen.spamhaus.org",
            Reason.SPAM_BLOCK,
            False,
        ),
        (
            "5.7.1",
            "failed",
            "550 5.7.1 Message rejected due to DMARC policy",
            Reason.POLICY_BLOCK,
            False,
        ),
        ("5.7.26", "failed", "550 5.7.26 unauthenticated email", Reason.POLICY_BLOCK, False),
        ("5.5.3", "failed", "552 5.5.3 Too many recipients", Reason.TOO_MANY_RECIPIENTS, False),
        ("4.5.3", "failed", "452 4.5.3 Too many recipients", Reason.TOO_MANY_RECIPIENTS, False),
        ("4.4.7", "failed", "delivery time expired", Reason.EXPIRED, False),
        ("4.2.2", "delayed", "452 4.2.2 Mailbox full", Reason.DELAYED, False),
        ("4.0.0", "failed", "", Reason.EXPIRED, False),
        ("4.0.0", "delayed", "", Reason.DELAYED, False),
        ("4.1.1", "failed", "450 4.1.1 user unknown, try later", Reason.USER_UNKNOWN, False),
        ("2.1.5", "delivered", "250 2.1.5 OK", Reason.SUCCESS, False),
        ("2.0.0", "relayed", "", Reason.SUCCESS, False),
        ("5.0.0", "failed", "550 Requested action not taken", Reason.UNKNOWN, False),
    ],
)
def test_only_reasons_about_the_address_suppress(
    status: str, action: str, diagnostic: str, reason: Reason, suppressed: bool
) -> None:
    assert classify(status, action, diagnostic) == reason
    assert suppresses(reason, status) is suppressed


def test_a_success_report_is_no_failure() -> None:
    [bounce] = parse_dsn(
        dsn(
            to="weekly@example.org",
            final_recipient="a@example.org",
            action="delivered",
            status="2.1.5",
            diagnostic="250 2.1.5 OK",
            number=1,
        )
    )
    assert (bounce.reason, bounce.hard, bounce.failure) == (Reason.SUCCESS, False, False)


def test_an_arf_report_is_a_complaint_by_its_original_recipient() -> None:
    [bounce] = parse_dsn(arf(original_rcpt_to="Reader@Example.org", number=1))
    assert (bounce.complaint, bounce.recipient, bounce.hard) == (True, "reader@example.org", False)


def test_an_arf_report_without_original_rcpt_to_names_the_original_recipient() -> None:
    [bounce] = parse_dsn((CORPUS / "complaints" / "arf_headers_only.txt").read_bytes())
    assert bounce.complaint
    assert (bounce.recipient, bounce.verp_token) == ("reader@isp.example", "WzEsMV0.sig")


def test_an_arf_report_to_an_undisclosed_group_names_no_reader() -> None:
    # No Original-Rcpt-To, and the reported message went to a group name, not an address.
    raw = (
        b"From: feedbackloop@isp.example\r\nTo: fbl@example.org\r\nSubject: Abuse Report\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type="feedback-report"; '
        b'boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nAn abuse report.\r\n'
        b"--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\n"
        b"Version: 1\r\n\r\n--b\r\nContent-Type: message/rfc822\r\n\r\n"
        b'From: news@example.org\r\nTo: "undisclosed recipients"\r\nSubject: News\r\n\r\n'
        b"Hello\r\n--b--\r\n"
    )
    assert [(b.complaint, b.recipient) for b in parse_dsn(raw)] == [(True, None)]


@pytest.mark.parametrize(
    ("name", "address"),
    [("tuned/qmail_01.txt", "userx@example.de"), ("tuned/exim_01.txt", "userx@its.example.nl")],
)
def test_non_standard_bounces_name_the_failed_address(name: str, address: str) -> None:
    bounces = parse_dsn((CORPUS / name).read_bytes())
    assert [(b.recipient, b.hard) for b in bounces] == [(address, True)]


def test_a_malformed_message_is_no_bounce_and_stops_nothing() -> None:
    # A From header with raw 8-bit bytes makes one of flufl.bounce's detectors raise.
    raw = (
        b"From: \xe9\xe9 <>\r\nTo: weekly@example.org\r\nSubject: Undeliverable\r\n\r\n"
        b"The following addresses had permanent fatal errors\r\n"
    )
    assert parse_dsn(raw) == []
