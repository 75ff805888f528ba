"""Where a notice names its failed recipient, and which of its words win, in notices written for
these tests in the shapes of the common MTAs' notices."""

from __future__ import annotations

import time

import pytest

from digest.delivery.bounce_reasons import Reason, classify_text
from digest.delivery.bounces import parse_dsn


def _found(raw: bytes) -> list[tuple[str | None, Reason, bool]]:
    return [(b.recipient, b.reason, b.hard) for b in parse_dsn(raw)]


def _with_returned_message(*, text: str, returned_type: str, returned: str) -> bytes:
    # A mail system's notice whose own words give the reason and name no address; the message
    # it returns (or its header) is attached, its To: the reader it was sent to.
    return (
        "Return-Path: <>\r\n"
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        "To: bounces+tok42@news.example.org\r\n"
        "Subject: Undeliverable: The Weekly\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="xyz"\r\n'
        "\r\n"
        "--xyz\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        f"{text}\r\n"
        "--xyz\r\n"
        f"Content-Type: {returned_type}\r\n"
        "\r\n"
        f"{returned}"
        "--xyz--\r\n"
    ).encode()


_RETURNED_HEADER = (
    "Return-Path: <bounces+tok42@news.example.org>\r\n"
    "Received: from news.example.org by mx.example.net; Mon, 7 Dec 2026 10:00:00 +0000\r\n"
    "From: The Weekly <news@example.org>\r\n"
    "To: ann@example.net\r\n"
    "Subject: The Weekly\r\n"
    "Message-ID: <42.tok42@news.example.org>\r\n"
)


@pytest.mark.parametrize("returned_type", ["message/rfc822", "text/rfc822-headers"])
def test_a_notice_naming_no_address_names_the_returned_messages_recipient(
    returned_type: str,
) -> None:
    # MailMarshal's, Domino's, many gateways' notices give the reason and leave the address to
    # the returned message (before: nobody named).
    raw = _with_returned_message(
        text="Your message could not be delivered.\r\n\r\n550 5.1.1 User unknown\r\n",
        returned_type=returned_type,
        returned=_RETURNED_HEADER
        + ("\r\nThis week's news.\r\n" if "rfc822" in returned_type else ""),
    )
    assert _found(raw) == [("ann@example.net", Reason.USER_UNKNOWN, True)]


def test_a_returned_message_to_several_readers_names_nobody() -> None:
    # A reason for "the recipient" of a message sent to two: which one is not known.
    raw = _with_returned_message(
        text="Your message could not be delivered.\r\n\r\n550 5.1.1 User unknown\r\n",
        returned_type="text/rfc822-headers",
        returned=_RETURNED_HEADER.replace(
            "To: ann@example.net", "To: ann@example.net, bob@example.net"
        ),
    )
    assert [b for b in parse_dsn(raw) if b.hard] == []


def test_a_returned_messages_recipient_is_not_named_for_a_soft_reason() -> None:
    raw = _with_returned_message(
        text="Your message could not be delivered.\r\n\r\n552 5.2.2 Mailbox full\r\n",
        returned_type="text/rfc822-headers",
        returned=_RETURNED_HEADER,
    )
    assert [b for b in parse_dsn(raw) if b.hard] == []


def _mms_gateway_notice(return_path: str, extra: str = "") -> bytes:
    # An MMS gateway's notice: from its administrator's own mailbox (no MAILER-DAEMON), sent
    # with the null reverse path, the recipient only in the quoted original header.
    return (
        f"Return-Path: {return_path}\r\n"
        "From: MMSC NDR Administrator <sysadmin@mms.example.net>\r\n"
        "To: bounces+tok42@news.example.org\r\n"
        "Subject: Undeliverable Message\r\n"
        f"{extra}"
        "Content-Type: text/plain; charset=us-ascii\r\n"
        "\r\n"
        "Message could not be delivered to mobile.\r\n"
        "Error: No valid recipients for this MM\r\n"
        "\r\n"
        "Original Message:\r\n"
        "From: The Weekly <news@example.org>\r\n"
        "To: 5550100@mms.example.net\r\n"
        "Subject: The Weekly\r\n"
    ).encode()


def test_a_notice_sent_with_the_null_reverse_path_is_a_mail_systems() -> None:
    # RFC 5321 4.5.5: a notice goes with the null reverse path, whoever its From names
    # (before: read only from MAILER-DAEMON or postmaster; Verizon's MMS words not known).
    assert _found(_mms_gateway_notice("<>")) == [
        ("5550100@mms.example.net", Reason.USER_UNKNOWN, True)
    ]


def test_a_persons_message_is_still_no_notice() -> None:
    assert parse_dsn(_mms_gateway_notice("<sysadmin@mms.example.net>")) == []


def test_an_autoreply_with_the_null_reverse_path_is_still_no_notice() -> None:
    # RFC 3834 asks autoreplies to go with the null reverse path too (a Sieve vacation's
    # "Re: ..."): a person saying an address is no longer read, not a mail system's notice.
    raw = (
        b"Return-Path: <>\r\n"
        b"From: Ann Example <ann@example.net>\r\n"
        b"To: bounces+tok42@news.example.org\r\n"
        b"Subject: Re: The Weekly\r\n"
        b"Auto-Submitted: auto-replied (vacation)\r\n"
        b"\r\n"
        b"I have left the company; this address is no longer valid. Write to bob@example.net.\r\n"
    )
    assert parse_dsn(raw) == []


def _transcript_notice(first_try: str) -> bytes:
    # Sendmail's older (non-DSN) notice: an earlier attempt's words, then the server's refusal
    # of the address, both in the transcript about it.
    return (
        "Return-Path: <>\r\n"
        "From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.net>\r\n"
        "To: bounces+tok42@news.example.org\r\n"
        "Subject: Returned mail: User unknown\r\n"
        "\r\n"
        "The original message was received at Mon, 7 Dec 2026 10:00:00 +0000\r\n"
        "from news.example.org [192.0.2.1]\r\n"
        "\r\n"
        "   ----- The following addresses had permanent fatal errors -----\r\n"
        "<ann@example.net>\r\n"
        "\r\n"
        "   ----- Transcript of session follows -----\r\n"
        f"{first_try}\r\n"
        "... while talking to mx2.example.net.:\r\n"
        ">>> RCPT To:<ann@example.net>\r\n"
        "<<< 550 5.1.1 <ann@example.net>... User unknown\r\n"
        "550 5.1.1 <ann@example.net>... User unknown\r\n"
    ).encode()


@pytest.mark.parametrize(
    "first_try",
    [
        "ann@example.net... Deferred: Connection timed out with mx1.example.net.",
        "ann@example.net... Deferred: Connection refused by mx1.example.net.",
        "451 4.3.0 Temporary local problem - please try later",
    ],
)
def test_an_unknown_user_beats_an_earlier_attempts_timeout_or_trouble(first_try: str) -> None:
    # Sisimai's order when it reads a bounce (its Reason's third ClassOrder): UserUnknown and
    # HostUnknown before SystemError, NetworkError and Expired (before: the first attempt's
    # words won, soft).
    assert _found(_transcript_notice(first_try)) == [("ann@example.net", Reason.USER_UNKNOWN, True)]


@pytest.mark.parametrize(
    ("words", "reason"),
    [
        ("550 5.1.1 User unknown; connection timed out earlier", Reason.USER_UNKNOWN),
        (
            "Host unknown (Name server: mx.gone.example: host not found); retry time passed",
            Reason.HOST_UNKNOWN,
        ),
        ("550 No such user here. Mail loop detected on the previous hop", Reason.USER_UNKNOWN),
        # Not these: the words that must still win over an address's.
        (
            "Host or domain name not found. Name service error: Host not found, try again",
            Reason.NETWORK_ERROR,
        ),
        ("550 Mailbox full; user unknown to the quota daemon", Reason.MAILBOX_FULL),
        ("Account temporarily disabled, try again later", Reason.SYSTEM_ERROR),
        ("retry timeout exceeded", Reason.EXPIRED),
        ("Connection timed out", Reason.EXPIRED),
    ],
)
def test_words_about_the_address_beat_a_delay_a_network_or_a_system_error(
    words: str, reason: Reason
) -> None:
    assert classify_text(words) is reason


def test_a_notice_whose_detected_addresses_are_all_no_recipients_is_read_as_plain() -> None:
    # A detector's finds that are the sender's own (a quoted From) or no address leave nobody:
    # the notice's own lines are read then (before: nobody named).
    raw = (
        b"Return-Path: <>\r\n"
        b"From: MAILER-DAEMON@mx.example.net\r\n"
        b"To: bounces+tok42@news.example.org\r\n"
        b"Subject: failure notice\r\n"
        b"\r\n"
        b"A message that you sent could not be delivered to one or more of its recipients.\r\n"
        b"\r\n"
        b"<news@example.org>\r\n"
        b"\r\n"
        b"The following recipient is unknown here: ann@example.net\r\n"
        b"\r\n"
        b"--- The header of the original message is following. ---\r\n"
        b"From: news@example.org\r\n"
        b"To: ann@example.net\r\n"
    )
    assert [(b.recipient, b.hard) for b in parse_dsn(raw)] == [("ann@example.net", True)]


def _office365_notice(original_headers: str) -> bytes:
    # Office 365's notice of a remote server's refusal: the reader's words say no reason, the
    # administrators' give the server's reply on a line of its own, then the returned message's
    # header, quoted.
    return (
        "From: Microsoft Outlook <postmaster@outlook.example.net>\r\n"
        "To: bounces+tok42@news.example.org\r\n"
        "Subject: Undeliverable: The Weekly\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Your message to ann@example.net couldn't be delivered.\r\n"
        "\r\n"
        "Your message wasn't delivered because the recipient's email provider rejected it.\r\n"
        "\r\n"
        "Diagnostic information for administrators:\r\n"
        "\r\n"
        "Generating server: AM0PR01MB1234.eurprd01.prod.outlook.com\r\n"
        "\r\n"
        "ann@example.net\r\n"
        "Remote Server returned '550 5.1.1 User unknown'\r\n"
        "\r\n"
        "Original message headers:\r\n"
        "\r\n"
        f"{original_headers}"
    ).encode()


@pytest.mark.parametrize(
    "identifier",
    [
        "Message-ID: <AM6PR08MB4231C1ED3A0B1B9DD@AM6PR08MB4231.eurprd08.prod.outlook.com>",
        "In-Reply-To: <20261201.42@news.example.org>",
        "References: <20261130.41@news.example.org>\r\n <20261201.42@news.example.org>",
    ],
)
def test_a_quoted_message_identifier_is_no_second_recipient(identifier: str) -> None:
    # A quoted header's Message-ID, In-Reply-To or References looks like an address: read as
    # one, it made two of the one recipient, and nobody was named (before).
    raw = _office365_notice(
        "Received: from news.example.org (192.0.2.1) by AM0PR01MB1234.prod.outlook.com\r\n"
        f"{identifier}\r\n"
        "From: The Weekly <news@example.org>\r\n"
        "To: <ann@example.net>\r\n"
        "Subject: The Weekly\r\n"
    )
    assert _found(raw) == [("ann@example.net", Reason.USER_UNKNOWN, True)]


def _report(*, fields: str, extra_header: str = "", returned_to: str = "ann@example.net") -> bytes:
    # An RFC 3464 report whose recipient's fields name the address incompletely or not at all.
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"
        "To: bounces+tok42@news.example.org\r\n"
        "Subject: Delivery Status Notification (Failure)\r\n"
        f"{extra_header}"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="b"\r\n'
        "\r\n"
        "--b\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "Delivery failed.\r\n"
        "--b\r\n"
        "Content-Type: message/delivery-status\r\n"
        "\r\n"
        "Reporting-MTA: dns; mx.example.net\r\n"
        "\r\n"
        f"{fields}"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 User unknown\r\n"
        "\r\n"
        "--b\r\n"
        "Content-Type: text/rfc822-headers\r\n"
        "\r\n"
        "From: The Weekly <news@example.org>\r\n"
        f"To: {returned_to}\r\n"
        "Subject: The Weekly\r\n"
        "\r\n"
        "--b--\r\n"
    ).encode()


@pytest.mark.parametrize(
    ("fields", "extra_header"),
    [
        # A local part only (a local delivery agent's report of the mailbox it looked up).
        ("Final-Recipient: rfc822; ann\r\n", ""),
        ("Final-Recipient: rfc822; ANN\r\n", ""),
        # No recipient field at all, Exim's X-Failed-Recipients naming it.
        ("", "X-Failed-Recipients: ann@example.net\r\n"),
        # No recipient field at all, nor any other name: the returned message's one recipient.
        ("", ""),
        # An X.400 address, the internet one only in the returned message.
        ("Final-Recipient: x400; /G=Ann/S=Example/O=Example/C=NL/\r\n", ""),
    ],
)
def test_a_report_naming_its_recipient_incompletely_names_the_returned_ones(
    fields: str, extra_header: str
) -> None:
    # Before: "ann", None or the X.400 name, which matches no reader.
    raw = _report(fields=fields, extra_header=extra_header)
    assert _found(raw) == [("ann@example.net", Reason.USER_UNKNOWN, True)]


def test_a_report_naming_a_local_part_another_message_was_sent_to_is_not_completed() -> None:
    raw = _report(fields="Final-Recipient: rfc822; bob\r\n")
    # Left as the report names it: no reader has a bare local part for an address.
    assert [b.recipient for b in parse_dsn(raw)] == ["bob"]


# A list member's post, returned with the notice: its words are no reason of the server's.
_RETURNED_POST = (
    "From: Carol <carol@example.org>\r\n"
    "To: users@lists.example.org\r\n"
    "Subject: Re: bounces\r\n"
    "\r\n"
    "My mailbox quota was exceeded last week, then the connection timed out.\r\n"
)


@pytest.mark.parametrize(
    ("words", "marker"),
    [
        # IMail's (SMTP32) notices.
        ("Delivery failed 1 attempts: ann@example.net", "Original message follows."),
        ("Unknown user: ann@example.net", "Original message follows."),
        # Sendmail's older notices.
        (
            "   ----- The following addresses had permanent fatal errors -----\r\nann@example.net",
            "   ----- Unsent message follows -----",
        ),
        ("<ann@example.net>... User unknown", "   ----- Returned mail follows -----"),
        # Smail's, usa.net's, newmail.ru's, demon.co.uk's, mail.ru's, MailEnable's,
        # earthlink's, Exchange's and others' (flufl.bounce's SimpleMatch end markers).
        ("failed addresses follow:\r\n  ann@example.net", "message text follows:"),
        ("Intended recipient: ann@example.net", "--------RETURNED MAIL FOLLOWS--------"),
        ("<ann@example.net>", "--- Below the next line is a copy of the message."),
        ("addressed to 'ann@example.net'", "---- START OF RETURNED MESSAGE ----"),
        ("ann@example.net: unknown recipient", "This is a copy of your message"),
        ("Recipient: [SMTP:ann@example.net]", "Message headers follow"),
        (
            "Sorry, unable to deliver your message to ann@example.net ",
            "A copy of the original message below this line:",
        ),
        ("ann@example.net", "Original message headers:"),
        ("ann@example.net", "--- The header of the original message is following. ---"),
        ("ann@example.net", "----- The following is a copy of your message -----"),
        ("ann@example.net", "Below is a copy of the original message:"),
        ("ann@example.net", "Your original message is included below."),
        ("ann@example.net", "Included is a copy of the message header:"),
    ],
)
def test_the_returned_messages_words_after_its_marker_give_no_reason(
    words: str, marker: str
) -> None:
    # Before: the post's "quota" read as the server's words, a full mailbox, never suppressed.
    raw = (
        "From: Postmaster <postmaster@mx.example.net>\r\n"
        "To: bounces+tok42@news.example.org\r\n"
        "Subject: Undeliverable Mail\r\n"
        "X-Mailer: <SMTP32 v8.15>\r\n"
        "\r\n"
        "Your message could not be delivered: no such user.\r\n"
        "\r\n"
        f"{words}\r\n"
        "\r\n"
        f"{marker}\r\n"
        "\r\n" + _RETURNED_POST
    ).encode()
    assert ("ann@example.net", Reason.USER_UNKNOWN, True) in _found(raw)


@pytest.mark.parametrize(
    "intro",
    [
        # qmail's and Exim's notices, read by a detector.
        "Hi. This is the qmail-send program at mx.example.net.\r\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\r\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\r\n",
        "This message was created automatically by mail delivery software.\r\n"
        "\r\n"
        "A message that you sent could not be delivered to one or more of its\r\n"
        "recipients. This is a permanent error. The following address(es) failed:\r\n",
    ],
)
def test_a_notices_gloss_before_the_address_is_not_its_reason(intro: str) -> None:
    # The notice's list of what may have happened, before the address, named a full mailbox;
    # the address's own lines say it has no mailbox (before: a full mailbox, never suppressed).
    raw = (
        "From: MAILER-DAEMON@mx.example.net\r\n"
        "To: bounces+tok42@news.example.org\r\n"
        "Subject: failure notice\r\n"
        "\r\n"
        f"{intro}"
        "This happens when the recipient's mailbox is full or the address does not exist.\r\n"
        "\r\n"
        "<ann@example.net>:\r\n"
        "Sorry, no mailbox here by that name. (#5.1.1)\r\n"
        "\r\n"
        "--- Below this line is a copy of the message.\r\n"
    ).encode()
    assert _found(raw) == [("ann@example.net", Reason.USER_UNKNOWN, True)]


def test_a_full_mailbox_in_the_addresss_own_lines_is_still_one() -> None:
    raw = (
        b"From: MAILER-DAEMON@mx.example.net\r\n"
        b"To: bounces+tok42@news.example.org\r\n"
        b"Subject: failure notice\r\n"
        b"\r\n"
        b"Hi. This is the qmail-send program at mx.example.net.\r\n"
        b"This happens when the address does not exist or the mailbox is full.\r\n"
        b"\r\n"
        b"<ann@example.net>:\r\n"
        b"Sorry, the mailbox is full. (#5.2.2)\r\n"
    )
    assert _found(raw) == [("ann@example.net", Reason.MAILBOX_FULL, False)]


@pytest.mark.parametrize(
    ("words", "reason"),
    [
        # qmail-remote's words for a 5xx reply to RCPT TO (Sisimai's lhost/qmail.rb: userunknown),
        # whatever the server said after them (before: no reason).
        (
            "192.0.2.2 does not like recipient.\nRemote host said: 550 Nope, not ann\n"
            "Giving up on 192.0.2.2.",
            Reason.USER_UNKNOWN,
        ),
        # The server's own words still say otherwise when they name another reason.
        (
            "192.0.2.2 does not like recipient.\nRemote host said: 552 5.2.2 Mailbox full",
            Reason.MAILBOX_FULL,
        ),
        (
            "192.0.2.2 does not like recipient.\nRemote host said: 554 5.7.1 Relaying denied",
            Reason.POLICY_BLOCK,
        ),
    ],
)
def test_qmails_does_not_like_recipient_is_an_unknown_user(words: str, reason: Reason) -> None:
    assert classify_text(words) is reason


def test_many_report_blocks_naming_no_one_cost_one_reading_of_the_header() -> None:
    """A hostile report: X-Failed-Recipients of 2,000 addresses and 4,000 recipient blocks
    that name no one. The addresses named elsewhere are read once a notice (before: once a
    block, 89 s for 190 kB)."""
    failed = ", ".join(f"a{i}@x.net" for i in range(2000))
    blocks = "Action: failed\r\nStatus: 5.1.1\r\n\r\n" * 4000
    raw = (
        "Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example.net\r\n"
        f"To: bounces+tok@news.example.org\r\nX-Failed-Recipients: {failed}\r\nSubject: x\r\n"
        "MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status;"
        ' boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n--b\r\n'
        f"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n{blocks}"
        "--b--\r\n"
    ).encode()
    started = time.perf_counter()
    parse_dsn(raw)
    assert time.perf_counter() - started < 5.0


_HELPDESK_REPLY = """Return-Path: <>
From: Acme Support <support@acme.example>
To: bounces+tok42@news.example.org
Subject: {subject}
Content-Type: text/plain; charset=us-ascii

Thank you for contacting Acme support. Ticket #1234 has been opened.
Requests from an invalid user or unknown sender are closed automatically.
This mailbox is no longer monitored and my account has been closed.

-----Original Message-----
From: The Weekly <news@example.org>
To: ann@example.net
Subject: The Weekly: Royal Mail delivery failures mount

This week...
"""


@pytest.mark.parametrize(
    "subject",
    [
        "Re: The Weekly: Royal Mail delivery failures mount",
        "Automatic reply: The Weekly: Parcels not delivered as strike hits",
        "Abwesenheitsnotiz: NDR Info: Sturmflut in Hamburg",
        "The Weekly: Royal Mail delivery failures mount",
    ],
)
def test_an_autoreply_quoting_a_subject_with_a_notices_words_is_no_notice(subject: str) -> None:
    """With the null reverse path, only a subject that opens with a notice's words makes a
    mail system's notice of a message from no mail system's mailbox: the newsletter's own
    subject, quoted by a person's autoreply, may be about a "delivery failure" (before: the
    words anywhere in it did, and the helpdesk's "invalid user" suppressed ann)."""
    raw = _HELPDESK_REPLY.format(subject=subject).replace("\n", "\r\n").encode()
    assert parse_dsn(raw) == []


def _vague_notice(to: str, returned_fields: str) -> bytes:
    return (
        "Return-Path: <>\r\nFrom: Mail Delivery Subsystem <MAILER-DAEMON@mx.other.example>\r\n"
        f"To: {to}\r\nSubject: Undeliverable: The Weekly\r\n"
        'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n--b1\r\n'
        "Content-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
        "Reason: user unknown\r\n\r\n--b1\r\nContent-Type: message/rfc822\r\n\r\n"
        f"From: The Weekly <news@example.org>\r\n{returned_fields}Subject: The Weekly\r\n"
        "\r\nThis week...\r\n--b1--\r\n"
    ).encode()


def test_a_vague_notice_about_an_editors_mail_names_no_returned_recipient() -> None:
    """Sent back to the newsletter's own address, not a reader's return path, the returned
    message may be an editor's mail with others in its Bcc: its one To is not the one the
    notice speaks of (before: ann was suppressed)."""
    raw = _vague_notice("news@example.org", "To: ann@example.net\r\n")
    assert [b.recipient for b in parse_dsn(raw) if b.hard] == []


def test_an_autoresponders_mark_makes_no_notice_whatever_its_subject() -> None:
    raw = _HELPDESK_REPLY.format(subject="Undeliverable: The Weekly").replace(
        "Subject:", "X-Autoreply: yes\nSubject:"
    )
    assert parse_dsn(raw.replace("\n", "\r\n").encode()) == []


@pytest.mark.parametrize(
    "subject",
    ["[EXTERNAL] Undeliverable: The Weekly", "Your message was not delivered"],
)
def test_a_gateways_notice_under_a_tagged_or_worded_subject_is_read(subject: str) -> None:
    raw = (
        "Return-Path: <>\r\nFrom: Gateway <gateway@acme.example>\r\n"
        f"To: bounces+tok@news.example.org\r\nSubject: {subject}\r\n\r\n"
        "Mail for ann@example.net: no such user here.\r\n"
    ).encode()
    assert [(b.recipient, b.hard) for b in parse_dsn(raw)] == [("ann@example.net", True)]


def test_a_list_message_returned_to_the_plain_address_names_its_one_reader() -> None:
    """Sent without VERP (a server that refused those senders), the notice comes back to the
    plain address; the returned header's List-Unsubscribe says it was a list's message, one
    reader a message (a review's probe: the token alone was asked for)."""
    raw = _vague_notice(
        "news@example.org", "To: ann@example.net\r\nList-Unsubscribe: <https://x/u>\r\n"
    )
    assert [(b.recipient, b.hard) for b in parse_dsn(raw)] == [("ann@example.net", True)]


def test_a_returned_message_with_a_cc_names_no_one() -> None:
    raw = _vague_notice(
        "bounces+tok@news.example.org", "To: ann@example.net\r\nCc: carol@example.org\r\n"
    )
    assert [b.recipient for b in parse_dsn(raw) if b.hard] == []
