"""The classifier's phrase and code rules, one case each, in words written for these tests."""

from __future__ import annotations

import pytest

from digest.delivery.bounce_reasons import Reason, classify, suppresses
from digest.delivery.bounces import parse_dsn


@pytest.mark.parametrize(
    ("status", "diagnostic", "reason"),
    [
        # Servers that give a policy code (5.7.x) to an address they do not have.
        ("5.7.1", "550 5.7.1 No such user here (ref 42)", Reason.USER_UNKNOWN),
        ("5.7.1", "550 5.7.1 Mailbox not found for this domain", Reason.USER_UNKNOWN),
        # Ways of saying there is no such user.
        ("5.0.0", "550-<ann@example.org> is not a known user on this server", Reason.USER_UNKNOWN),
        ("5.0.0", "550 ann@example.org is not an active address here", Reason.USER_UNKNOWN),
        ("5.0.0", "553 rejected: badrcptto (user mail-box not found)", Reason.USER_UNKNOWN),
        ("5.0.0", "550 ** No mail box available for ann **", Reason.USER_UNKNOWN),
        # A relay's table of its recipients is about the address, not relaying.
        (
            "5.1.1",
            "550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown in relay "
            "recipient table",
            Reason.USER_UNKNOWN,
        ),
        # Disabled accounts, the adjective first.
        ("5.0.0", "551 <ann@example.org> is a deactivated mailbox", Reason.SUSPENDED),
        ("5.0.0", "550 ann@example.org: disabled account", Reason.SUSPENDED),
    ],
)
def test_words_about_the_address_suppress_it(status: str, diagnostic: str, reason: Reason) -> None:
    assert classify(status, "failed", diagnostic) == reason
    assert suppresses(reason, status)


@pytest.mark.parametrize(
    ("status", "diagnostic", "reason"),
    [
        # A broken or unreachable name server is not a domain that does not exist, whatever
        # the code (Postfix gives 5.4.4 to both).
        (
            "5.4.4",
            "Name service error for name=example.org type=MX: unexpected name server reply",
            Reason.NETWORK_ERROR,
        ),
        ("5.0.0", "connect to mx.example.org: No route to host", Reason.NETWORK_ERROR),
        ("5.4.0", "smtp.example.org: Network is unreachable", Reason.NETWORK_ERROR),
        # What the message carries, not who it is for.
        (
            "5.0.0",
            "Ann is not accepting mail with attachments or embedded images",
            Reason.CONTENT_BLOCK,
        ),
        ("5.7.1", "554 5.7.1 Virus found in the message", Reason.CONTENT_BLOCK),
        ("5.0.0", "550 The message contains a virus (Eicar-Test)", Reason.CONTENT_BLOCK),
        # Relaying refused by the server reached says nothing about the address.
        ("5.0.0", "553 you are trying to use me as a relay", Reason.POLICY_BLOCK),
        ("5.7.1", "554 5.7.1 Unable to relay for ann@example.org", Reason.POLICY_BLOCK),
    ],
)
def test_words_about_anything_else_never_suppress(
    status: str, diagnostic: str, reason: Reason
) -> None:
    assert classify(status, "failed", diagnostic) == reason
    assert not suppresses(reason, status)


def test_a_scanner_footer_is_no_content_block() -> None:
    text = "550 no such user here. This mail was scanned for viruses by ExampleScan."
    assert classify("5.0.0", "failed", text) == Reason.USER_UNKNOWN


def notice(*, sender: str, body: str) -> bytes:
    return (
        f"From: {sender}\r\n"
        "To: bounces+tok@news.example.org\r\n"
        "Subject: Re: The Weekly\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "\r\n"
        f"{body}\r\n"
    ).encode()


def test_a_plain_notice_from_the_null_sender_names_a_dead_address() -> None:
    raw = notice(sender="<>", body="Mail for bob@example.org: that is not a valid user here.")
    [bounce] = parse_dsn(raw)
    assert (bounce.recipient, bounce.reason, bounce.hard) == (
        "bob@example.org",
        Reason.USER_UNKNOWN,
        True,
    )


def test_a_plain_notice_names_only_the_addresses_its_words_are_about() -> None:
    raw = notice(
        sender="MAILER-DAEMON@mx.example.org",
        body="Copy sent to carol@example.org.\r\nMail for bob@example.org: no such user.",
    )
    assert [(b.recipient, b.hard) for b in parse_dsn(raw)] == [("bob@example.org", True)]


def test_an_autoreply_from_a_person_names_nobody() -> None:
    raw = notice(
        sender="Bob <bob@example.org>",
        body="I am away. Write to carol@example.org, as bob@example.org does not exist soon.",
    )
    assert parse_dsn(raw) == []


def test_a_message_nested_deeper_than_the_parser_follows_is_no_bounce() -> None:
    depth = 1200
    opening = "".join(
        f'Content-Type: multipart/mixed; boundary="b{i}"\r\n\r\n--b{i}\r\n' for i in range(depth)
    )
    closing = "".join(f"--b{i}--\r\n" for i in reversed(range(depth)))
    raw = (
        "From: MAILER-DAEMON@mx.example.org\r\nTo: bounces@news.example.org\r\n"
        f"{opening}Content-Type: text/plain\r\n\r\nbob@example.org: no such user\r\n{closing}"
    ).encode()
    assert parse_dsn(raw) == []
