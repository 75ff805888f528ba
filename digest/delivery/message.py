"""Build one RFC 5322 message: multipart/alternative (text, then HTML) with list headers."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from email import quoprimime
from email.header import Header
from email.headerregistry import Address, BaseHeader, HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr
from html import escape as html_escape
from typing import Any, cast

from digest.delivery.addresses import wire_address
from digest.delivery.transport import DotFreeMessage, starts_a_line_with_dot

# 76, not 78: RFC 2045 caps quoted-printable lines at 76 characters.
_LINE = 76


class _UrlListHeader(UnstructuredHeader):
    """List-Unsubscribe: folded between its <URL>s, never turned into an encoded-word
    (a long URL would otherwise become =?utf-8?q?…?=, which no mail client follows)."""

    name: str  # the registry mixes these classes with BaseHeader, which sets it

    def fold(self, *, policy: Any) -> str:
        return fold_url_list(self.name, str(self).split(", "), policy.linesep)


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


def to_header(address: str) -> bytes:
    """The To line of a message to this one address. Raises ValueError for an address no
    message can carry (a control character, a domain with no IDNA form).

    The domain as its A-label: the message stays 7-bit and goes through any server. A UTF-8
    local part has no ASCII form (an encoded-word may not stand in an address, RFC 2047 5, and
    the email package refuses one): it is written in UTF-8 (RFC 6532), and the transport sends
    such a message only with SMTPUTF8."""
    if _CONTROL.search(address):
        # Addresses are validated where they enter (email-validator); this is the last guard:
        # a line break here would add headers of someone else's choosing.
        raise ValueError(f"a recipient address with a control character: {address!r}")
    return f"To: {wire_address(address)}\r\n".encode()


def list_id_header(list_name: str, list_id: str, linesep: str = "\r\n") -> str:
    """The List-Id line (RFC 2919): the list's name as an RFC 5322 phrase, then <list_id>.

    Any name a newsroom gives its list: a plain one as it is, one with specials (":", "&", a
    quote) quoted and escaped, one with non-ASCII letters as RFC 2047 encoded-words, folded
    under 78 columns (email.utils.formataddr and email.header do the quoting and encoding).
    Raises ValueError for a list id that is not a dot-atom or a name with a line break."""
    if not _DOT_ATOM.fullmatch(list_id):
        raise ValueError(f"a list id must be a dot-atom such as weekly.example.org: {list_id!r}")
    name = " ".join(list_name.split())
    if _CONTROL.search(name):
        raise ValueError(f"a list name with a control character: {list_name!r}")
    if not name.isascii():
        phrase = Header(name, "utf-8", header_name="List-Id").encode(
            linesep=linesep, maxlinelen=_LINE
        )
        return f"List-Id: {phrase}{linesep} <{list_id}>{linesep}"
    # Folded at its own spaces: a phrase, quoted or not, may break at any of them.
    lines = [""]
    for word in f"List-Id: {formataddr((name, list_id))}".split(" "):
        if lines[-1] and len(lines[-1]) + 1 + len(word) > _LINE:
            lines.append("")
        lines[-1] += f" {word}" if lines[-1] else word
    return f"{linesep} ".join(lines) + linesep


def fold_url_list(name: str, urls: Sequence[str], linesep: str = "\r\n") -> str:
    return f"{name}: " + f",{linesep} ".join(urls) + linesep


@dataclass(frozen=True)
class Envelope:
    """What the message says about who sends it, to which list, and how to leave it."""

    from_address: str
    from_name: str | None
    list_name: str
    list_id: str  # e.g. "weekly.news.example.org"
    reply_to: str | None = None


@dataclass(frozen=True)
class Personal:
    """One recipient's part of a message."""

    to: str
    values: Mapping[str, str]  # marker in the rendered issue -> this recipient's text
    unsubscribe_url: str
    unsubscribe_mailto: str | None = None


class MessageTemplate:
    """The MIME message of one issue, encoded once; each recipient's message is its bytes
    joined with that recipient's headers and values, with no MIME or template work.

    multipart/alternative: text/plain first, then text/html, both quoted-printable (7-bit
    clean, lines within 76 characters). A recipient's value goes between two soft line breaks,
    so it never disturbs the encoded text around it.
    """

    def __init__(
        self,
        *,
        envelope: Envelope,
        subject: str,
        text: str,
        html: str,
        markers: Sequence[str],
        now: datetime,
    ) -> None:
        self._domain = envelope.from_address.rpartition("@")[2]
        self._date = f"Date: {format_datetime(now)}\r\n".encode()
        self._markers = list(markers)
        boundary = f"=_digest_{uuid.uuid4().hex}"
        static = EmailMessage(policy=POLICY)
        static["From"] = Address(envelope.from_name or "", addr_spec=envelope.from_address)
        if envelope.reply_to:
            static["Reply-To"] = envelope.reply_to
        static["Subject"] = subject
        # RFC 8058: a POST to the https URL unsubscribes at once, without a confirmation page.
        static["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        static["MIME-Version"] = "1.0"
        static["Content-Type"] = f'multipart/alternative; boundary="{boundary}"'
        self._head = b"".join(POLICY.fold_binary(k, v) for k, v in static.items())
        self._head += list_id_header(envelope.list_name, envelope.list_id).encode("ascii")
        delimiter = f"\r\n--{boundary}\r\n".encode()
        part_head = 'Content-Type: text/{}; charset="utf-8"\r\n'
        qp = b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        before_text = b"\r\n" + delimiter[2:] + part_head.format("plain").encode() + qp
        before_html = delimiter + part_head.format("html").encode() + qp
        end = f"\r\n--{boundary}--\r\n".encode()
        # The whole message as one bytes format: the reader's head, then the encoded parts
        # with a %b where each of their markers was (a literal % doubled). Filling it is one
        # C call, where joining the pieces in Python cost as much as the rest of the message.
        pieces, self._slots = [b"%b", before_text], []
        for is_html, body in ((False, text), (True, html)):
            if is_html:
                pieces.append(before_html)
            for segment in _segments(body, self._markers):
                if isinstance(segment, bytes):
                    pieces.append(segment.replace(b"%", b"%%"))
                else:
                    pieces.append(_SOFT_BREAK + b"%b" + _SOFT_BREAK)
                    self._slots.append((segment, is_html))
        pieces.append(end)
        self._format = b"".join(pieces)
        # Every line of the parts starts with a character _qp chose (never a dot) or with
        # text of ours: only the reader's head lines are left to check, per message.
        self._head_dot_free = not starts_a_line_with_dot(self._head)

    def build(self, personal: Personal, message_id: str | None = None) -> tuple[bytes, str]:
        """(message bytes, Message-ID) for one recipient. Raises ValueError for an address
        no message can carry (a control character, a domain with no IDNA form)."""
        message_id = message_id or f"<{uuid.uuid4().hex}@{self._domain}>"
        to = to_header(personal.to)
        targets = [f"<{personal.unsubscribe_url}>"]
        if personal.unsubscribe_mailto:
            targets.append(f"<{personal.unsubscribe_mailto}>")
        head = b"".join(
            (
                self._head,
                to,
                self._date,
                f"Message-ID: {message_id}\r\n".encode(),
                fold_url_list("List-Unsubscribe", targets).encode(),
            )
        )
        values: dict[tuple[str, bool], bytes] = {}
        given = personal.values
        for marker in self._markers:
            value = given.get(marker, "")
            if _unchanged(_PLAIN_IN_HTML, value):
                # A link or an address, almost always: the same bytes in both parts.
                values[marker, False] = values[marker, True] = value.encode("ascii")
            else:
                values[marker, False] = _qp(value)
                values[marker, True] = _qp(html_escape(value))
        message = self._format % (head, *map(values.__getitem__, self._slots))
        if self._head_dot_free and not starts_a_line_with_dot(head):
            return DotFreeMessage(message), message_id
        return message, message_id


_SOFT_BREAK = b"=\r\n"
_CONTROL = re.compile("[\x00-\x1f\x7f\x85\u2028\u2029]")
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


_PLAIN = re.compile(r"[!-<>-~]{0,75}")  # printable ASCII but "=": the same in quoted-printable
# _PLAIN without what html.escape changes (& < > " '): the same escaped and encoded.
_PLAIN_IN_HTML = re.compile(r"[!#-%(-;?-~]{0,75}")


def _unchanged(plain: re.Pattern[str], value: str) -> bool:
    """Whether value goes into the message as its own ASCII bytes: all of it in `plain`, one
    line, and no leading dot (which _qp writes as "=2E")."""
    return plain.fullmatch(value) is not None and not value.startswith(".")


def _qp(value: str) -> bytes:
    if _unchanged(_PLAIN, value):
        return value.encode("ascii")  # links and addresses, almost always: no work to do
    # quoprimime encodes str whose characters are bytes (latin-1), as the email package does.
    latin = value.encode("utf-8").decode("latin-1")
    # Three columns short of the limit: room for a leading "." written as "=2E" (below) and
    # for the soft line break "=" that may follow the last line.
    encoded = quoprimime.body_encode(latin, maxlinelen=_LINE - 3, eol="\r\n").encode("ascii")
    # No line may start with a dot: the message then goes to SMTP as it is, without the
    # per-message dot-stuffing pass (every segment and value starts a line).
    encoded = encoded.replace(b"\r\n.", b"\r\n=2E")
    return b"=2E" + encoded[1:] if encoded.startswith(b".") else encoded


def _segments(body: str, markers: Sequence[str]) -> list[bytes | str]:
    """Encoded literal text (bytes) alternating with the markers (str) found in it."""
    if not markers:
        return [_qp(body)]
    pattern = re.compile("|".join(re.escape(m) for m in markers))
    out: list[bytes | str] = []
    position = 0
    for match in pattern.finditer(body):
        out.append(_qp(body[position : match.start()]))
        out.append(match.group())
        position = match.end()
    out.append(_qp(body[position:]))
    return out
