"""Build one RFC 5322 message: multipart/alternative (text, then HTML) with list headers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import Any, cast

# 76, not 78: RFC 2045 caps quoted-printable lines at 76 characters.
_LINE = 76


class _UrlListHeader(UnstructuredHeader):
    """List-Unsubscribe: folded between its <URL>s, never turned into an encoded-word
    (a long URL would otherwise become =?utf-8?q?…?=, which no mail client follows)."""

    name: str  # the registry mixes these classes with BaseHeader, which sets it

    def fold(self, *, policy: Any) -> str:
        return f"{self.name}: " + f",{policy.linesep} ".join(str(self).split(", ")) + policy.linesep


class _TextHeader(UnstructuredHeader):
    """Subject: non-ASCII text encoded with email.header, whose folding keeps the spaces
    between encoded-words (Python 3.11's default folder drops some: "Tétouan,Côte")."""

    name: str

    def fold(self, *, policy: Any) -> str:
        value = str(self)
        if value.isascii():
            return BaseHeader.fold(cast(BaseHeader, self), policy=policy)
        encoded = Header(value, "utf-8", header_name=self.name).encode(
            linesep=policy.linesep, maxlinelen=_LINE
        )
        return f"{self.name}: {encoded}{policy.linesep}"


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("list-unsubscribe", cast("type[BaseHeader]", _UrlListHeader))
_HEADERS.map_to_type("subject", cast("type[BaseHeader]", _TextHeader))
POLICY = SMTP.clone(max_line_length=_LINE, header_factory=_HEADERS)


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
    message = EmailMessage(policy=POLICY)
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
    return message.as_bytes(policy=POLICY)
