"""Build one RFC 5322 message: multipart/alternative (text, then HTML) with list headers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid


@dataclass(frozen=True)
class Envelope:
    """What the message says about who sends it, to which list, and how to leave it."""

    from_address: str
    from_name: str | None
    list_name: str
    list_id: str  # e.g. "weekly.news.example.org"
    reply_to: str | None = None


def build_message(
    *,
    envelope: Envelope,
    to_address: str,
    subject: str,
    text: str,
    html: str,
    unsubscribe_url: str,
    unsubscribe_mailto: str | None,
    now: datetime,
    message_id: str | None = None,
) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    message["From"] = Address(envelope.from_name or "", addr_spec=envelope.from_address)
    message["To"] = to_address
    if envelope.reply_to:
        message["Reply-To"] = envelope.reply_to
    message["Subject"] = subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id or make_msgid(domain=envelope.from_address.split("@")[-1])
    message["List-Id"] = f"{envelope.list_name} <{envelope.list_id}>"
    targets = [f"<{unsubscribe_url}>"]
    if unsubscribe_mailto:
        targets.append(f"<{unsubscribe_mailto}>")
    message["List-Unsubscribe"] = ", ".join(targets)
    # RFC 8058: a POST to the https URL unsubscribes at once, without a confirmation page.
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message["MIME-Version"] = "1.0"
    # quoted-printable keeps lines short and 7-bit clean for servers without 8BITMIME.
    message.set_content(text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(html, subtype="html", charset="utf-8", cte="quoted-printable")
    return message


def message_bytes(message: EmailMessage) -> bytes:
    """CRLF line endings and folded headers, as SMTP wants them."""
    return message.as_bytes(policy=SMTP)
