"""MessageTemplate: one RFC 5322 message per recipient with list headers, as SMTP wants it."""

from __future__ import annotations

import email
import email.policy
import email.utils
import re
from datetime import UTC, datetime, timedelta, timezone
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.utils import parsedate_to_datetime

import pytest

from digest.delivery.message import Envelope, MessageTemplate, Personal
from digest.delivery.smtp import dot_stuffed
from digest.delivery.transport import DotFreeMessage
from digest.render.email import Markers, Recipient, RenderedIssue, personalise

ENVELOPE = Envelope(
    from_address="digest@sahelcoast.example.org",
    from_name="Sahel & Coast Weekly",
    list_name="The Weekly",
    list_id="weekly.sahelcoast.example.org",
)
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
UNSUBSCRIBE = "https://sahelcoast.example.org/u/Wzk4LDEyXQ.abc"
# A token URL as the web app makes them: longer than a header line.
LONG_UNSUBSCRIBE = (
    "https://news.sahelcoast.example.org/subscriptions/unsubscribe/"
    "Wzk4NzY1LDEyXQ.Zq7yJm3x9Y0vR-kL2pQaT8sUeW4hB6nD1cF5gI3oK"
)
MAILTO = "mailto:unsubscribe@sahelcoast.example.org?subject=unsubscribe"
TEXT = "Sahel & Coast Weekly\n\nRice farmers near Ségou swap diesel for solar pumps\n"
HTML = (
    "<!doctype html><html><body>"
    "<p>Rice farmers near Ségou swap diesel for solar pumps</p>"
    "</body></html>\n"
)


def make(**changes: object) -> bytes:
    values: dict[str, object] = {
        "envelope": ENVELOPE,
        "to_address": "reader@example.org",
        "subject": "The Weekly #12: solar pumps and cocoa prices",
        "text": TEXT,
        "html": HTML,
        "unsubscribe_url": UNSUBSCRIBE,
        "unsubscribe_mailto": MAILTO,
        "now": NOW,
        "message_id": None,
    }
    values.update(changes)
    template = MessageTemplate(
        envelope=values["envelope"],  # type: ignore[arg-type]
        subject=values["subject"],  # type: ignore[arg-type]
        text=values["text"],  # type: ignore[arg-type]
        html=values["html"],  # type: ignore[arg-type]
        markers=(),
        now=values["now"],  # type: ignore[arg-type]
    )
    personal = Personal(
        to=values["to_address"],  # type: ignore[arg-type]
        values={},
        unsubscribe_url=values["unsubscribe_url"],  # type: ignore[arg-type]
        unsubscribe_mailto=values["unsubscribe_mailto"],  # type: ignore[arg-type]
    )
    return template.build(personal, values["message_id"])[0]  # type: ignore[arg-type]


def parse(raw: bytes) -> EmailMessage:
    return email.message_from_bytes(raw, policy=email.policy.default)


def raw_headers(raw: bytes) -> dict[str, str]:
    """The header block as sent, unfolded, without decoding anything."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    unfolded = re.sub(r"\r\n[ \t]+", " ", head)
    return dict(line.split(": ", 1) for line in unfolded.split("\r\n"))


def test_multipart_alternative_with_text_first_then_html() -> None:
    message = parse(make())

    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parts)


def test_parts_round_trip_their_content() -> None:
    message = parse(make())
    text_part, html_part = message.iter_parts()

    # The parser keeps the wire's CRLF inside decoded bodies: compare lines.
    assert text_part.get_content().splitlines() == TEXT.splitlines()
    assert html_part.get_content().splitlines() == HTML.splitlines()


def test_headers() -> None:
    message = parse(make(message_id="<issue-12.42@sahelcoast.example.org>"))

    assert message["From"].addresses[0].addr_spec == "digest@sahelcoast.example.org"
    assert message["From"].addresses[0].display_name == "Sahel & Coast Weekly"
    assert message["To"] == "reader@example.org"
    assert message["Subject"] == "The Weekly #12: solar pumps and cocoa prices"
    assert message["Message-ID"] == "<issue-12.42@sahelcoast.example.org>"
    assert message["List-Id"] == "The Weekly <weekly.sahelcoast.example.org>"
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>, <{MAILTO}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["MIME-Version"] == "1.0"
    assert "Reply-To" not in message


def test_each_header_appears_once() -> None:
    message = parse(make())

    for name in (
        "From",
        "To",
        "Subject",
        "Date",
        "Message-ID",
        "List-Id",
        "List-Unsubscribe",
        "List-Unsubscribe-Post",
    ):
        assert len(message.get_all(name) or []) == 1, name


def test_date_is_now() -> None:
    message = parse(make(now=datetime(2026, 11, 23, 8, 30, tzinfo=timezone(timedelta(hours=1)))))

    assert parsedate_to_datetime(str(message["Date"])) == datetime(2026, 11, 23, 7, 30, tzinfo=UTC)


def test_generated_message_id_is_unique_and_in_the_sender_domain() -> None:
    first = parse(make())["Message-ID"]
    second = parse(make())["Message-ID"]

    assert re.fullmatch(r"<[^<>@\s]+@sahelcoast\.example\.org>", str(first))
    assert first != second


def test_list_unsubscribe_without_mailto_has_only_the_https_url() -> None:
    message = parse(make(unsubscribe_mailto=None))

    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_reply_to_when_the_envelope_has_one() -> None:
    envelope = Envelope(
        "digest@sahelcoast.example.org",
        None,
        "The Weekly",
        "weekly.sahelcoast.example.org",
        reply_to="editors@sahelcoast.example.org",
    )

    message = parse(make(envelope=envelope))

    assert message["Reply-To"] == "editors@sahelcoast.example.org"
    assert message["From"].addresses[0].display_name == ""


def test_long_list_unsubscribe_is_sent_as_plain_urls() -> None:
    # RFC 2369 headers hold angle-bracketed URLs; mail clients do not decode RFC 2047
    # encoded-words there, so a long URL must be folded, never encoded.
    raw = make(unsubscribe_url=LONG_UNSUBSCRIBE)

    headers = raw_headers(raw)
    assert headers["List-Unsubscribe"] == f"<{LONG_UNSUBSCRIBE}>, <{MAILTO}>"
    assert "=?" not in headers["List-Unsubscribe"]
    assert parse(raw)["List-Unsubscribe"] == f"<{LONG_UNSUBSCRIBE}>, <{MAILTO}>"


def test_list_headers_are_plain_in_the_raw_bytes() -> None:
    headers = raw_headers(make())

    assert headers["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>, <{MAILTO}>"
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Id"] == "The Weekly <weekly.sahelcoast.example.org>"


def test_message_bytes_use_crlf_only() -> None:
    raw = make()

    assert b"\r\n" in raw
    assert raw.count(b"\n") == raw.count(b"\r\n")
    assert raw.count(b"\r") == raw.count(b"\r\n")


def test_message_bytes_are_7bit_with_short_lines() -> None:
    long_line = "Rice farmers near Ségou swap diesel for solar pumps and " * 10 + "\n"
    raw = make(subject="Le récap’ de la semaine — Fès & Ségou", text=long_line, html=long_line)

    assert max(raw) < 128
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998
    # RFC 2045 6.7: quoted-printable lines are at most 76 characters.
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.split(b"\r\n")) <= 76


@pytest.mark.parametrize(
    "subject",
    [
        "Le récap’ de la semaine — Fès, Ségou & Côte d’Ivoire",
        "Ελληνικά και العربية: the week in review",
        "A long subject line " * 6 + "ending in Ségou",
        # Folded between two encoded-words: the space between them must survive.
        "Cette semaine : Ségou, Fès, Lomé, Tétouan, Côte d’Ivoire et Dakar",
    ],
)
def test_non_ascii_subject_round_trips(subject: str) -> None:
    raw = make(subject=subject)

    assert subject.encode() not in raw  # encoded on the wire ...
    assert parse(raw)["Subject"] == subject  # ... and decoded back unchanged


def test_non_ascii_display_name_round_trips() -> None:
    envelope = Envelope(
        "digest@sahelcoast.example.org",
        "Échos du Sahel",
        "The Weekly",
        "weekly.sahelcoast.example.org",
    )

    message = parse(make(envelope=envelope))

    assert message["From"].addresses[0].display_name == "Échos du Sahel"
    assert message["From"].addresses[0].addr_spec == "digest@sahelcoast.example.org"


def test_encoded_words_in_headers_stay_within_rfc_2047_limits() -> None:
    # RFC 2047 2: an encoded-word is at most 75 characters.
    raw = make(subject="Le récap’ de la semaine — Fès, Ségou & Côte d’Ivoire " * 4)

    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    words = re.findall(r"=\?[^?]+\?[bqBQ]\?[^?]*\?=", head)
    assert words
    assert max(len(w) for w in words) <= 75
    assert max(len(line) for line in head.split("\r\n")) <= 78


def test_each_recipient_gets_exactly_the_personalised_issue() -> None:
    """Byte-level filling equals personalise() on the rendered text, for every marker and a
    value that needs escaping, around long lines and at line ends."""
    markers = Markers.drawn()
    text = (
        f"Hello {markers.recipient_email}\n"
        + "word " * 40
        + f"{markers.unsubscribe_url}\n"
        + ".a line that starts with a dot\n.\n"
    )
    html = (
        f'<p><a href="{markers.unsubscribe_url}">Unsubscribe</a> '
        + "Ségou " * 30
        + f'<a href="{markers.preferences_url}">Preferences</a></p>\n'
    )
    rendered = RenderedIssue("Subject", html, text, markers)
    recipient = Recipient(
        "o'brien@example.org",
        "https://news.example.org/u/" + "A" * 90 + "?a=1&b=2",
        "https://news.example.org/p/tok=en",
    )
    template = MessageTemplate(
        envelope=ENVELOPE, subject="Subject", text=text, html=html, markers=markers.all(), now=NOW
    )
    personal = Personal(
        to=recipient.email,
        values=recipient.values(markers),
        unsubscribe_url=recipient.unsubscribe_url,
    )
    raw, message_id = template.build(personal)
    message = parse(raw)
    want_html, want_text = personalise(rendered, recipient)
    text_part, html_part = message.iter_parts()
    assert text_part.get_content().replace("\r\n", "\n") == want_text
    assert html_part.get_content().replace("\r\n", "\n") == want_html
    assert message["Message-ID"] == message_id
    body = raw.split(b"\r\n\r\n", 1)[1]
    assert max(len(line) for line in body.split(b"\r\n")) <= 76
    # Already in SMTP wire form: sent as it is, with no per-message rewriting.
    assert dot_stuffed(raw) == raw
    assert not raw.startswith(b".") and b"\n." not in raw


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        (b"a\r\nb\r\n", b"a\r\nb\r\n"),
        (b"a\r\nb", b"a\r\nb\r\n"),
        (b".start\r\n.\r\nmid.dle\r\n", b"..start\r\n..\r\nmid.dle\r\n"),
    ],
)
def test_leading_dots_are_doubled_and_the_end_is_a_line_end(given: bytes, sent: bytes) -> None:
    assert dot_stuffed(given) == sent


@pytest.mark.parametrize(
    "address", ["reader@example.org\r\nBcc: all@example.net", "reader@example.org\n", "a\x00@b.c"]
)
def test_a_recipient_address_with_a_line_break_never_becomes_a_header(address: str) -> None:
    with pytest.raises(ValueError, match="control character"):
        make(to_address=address)


# List-Id: the list's name is a phrase (RFC 2919, RFC 5322 3.2.5) -------------------------------

ODD_LIST_NAMES = [
    "Lettre régionale : Maghreb & Sahel",
    "Weekly: Maghreb, Sahel & Coast",
    'The "Monday" <Weekly>',
    "Back\\slash; (comments) @ [brackets]",
    "النشرة الأسبوعية: المغرب العربي",
    "A very long list name that goes on about the coast, the Sahel, the Maghreb and more",
    "Dépêches régionales du Maghreb, du Sahel et de la côte ouest-africaine — chaque lundi",
]


@pytest.mark.parametrize("list_name", ODD_LIST_NAMES)
def test_list_id_of_any_list_name_parses_back_to_the_name_and_id(list_name: str) -> None:
    envelope = Envelope(
        "digest@sahelcoast.example.org", None, list_name, "weekly.sahelcoast.example.org"
    )
    raw = make(envelope=envelope)

    # On the wire: 7-bit, folded under 78 columns.
    lines = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert max(len(line) for line in lines) <= 78
    value = raw_headers(raw)["List-Id"]
    # An RFC 5322 phrase then <list-id>: the address parser takes it apart, strictly.
    phrase, list_id = email.utils.parseaddr(value)
    assert list_id == "weekly.sahelcoast.example.org", value
    assert str(make_header(decode_header(phrase))) == list_name, value
    # And the email package reads it back ending with the id.
    assert str(parse(raw)["List-Id"]).endswith(" <weekly.sahelcoast.example.org>")


def test_a_plain_list_name_stays_unquoted() -> None:
    assert raw_headers(make())["List-Id"] == "The Weekly <weekly.sahelcoast.example.org>"


def test_a_message_goes_to_smtp_unscanned_and_a_readers_dot_never_starts_a_line() -> None:
    """Built messages are DotFreeMessages (the transport skips its dot-stuffing scan): a
    reader's value that starts with a dot, put at the start of a line, is encoded, and a
    literal "%" or "%b" of the issue stays as it is."""
    markers = Markers.drawn()
    text = f"{markers.recipient_email}\n100% local, %b and %s stay\n"
    html = f"<p>{markers.recipient_email}</p><p>100% local, %b</p>\n"
    rendered = RenderedIssue("Subject", html, text, markers)
    recipient = Recipient(".dot@example.org", UNSUBSCRIBE, UNSUBSCRIBE)
    template = MessageTemplate(
        envelope=ENVELOPE, subject="Subject", text=text, html=html, markers=markers.all(), now=NOW
    )
    personal = Personal(
        to=recipient.email, values=recipient.values(markers), unsubscribe_url=UNSUBSCRIBE
    )

    raw, _ = template.build(personal)

    assert isinstance(raw, DotFreeMessage)
    assert not raw.startswith(b".") and b"\n." not in raw and raw.endswith(b"\r\n")
    assert dot_stuffed(raw) is raw
    text_part, html_part = parse(raw).iter_parts()
    want_html, want_text = personalise(rendered, recipient)
    assert text_part.get_content().replace("\r\n", "\n") == want_text
    assert html_part.get_content().replace("\r\n", "\n") == want_html


def test_a_head_line_starting_with_a_dot_leaves_the_message_to_be_stuffed() -> None:
    """The reader's own header lines are checked per message: one that starts a line with a
    dot makes plain bytes, which the transport stuffs."""
    raw = make(unsubscribe_mailto="mailto:x@example.org?subject=a\r\n.b")

    assert not isinstance(raw, DotFreeMessage)
    assert b"\r\n..b" in dot_stuffed(raw)
