"""Bounce and complaint reports -> who bounced and why; pure: bytes in, values out.

Reads delivery status notifications (RFC 3464), ARF complaint reports (RFC 5965), Amazon SES's
notifications as Amazon SNS mails them (JSON) and, through flufl.bounce, the non-standard
bounces of the common MTAs (qmail, Exim, Sendmail, Yahoo, ...); failing those, a mail system's
plain notice that puts an address beside a reason about it.
Why a recipient failed, and whether that suppresses them, is bounce_reasons'."""

from __future__ import annotations

import binascii
import bisect
import quopri
import re
from dataclasses import dataclass, replace
from email import message_from_bytes, message_from_string, policy
from email.message import Message
from email.utils import getaddresses

from digest.delivery.bounce_reasons import (
    SUPPRESSING,
    Reason,
    about_another_domain,
    classify,
    classify_text,
    one_reason,
    suppresses,
)
from digest.delivery.notice_text import (
    RETURNED_PARTS,
    beside,
    decoded,
    entries,
    near,
    own_text,
    own_words,
    text_of,
)
from digest.delivery.ses_notice import SesKind, ses_notice

_VERP = re.compile(r"\+([A-Za-z0-9_\-.]+)@")
# Its parts no longer than RFC 5321 allows (a local part of 64 characters, a domain's labels of
# 63), starting where a run of its characters starts: a search that tries each position of a
# long run of them (hostile) tries a bounded stretch at the run's start only, not all of it from
# each, which took time the square of the run's length.
_ADDRESS = re.compile(r"(?<![\w.+'-])[\w.+'-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){1,127}(?![\w-])")
# An address as a whole: no quotes, brackets, colons or spaces (a detector's find that has them
# is some other text round an "@", JSON's '"source":"a@b.c"' say, not the failed address).
_WHOLE_ADDRESS = re.compile(r"[^\s\"(),:;<>@\[\]\\]+@[\w-]+(?:\.[\w-]+)+")
# Feedback types that are a reader's complaint (not-spam, auth-failure: nothing a reader did).
_COMPLAINT_TYPES = frozenset({"abuse", "fraud", "virus", "other"})
# Who sends a delivery notice: the null sender, or a mail system's own mailbox.
_MAIL_SYSTEM = re.compile(r"^\s*<?>?\s*$|\b(mailer-daemon|post_?master)\b", re.I)
# The recipient as a notice's transcript or details gave it to the server ("RCPT TO: a@b.c").
_RCPT_TO = re.compile(r"^\W*RCPT TO:\s*<?([\w.+'-]+@[\w-]+(?:\.[\w-]+)+)>?\s*$", re.I | re.M)
# A notice's line that gives the server's permanent reply about an address, enhanced status
# code and all, the address first ("a@b.c: 550 5.1.1 https://...", OpenSMTPD's older notices)
# or the reply ("525 5.7.13 <a@b.c>: Recipient address rejected: ...", Postfix's own words as
# DragonFly quotes them): the code.
_ADDRESS_AND_REPLY = re.compile(
    r"^\s*<?[\w.+'-]+@[\w-]+(?:\.[\w-]+)+>?:?\s+5\d\d[ -](5\.\d{1,3}\.\d{1,3})\b|"
    r"^\s*5\d\d[ -](5\.\d{1,3}\.\d{1,3})\s+<?[\w.+'-]+@[\w-]+(?:\.[\w-]+)+>?:?(?:\s|$)"
)

# Postfix's notice names an entry's recipient first, "<a@b.c>: " or "<a@b.c> (expanded from
# <d@e.f>): ", then the server's reply, whose addresses are the server's words (another
# spelling of the recipient, the sender), not more recipients.
_ENTRY_HEAD = re.compile(r"^<([^<>\s]+@[^<>\s]+)>(?: \(expanded from <([^<>\s]+@[^<>\s]+)>\))?:")


@dataclass(frozen=True)
class Bounce:
    recipient: str | None  # Final-Recipient, lower-cased
    status: str  # enhanced status code, e.g. "5.1.1"; "" when the report gives none
    action: str  # failed, delayed, ...; "complaint" for an ARF report
    diagnostic: str
    verp_token: str | None  # from bounces+TOKEN@domain, when the report was sent there
    reason: Reason = Reason.UNKNOWN

    @property
    def complaint(self) -> bool:
        return self.action == "complaint"

    @property
    def hard(self) -> bool:
        """The recipient's address is dead: suppress it."""
        return not self.complaint and suppresses(self.reason, self.status)

    @property
    def failure(self) -> bool:
        """A failure that does not suppress (counted as a soft bounce)."""
        return (
            not self.complaint
            and not self.hard
            and self.reason
            not in (
                Reason.SUCCESS,
                Reason.DELAYED,
            )
        )


def parse_dsn(raw: bytes) -> list[Bounce]:
    """The per-recipient reports of a bounce or complaint; [] for a message that is neither."""
    try:
        bounces = _parse(raw)
    except RecursionError:
        # Parts nested deeper than Python's email parser can follow (hostile): no bounce read
        # from this one message, rather than the rest of the mailbox left unprocessed.
        return []
    return [_storable(bounce) for bounce in bounces]


def _storable(bounce: Bounce) -> Bounce:
    """The bounce with text any database stores: a lone surrogate (a charset such as
    unicode_escape or utf-7 decodes one from a hostile notice) or a NUL in a detail failed the
    database's write, which stopped `digest bounces process` at that message on every run."""
    return replace(
        bounce,
        recipient=None if bounce.recipient is None else _text(bounce.recipient),
        status=_text(bounce.status),
        action=_text(bounce.action),
        diagnostic=_text(bounce.diagnostic),
        verp_token=None if bounce.verp_token is None else _text(bounce.verp_token),
    )


def _text(value: str) -> str:
    return value.encode("utf-8", "replace").decode("utf-8").replace("\x00", "")


# Blank lines, or lines of spaces only, before a message's first header line.
_LEADING_BLANK_LINES = re.compile(rb"\A(?:[ \t]*\r?\n)+")


# A header field's first line ("Name: value"), a folded line (white space first), an mbox's
# "From " line; and the blank line that ends a header.
_FIELD_LINE = re.compile(rb"[A-Za-z0-9_.-]+[ \t]*:|[ \t]|From ")
_HEADER_END = re.compile(rb"\r?\n\r?\n")
# Where the blank line ending a header is looked for: a notice's header is a few kB.
_HEAD_AT_MOST = 64 * 1024


def _refolded(raw: bytes) -> bytes:
    """The message with its header's folded lines given back the white space that starts them,
    where a client that broke long lines lost it ("X-Received: by 192.0.2.7 with SMTP id" and
    "g3mr4344...;" below it): such a line ended the header there, and the notice's own From
    and report were read as its body. Only a line with header fields after it: one with none
    is the body's first line, after a header with no blank line to end it. Nothing when no
    blank line ends a header of sane size: which lines were the header's, nothing tells (a
    Postfix entry's "<a@b>:" or a link's "https:" at the margin looks like a field's name)."""
    end = _HEADER_END.search(raw, 0, _HEAD_AT_MOST)
    if end is None:
        return raw
    head = raw[: end.start() + 1]
    lines = head.splitlines(keepends=True)
    fields = [bool(_FIELD_LINE.match(line)) for line in lines]
    if all(fields) or not fields[0]:
        return raw
    last_field = max(i for i, field in enumerate(fields) if field)
    mended = [
        line if field or i > last_field else b" " + line
        for i, (line, field) in enumerate(zip(lines, fields, strict=True))
    ]
    return b"".join(mended) + raw[len(head) :]


def _parse(raw: bytes) -> list[Bounce]:
    # A message saved with blank lines before its header (as some mail stores and fetchers
    # write it) would read as one with no header at all, its report as plain text: its header
    # starts at the first line that is not blank.
    raw = _refolded(_LEADING_BLANK_LINES.sub(b"", raw))
    message = message_from_bytes(raw, policy=policy.compat32)
    again = _with_the_boundary_its_parts_use(raw, message)
    if again is not message:
        # Read with the boundary its parts use; as first read when that gives nothing.
        return _read(again) or _read(message)
    return _read(message)


def _read(message: Message) -> list[Bounce]:
    token = _verp_token(message)
    if message.get_content_type() == "multipart/report" or _provider_complaint(message):
        complaints = _complaints(message, token)
        if complaints:
            return complaints
        bounces = _delivery_status(message, token)
        if bounces:
            return bounces
    if _disposition_notification(message):
        return []
    ses = _ses_notification(message, token)
    if ses is not None:
        return ses
    bounces = _non_standard(message, token)
    if bounces and _a_delay_warning(message):
        # Still being retried: whatever the server said for now (a 450 "User unknown" of a
        # recipient not yet verified), the mail system has not given up on an address whose
        # words hold no permanent reply (one notice may list a failed address beside delayed
        # ones, as Sendmail's "permanent fatal errors" above its "transient non-fatal" ones).
        return [b if _a_permanent_reply(b.diagnostic) else _delayed(b) for b in bounces]
    return bounces


def _delayed(bounce: Bounce) -> Bounce:
    return replace(bounce, action="delayed", reason=Reason.DELAYED)


# What a mail system writes in a warning that a message is not delivered yet and will be
# tried again (Exim's, Postfix's and Sun/Oracle Messaging Server's, Sendmail's, Exchange's,
# Gmail's delay notices): never in a notice of a failure, where it has given up.
_DELAY_WARNING = re.compile(
    r"this is a warning (message )?only|you do not need to resend your message|"
    r"has not yet been delivered to one or more|delivery attempts will continue|"
    r"will be retried until|still being retried|will keep trying until|"
    r"could not send message for past|delivery to the following recipients? has been delayed|"
    r"will retry (for|until) ",
    re.I,
)
_DELAY_SUBJECT = re.compile(
    r"^\s*(warning: message \S+ delayed|delayed mail|delivery status notification \(delay\)|"
    r"delivery delayed)",
    re.I,
)


def _a_delay_warning(message: Message) -> bool:
    """Whether a notice in no report format says delivery is still being tried: its subject,
    or the words of its first text part up to where it quotes the message it returns (not an
    attachment's, which may be the returned newsletter's own)."""
    if _DELAY_SUBJECT.search(str(message.get("Subject", ""))):
        return True
    first = next((p for p in message.walk() if p.get_content_type() == "text/plain"), None)
    words = own_words(decoded(first)[:20000])[:5000] if first is not None else ""
    return bool(_DELAY_WARNING.search(words))


def _disposition_notification(message: Message) -> bool:
    """A message disposition notification (RFC 8098): what became of a message the
    recipient's side had taken, read or deleted unread, or refused by the recipient's own filter
    (a Sieve "reject", RFC 5429: Dovecot's "Your message to <a@b.c> was automatically
    rejected:" and the script's words, "Disposition: ...; deleted"). It names no failed
    delivery: the mailbox is there, whatever the words."""
    if message.get_content_type() != "multipart/report":
        return False
    if str(message.get_param("report-type") or "").lower() == "disposition-notification":
        return True
    payload = message.get_payload()
    return isinstance(payload, list) and any(
        isinstance(part, Message) and part.get_content_type() == "message/disposition-notification"
        for part in payload
    )


# A closing multipart delimiter line: "--boundary--".
_CLOSING_DELIMITER = re.compile(rb"^--([^\s]+)--[ \t]*\r?$", re.M)


def _with_the_boundary_its_parts_use(raw: bytes, message: Message) -> Message:
    """A multipart message whose declared boundary its body never uses (an MTA that wrote one
    boundary in the header and another between the parts), read again with the one its parts
    do use; any other message as it is."""
    declared = message.get_boundary()
    if message.is_multipart() or message.get_content_maintype() != "multipart" or not declared:
        return message
    end = min((i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0), default=-1)
    if end < 0:
        return message
    head, body, declared_bytes = raw[:end], raw[end:], declared.encode("utf-8", "replace")
    if b"--" + declared_bytes in body:
        return message
    used = [
        found
        for found in _CLOSING_DELIMITER.findall(body)
        if re.search(rb"^--" + re.escape(found) + rb"[ \t]*\r?$", body, re.M)
    ]
    if not used:
        return message
    head = head.replace(declared_bytes, used[-1])
    return message_from_bytes(head + body, policy=policy.compat32)


def _delivery_status(message: Message, token: str | None) -> list[Bounce]:
    bounces = []
    notice: str | None = None  # the report's human-readable text, read when a block needs it
    elsewhere: tuple[set[str], set[str]] | None = None  # read when a block names no address
    for part in message.walk():
        if part.get_content_type() not in _DELIVERY_STATUS_TYPES:
            continue
        blocks = _status_blocks(part)
        # The first block is about the message, the rest one per recipient; a block with an
        # Action is a recipient's, the first too when it names one: some mail systems write the
        # recipient's fields straight after the message's, without the blank line between (one
        # block for both), and some put an Action among the message's fields, naming no one.
        for i, block in enumerate(blocks):
            if not isinstance(block, Message):
                continue
            status_field = str(block.get("Status", "")).strip()
            status = status_field.split(" ")[0]
            action = str(block.get("Action", "")).strip().lower() or _ACTION_OF_CLASS.get(
                status[:1] if block.get("Final-Recipient") else "", ""
            )
            if not action:
                continue
            if i == 0 and not (block.get("Final-Recipient") or block.get("Original-Recipient")):
                continue
            diagnostic = " ".join(str(block.get("Diagnostic-Code", "")).split())
            # Some MTAs put their words in the Status ("5.0.0 (recipient reached disk quota)").
            words = f"{diagnostic} {status_field.removeprefix(status)}"
            recipient = _recipient(block)
            if recipient is None or "@" not in recipient:
                if elsewhere is None:
                    elsewhere = _named_elsewhere(message)
                recipient = _completed(recipient, elsewhere)
            if classify_text(words) is None and recipient:
                # No reason in the block's words (many MTAs give a bare 5.0.0 and put the
                # server's reply in the notice's text): the words beside the address there.
                if notice is None:
                    notice = own_text(message)
                words = f"{words} {beside(notice, recipient)}"
                diagnostic = diagnostic or " ".join(beside(notice, recipient).split())[:300]
            bounces.append(
                Bounce(
                    recipient=recipient,
                    status=status,
                    action=action,
                    diagnostic=diagnostic,
                    verp_token=token,
                    reason=about_another_domain(
                        classify(status, action, words), words, recipient or ""
                    ),
                )
            )
    return bounces


# A mailbox's local part alone, as a local delivery agent may report the one it looked up.
_LOCAL_PART = re.compile(r"[\w.+'-]+")


# The X-Failed-Recipients read: a notice about one reader names a few (a hostile one naming
# thousands in a long field cost seconds a report block).
_FAILED_RECIPIENTS_AT_MOST = 4096


def _named_elsewhere(message: Message) -> tuple[set[str], set[str]]:
    """The addresses X-Failed-Recipients gives, and the returned message's one recipient."""
    field = " ".join(message.get_all("X-Failed-Recipients", []))[:_FAILED_RECIPIENTS_AT_MOST]
    failed = {a.lower() for _n, a in getaddresses([field]) if _WHOLE_ADDRESS.fullmatch(a)}
    return failed, _returned_recipients(message)


def _completed(recipient: str | None, elsewhere: tuple[set[str], set[str]]) -> str | None:
    """A report's recipient named incompletely (a local part alone, an X.400 name, no field at
    all) as the internet address the notice names elsewhere (_named_elsewhere: read once a
    notice): the one X-Failed-Recipients or the returned message's header (To, Delivered-To,
    X-Original-To) gives with that local part, or, with no local part to go by, the one they
    give at all; as it was when they give none."""
    failed, returned = elsewhere
    if recipient is not None and _LOCAL_PART.fullmatch(recipient):
        same = {a for a in failed | returned if a.rsplit("@", 1)[0] == recipient}
        return same.pop() if len(same) == 1 else recipient
    for named in (failed, returned):
        if len(named) == 1:
            return next(iter(named))
    return recipient


# A delivery report's part: RFC 3464's, and RFC 6533's for internationalized addresses.
_DELIVERY_STATUS_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
# A recipient's block without the Action RFC 3464 requires: the one its Status's class gives.
_ACTION_OF_CLASS = {"5": "failed", "4": "delayed", "2": "delivered"}


def _status_blocks(part: Message) -> list[Message]:
    """A delivery report's blocks of fields, as Python's parser gives them, or read here from
    the part's text where it gives none: the report base64- or quoted-printable-encoded (which
    the parser splits into blocks before decoding), or RFC 6533's
    message/global-delivery-status, which it does not know."""
    payload = part.get_payload()
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    plain = part.get_content_type() == "message/delivery-status" and encoding not in _ENCODED
    if isinstance(payload, list) and plain:
        return [_in_characters(block) for block in payload if isinstance(block, Message)]
    if isinstance(payload, list):
        # Each block as it was written (a message/* part it does not know, the parser reads
        # as a message: its first block the header, the rest the body).
        text = "\n\n".join(_as_written(block) for block in payload if isinstance(block, Message))
    else:
        text = str(payload)
    # The parser keeps a raw byte it cannot decode as a surrogate: the bytes as they came
    # (RFC 6533 puts raw UTF-8 in a global report), never a "?" in their place.
    raw = text.encode("utf-8", "surrogateescape")
    try:
        body = binascii.a2b_base64(raw) if encoding == "base64" else raw
    except binascii.Error:
        body = b""  # base64 that does not decode (cut short, hostile): a report of nothing
    body = quopri.decodestring(body) if encoding == "quoted-printable" else body
    fields = body.decode("utf-8", "replace").replace("\r\n", "\n")
    return [
        message_from_string(chunk.strip("\n") + "\n", policy=policy.compat32)
        for chunk in re.split(r"\n[ \t]*\n", fields)
        if chunk.strip()
    ]


_ENCODED = frozenset({"base64", "quoted-printable"})


def _characters(value: str) -> str:
    """A header's value as the parser keeps it, raw bytes as surrogates, read as UTF-8."""
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _in_characters(block: Message) -> Message:
    """A block of fields with raw UTF-8 in its values (RFC 6531's, RFC 6533's) read as its
    characters, not as the parser's surrogates or the "?"s they print as."""
    fields = list(block.raw_items())
    if all(value.isascii() for _name, value in fields):
        return block
    copy = Message()
    for name, value in fields:
        copy[name] = _characters(value)
    return copy


def _as_written(block: Message) -> str:
    """A block as it was written, raw bytes kept as the parser's surrogates."""
    head = "".join(f"{name}: {value}\n" for name, value in block.raw_items())
    payload = block.get_payload()
    if isinstance(payload, list):
        body = "\n\n".join(_as_written(p) for p in payload if isinstance(p, Message))
    else:
        # Its bytes as they came (the payload as a string has "?"s for the raw ones).
        raw = block.get_payload(decode=True)
        body = raw.decode("ascii", "surrogateescape") if isinstance(raw, bytes) else str(payload)
    return f"{head}\n{body}" if body.strip() else head


# Microsoft's (JMRP) and Amazon SES's complaint reports: a multipart/mixed message with the
# complained-of message attached and no feedback-report part (as Sisimai's ARF reads them).
_COMPLAINT_SENDERS = re.compile(r"^(staff@hotmail\.com|complaints@email-abuse\.amazonses\.com)$")
_COMPLAINT_SUBJECT = re.compile(r"^complaint about message from ", re.I)


def _provider_complaint(message: Message) -> bool:
    senders = [a.lower() for _n, a in getaddresses(message.get_all("From", []))]
    return (
        message.get_content_type() == "multipart/mixed"
        and any(_COMPLAINT_SENDERS.match(a) for a in senders)
        and bool(_COMPLAINT_SUBJECT.match(str(message.get("Subject", "")).strip()))
    )


def _complaints(message: Message, token: str | None) -> list[Bounce]:
    """An ARF report (RFC 5965), or a provider's own complaint report: the reader who marked
    our message as spam."""
    provider = _provider_complaint(message)
    if not provider and message.get_param("report-type", header="content-type") != (
        "feedback-report"
    ):
        return []
    fields: Message | None = None
    original: Message | None = None
    for part in message.walk():
        kind = part.get_content_type()
        if kind == "message/feedback-report":
            fields = _headers_of(part)
        elif kind in ("message/rfc822", "text/rfc822-headers") and original is None:
            original = _headers_of(part)
    if fields is None:
        if not provider:
            return []
        fields = Message()  # no fields: an abuse report, its reader named in the original
    feedback_type = str(fields.get("Feedback-Type", "abuse")).strip().lower()
    if feedback_type not in _COMPLAINT_TYPES:
        return []  # not-spam, auth-failure: nothing the reader did
    if original is not None:
        token = token or _verp_token(original, ("Return-Path", "X-Original-To", "To"))
    recipients = [_address(v) for v in fields.get_all("Original-Rcpt-To") or []]
    if not any(recipients) and original is not None:
        # Microsoft names the reader in a header of its own.
        recipients = [_address(v) for v in original.get_all("X-HmXmrOriginalRecipient") or []]
    if not any(recipients) and original is not None:
        # Only addresses: "undisclosed recipients" and other group names name nobody.
        to = getaddresses(original.get_all("To") or [])
        recipients = [a.lower() for _n, a in to if "@" in a]
    return [
        Bounce(
            recipient=recipient,
            status="",
            action="complaint",
            diagnostic=f"feedback-type: {feedback_type}",
            verp_token=token,
            reason=Reason.UNKNOWN,
        )
        for recipient in (recipients or [None])
    ]


def _ses_notification(message: Message, token: str | None) -> list[Bounce] | None:
    """Amazon SES's notification in its JSON text body, as Amazon SNS mails it: its bounced
    or complaining recipients ([] for a delivery notice); None when the body is none."""
    if message.get_content_maintype() != "text":
        return None
    notice = ses_notice(decoded(message))
    if notice is None:
        return None
    if notice.kind == SesKind.COMPLAINT and notice.feedback_type not in _COMPLAINT_TYPES:
        return []
    return [
        Bounce(
            recipient=recipient.address,
            status=recipient.status,
            action=recipient.action,
            diagnostic=(
                f"feedback-type: {notice.feedback_type}"
                if notice.kind == SesKind.COMPLAINT
                else " ".join(recipient.diagnostic.split())[:300]
            ),
            verp_token=token,
            reason=(
                Reason.UNKNOWN
                if notice.kind == SesKind.COMPLAINT
                else classify(recipient.status, recipient.action, recipient.diagnostic)
            ),
        )
        for recipient in notice.recipients
        if _WHOLE_ADDRESS.fullmatch(recipient.address)
    ]


# The most failed addresses read from one notice in an MTA's own words.
_MOST_ADDRESSES = 50


def _non_standard(message: Message, token: str | None) -> list[Bounce]:
    """A bounce in an MTA's own words, as flufl.bounce's detectors read it."""
    # Imported here: its detectors cost every other command's start-up a little.
    from flufl.bounce import all_failures

    try:
        temporary, permanent = all_failures(message)
    except Exception:  # a detector that cannot read a malformed message
        # (a From with raw 8-bit bytes, none at all) stops the scan: no bounce read from it,
        # rather than the whole mailbox left unprocessed.
        return []
    if not temporary and not permanent:
        return _plain_notice(message, token)
    # Each of digest's messages goes to one reader: a notice about one of them names a few
    # addresses (aliases, forwards), not hundreds. The words about each address are searched
    # in the whole notice, so a hostile notice naming 1,200 took minutes; the first ones only.
    permanent = frozenset(sorted(permanent)[:_MOST_ADDRESSES])
    temporary = frozenset(sorted(temporary)[: max(0, _MOST_ADDRESSES - len(permanent))])
    text = own_text(message)[:20000] or text_of(message)
    # Nor a message's identifier, nor the sender the notice is addressed to (or its mail
    # system), which detectors find in a returned header quoted in the notice's text, unless the
    # notice names it as failed (an anonymised notice can have sent to itself).
    named = own_words(text).lower() + " ".join(message.get_all("X-Failed-Recipients", [])).lower()
    failed_named = " ".join(message.get_all("X-Failed-Recipients", [])).lower()
    not_recipients = (
        _message_ids(message, text)
        | {a for a in _own_addresses(message) if a not in named}
        | {a for a in _senders(text) if a not in failed_named}
    )
    bounces = []
    failed = {
        a.decode("utf-8", "replace").strip("<>").strip("'").lower() for a in permanent | temporary
    }
    # The addresses whose own lines give no reason each fall back on the same words of the
    # whole notice: classified once, not once per address (a notice naming 1,200: minutes).
    reasons: dict[str, Reason | None] = {}

    def reason_of(words: str) -> Reason | None:
        if words not in reasons:
            reasons[words] = classify_text(words)
        return reasons[words]

    for addresses, status in ((permanent, ""), (temporary, "4.0.0")):
        for raw_address in sorted(addresses):
            # Exchange 2003 quotes each address ("'a@b.c' on 1/12/2025"): the quotes are no
            # part of it (a local part may hold an apostrophe, not start or end with one).
            address = raw_address.decode("utf-8", "replace").strip("<>").strip("'").lower()
            if not _WHOLE_ADDRESS.fullmatch(address) or address in not_recipients:
                continue  # no address: other text a detector took for one
            # Its own lines first; when they give no reason (two lines for one recipient: "a@x
            # (expanded from: b@y)"), the words after the next address too.
            words = near(text, address, failed - {address})
            # The words from its own line on first: a notice's gloss before the list ("This
            # happens when the mailbox is full or the address does not exist") is no reason of
            # this address's when its own lines give one.
            lowered = words.lower()
            at = lowered.find(address)
            reason = reason_of(words[lowered.rfind("\n", 0, at) + 1 :]) if at >= 0 else None
            reason = reason or reason_of(words)
            # Its own lines name why (not another entry's, the notice's one reason for all, nor
            # a detector's).
            stated = reason is not None
            if reason is None:
                words = near(text, address)
                reason = reason_of(words)
            if reason is None and (sole := one_reason(own_words(text))) is not None:
                # Nothing beside it, but the notice gives one reason for all it lists ("Your
                # message was not delivered within 2 days. ... The following recipients did not
                # receive your message: <a@b.c> ...").
                words, reason = own_words(text), sole
            if reason is None:
                # A detector called it permanent without naming why: the address is what
                # it could not deliver to.
                reason = Reason.USER_UNKNOWN if not status else Reason.DELAYED
            reason = about_another_domain(reason, words, address)
            if (
                _a_contact(address, reason)
                and address not in failed_named
                and not (stated and _heads_an_entry(text, address))
            ):
                continue  # a mail system's own mailbox: the notice's contact, not a reader
            bounces.append(
                Bounce(
                    recipient=address,
                    status=status or _transient_status(words),
                    action="failed" if not status else "delayed",
                    diagnostic=" ".join(words.split())[:300],
                    verp_token=token,
                    reason=reason,
                )
            )
    # Every find was some other address (the sender's own, a quoted header's, no address at
    # all): the notice's own lines, as for a notice no detector reads.
    return bounces or _plain_notice(message, token)


# A message's identifiers, in its header or a header quoted in a notice ("Message-ID:<a@b>",
# and the ones In-Reply-To and References give, folded onto indented lines or not).
_MESSAGE_ID_FIELD = re.compile(
    r"^(?:(?:resent-)?message-id|in-reply-to|references):(?:[^\n]*)(?:\n[ \t][^\n]*)*",
    re.I | re.M,
)
_IDENTIFIER = re.compile(r"<([^<>\s]+@[^<>\s]+)>")


def _own_addresses(message: Message) -> set[str]:
    """The notice's own From and To: its mail system, and the sender it is addressed to."""
    fields = message.get_all("From", []) + message.get_all("To", [])
    return {a.lower() for _n, a in getaddresses(fields) if a}


def _message_ids(message: Message, text: str) -> set[str]:
    text = f"{text.replace(chr(13), '')}\nMessage-ID: {message.get('Message-ID', '')}"
    return {
        i.lower()
        for field in _MESSAGE_ID_FIELD.finditer(text)
        for i in _IDENTIFIER.findall(field.group(0))
    }


def _plain_notice(message: Message, token: str | None) -> list[Bounce]:
    """A mail system's notice in no format a detector knows ("You sent mail to a@example.org.
    That's not a valid user here."): each address of an entry (a line and the indented lines
    that continue it) whose words give a reason that suppresses it. Only from the null sender
    or a mail system: a person's autoreply is never read as a bounce."""
    if not _from_a_mail_system(message):
        return []
    bounces: list[Bounce] = []
    text = own_text(message)
    # The notice's own From and To, and the returned message's sender where the notice's text
    # quotes it: never a recipient.
    ours = _own_addresses(message) | _senders(text) | _message_ids(message, text)
    # The notice's own words, up to where it quotes the message it returns: a returned post's
    # words are no reason of the server's, nor its addresses the failed ones.
    words = own_words(text)
    lines = words.splitlines()[:200]
    about: list[tuple[str, Reason]] = []  # (entry, reason) of the entries naming a dead address
    for entry in entries(lines):
        reason = classify_text(entry)
        if reason is None and (reply := _ADDRESS_AND_REPLY.match(entry)):
            # No reason in its words: the one its enhanced status code gives.
            reason = classify(reply.group(1) or reply.group(2), "failed", entry)
        if reason in SUPPRESSING:
            about.append((entry, reason))
    for entry, reason in about:
        head = _ENTRY_HEAD.match(entry)
        addresses = [a for a in head.groups() if a] if head else _ADDRESS.findall(entry)
        for found in addresses:
            # The entry's own head ("<postmaster@a.b>: host ... said: 550 5.1.1 ..."): the
            # failed recipient, a mail system's mailbox or not.
            address = found.strip("'").rstrip(".").lower()
            _add_plain(bounces, address, ours, entry, reason, token, failed=head is not None)
    if not bounces and about:
        # The reason on a line of its own, the address on another: the one recipient the
        # notice's transcript gave the server ("RCPT TO: a@b.c"), else the one address it names
        # at all (a mail system's own mailbox aside).
        own = "\n".join(lines)
        recipients = {a.lower() for a in _RCPT_TO.findall(own)} - ours
        if not recipients:
            named = {a.strip("'").rstrip(".").lower() for a in _ADDRESS.findall(own)} - ours
            recipients = {a for a in named if not _MAIL_SYSTEM.search(a.split("@")[0])}
        if not recipients and (token is not None or _returns_a_list_message(message)):
            # Nor there: the one reader the returned message was sent to (its header's To,
            # Delivered-To, X-Original-To), as a notice that leaves the address to the message
            # it returns names it; only for a notice about a list's message (sent back to a
            # reader's own return path, or a returned header with List-Id or
            # List-Unsubscribe: one reader a message): a returned editor's mail may have had
            # others in its Bcc, of whom the notice speaks.
            recipients = _quoted_recipients(text[len(words) :]) or _returned_recipients(message)
            recipients -= ours
        if len(recipients) == 1:
            line, reason = about[0]
            _add_plain(bounces, recipients.pop(), ours, line, reason, token)
    return bounces


def _returns_a_list_message(message: Message) -> bool:
    """Whether the message a notice returns (its header, attached or quoted) is a mailing
    list's: a List-Id or List-Unsubscribe field (RFC 2919, 2369)."""
    for part in message.walk():
        if part.get_content_type() in RETURNED_PARTS:
            header = _headers_of(part)
            if header.get("List-Id") or header.get("List-Unsubscribe"):
                return True
    return bool(_QUOTED_LIST_FIELD.search(own_text(message)[:50000]))


_QUOTED_LIST_FIELD = re.compile(r"^(?:list-id|list-unsubscribe):", re.I | re.M)


# A delivery notice's subject, in the words mail systems give it ("Undeliverable Message",
# "Returned mail: ...", "Delivery Status Notification (Failure)", "failure notice", ...).
_NOTICE_SUBJECT = re.compile(
    r"undeliver|undelivered|not delivered|returned mail|mail delivery|delivery (status|failure|"
    r"notification|report|problem)|failure notice|non-?delivery|\bndr\b|bounced? mail|"
    r"could not be delivered|delivery failed|unzustellbar|non remis|no entregado|onbestelbaar",
    re.I,
)


def _from_a_mail_system(message: Message) -> bool:
    """Whether a notice is a mail system's: from the null sender or a mail system's own
    mailbox, or sent with the null reverse path (RFC 5321 4.5.5: a delivery notice goes so,
    whoever its From names, an MMS gateway's administrator say) under a notice's subject
    (RFC 3834 asks a person's autoreply to go with the null reverse path too)."""
    if _MAIL_SYSTEM.search(str(message.get("From", ""))):
        return True
    null_path = any(
        str(value).strip() in ("<>", "") for value in message.get_all("Return-Path", [])
    )
    # The notice's words opening the subject: a person's autoreply quotes the newsletter's
    # subject (after "Re:" or "Automatic reply:", or bare), whose story may be about a
    # "delivery failure"; and no autoresponder's mark.
    subject = _SUBJECT_TAGS.sub("", str(message.get("Subject", "")))
    return (
        null_path
        and bool(_NOTICE_SUBJECT.match(subject) or _NOTICE_SUBJECT_OPENING.match(subject))
        and not any(message.get(field) for field in _AUTORESPONDER_FIELDS)
        and str(message.get("Precedence", "")).strip().lower() != "auto_reply"
    )


# Tags a gateway puts before a subject ("[EXTERNAL] ", "*** SPAM *** "), and white space.
_SUBJECT_TAGS = re.compile(r"^(?:\s*(?:\[[^\]]{0,40}\]|\*{1,3}[^*]{0,40}\*{1,3}))*\s*")
# A notice's subject opening in its own words ("Your message was not delivered", "Message
# delivery failure", "Mail System Error - Returned Mail").
_NOTICE_SUBJECT_OPENING = re.compile(
    r"(?:your |the )?(?:message|mail|e-?mail)(?: (?:was|could))? not(?: be)? delivered|"
    r"message delivery fail|mail system error",
    re.I,
)


# Fields autoresponders add (X-Autoreply: yes, X-Autorespond: ...), which no mail system's
# delivery notice has.
_AUTORESPONDER_FIELDS = ("X-Autoreply", "X-Autorespond", "X-Autoresponder")


# The returned message's header fields that name whom it was sent to.
_RETURNED_RECIPIENT_FIELDS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
# The same fields in a returned header quoted in a notice's text, folded onto indented lines or
# not.
_QUOTED_RECIPIENT_FIELD = re.compile(
    r"^(?:to|cc|delivered-to|x-original-to|envelope-to):([^\n]*(?:\n[ \t][^\n]*)*)", re.I | re.M
)


def _quoted_recipients(returned: str) -> set[str]:
    """The one address a returned header quoted in a notice's text (after its marker) gives as
    the message's recipient; none when it gives several."""
    head = returned.replace("\r", "")[: _FIELD_REACH * 10]
    found = {
        address.lower()
        for field in _QUOTED_RECIPIENT_FIELD.finditer(head)
        for _name, address in getaddresses([" ".join(field.group(1).split())])
        if _WHOLE_ADDRESS.fullmatch(address)
    }
    return found if len(found) == 1 else set()


def _returned_recipients(message: Message) -> set[str]:
    """The addresses the returned message (a message/rfc822 or text/rfc822-headers part) was
    sent to, when its header names one (To and Cc; a Bcc it cannot show): none for a message
    to several, of which the notice's reason names none."""
    for part in message.walk():
        if part.get_content_type() not in RETURNED_PARTS:
            continue
        header = _headers_of(part)
        found = {
            address.lower()
            for field in _RETURNED_RECIPIENT_FIELDS
            for _name, address in getaddresses(header.get_all(field, []))
            if _WHOLE_ADDRESS.fullmatch(address)
        }
        if found:
            return found if len(found) == 1 else set()
    return set()


# Where a notice's text gives the returned message's sender: a quoted header's sender fields
# ("From: News <news@a.b>", folded or not) and an SMTP transcript's envelope sender ("MAIL
# FROM:<news@a.b>", Exim's "envelope-from <news@a.b>", MDaemon's "*  From: news@a.b").
_SENDER_FIELD = re.compile(
    # Not an alias's own ("(expanded from: a@b.c)", "generated from"): the recipient's.
    r"(?<![\w-])(?<!expanded )(?<!generated )(?<!forwarded )"
    r"(?:from|sender|reply-to|return-path|resent-from|errors-to|mail from):|"
    r"envelope-from\s*<",
    re.I,
)


# Where it gives a recipient: a quoted header's "To:" or "Cc:", a transcript's "RCPT TO:", a
# Received field's "for <a@b.c>".
_RECIPIENT_FIELD = re.compile(r"(?<![\w-])(?:to|cc|rcpt to):|\bfor\s*<", re.I)


# How far after a field's name its address is looked for: a display name and an address.
_FIELD_REACH = 400


def _given_after(field: re.Pattern[str], text: str) -> set[str]:
    """The first address after each of a field's names in a text (on the next line when the
    field is folded)."""
    found = set()
    lines = text.splitlines()
    for i, line in enumerate(lines):
        names = [name.end() for name in field.finditer(line)]
        if not names:
            continue
        # Each line's addresses found once, each name's the first after it within reach: a
        # search of the rest of a long line after each of many names on it (hostile) took time
        # the square of its length.
        addresses = list(_ADDRESS.finditer(line))
        starts = [a.start() for a in addresses]
        for end in names:
            at = bisect.bisect_left(starts, end)
            address = addresses[at] if at < len(addresses) else None
            if address is not None and address.start() - end > _FIELD_REACH:
                address = None
            if address is None and i + 1 < len(lines) and lines[i + 1][:1] in " \t":
                address = _ADDRESS.search(lines[i + 1][:_FIELD_REACH])  # folded: the next line
            if address:
                found.add(address.group(0).strip("'").rstrip(".").lower())
    return found


def _senders(text: str) -> set[str]:
    """The addresses a notice's text gives as the returned message's sender, and nowhere as a
    recipient (a message sent to oneself names its address as both): ours, not recipients."""
    return _given_after(_SENDER_FIELD, text) - _given_after(_RECIPIENT_FIELD, text)


def _add_plain(
    bounces: list[Bounce],
    address: str,
    ours: set[str],
    line: str,
    reason: Reason,
    token: str | None,
    *,
    failed: bool = False,
) -> None:
    if address in ours or (_a_contact(address, reason) and not failed):
        return
    if any(b.recipient == address for b in bounces):
        return
    bounces.append(
        Bounce(
            recipient=address,
            status=_transient_status(line),
            action="failed",
            diagnostic=" ".join(line.split())[:300],
            verp_token=token,
            reason=reason,
        )
    )


# A server's reply with its enhanced status code ("450 4.2.0 ...", "550-5.1.1 ...").
_REPLY_WITH_STATUS = re.compile(r"(?<![\w.])([245])\d\d[ -]+(([245])\.\d{1,3}\.\d{1,3})(?![\w.])")


def _transient_status(words: str) -> str:
    """The status of the last reply in an address's words when every reply there was a
    transient one (a mail system that gave up after "450 4.2.0 mailbox unavailable", or
    relayed a 450 4.1.1 "User unknown" of an address not yet verified): the words' reason then
    suppresses nothing (suppresses()); "" otherwise (a 550 5.1.1 and then a "421 4.4.2
    timeout" closing the session says the address is dead)."""
    replies = _REPLY_WITH_STATUS.findall(words)
    transient = replies and all(status_class == "4" for _r, _s, status_class in replies)
    return replies[-1][1] if transient else ""


def _a_permanent_reply(words: str) -> bool:
    """Whether the words hold a permanent reply with its enhanced status ("550 5.1.1")."""
    return any(reply == status == "5" for reply, _s, status in _REPLY_WITH_STATUS.findall(words))


# A mail system's own mailbox, named in a notice's own words as whom to write to or as its
# sender.
_MAIL_SYSTEM_MAILBOX = re.compile(r"^(?:postmaster|mailer[-_]?daemon)@", re.I)


def _heads_an_entry(text: str, address: str) -> bool:
    """Whether a notice's text names an address at the head of an entry of its own, as the one
    it failed to deliver to: qmail's and Postfix's "<a@b.c>:" at the start of a line. (qmail
    lists the copy it sends its own postmaster so too, with words that give no reason.)"""
    head = re.compile(rf"^[ \t]*<{re.escape(address)}>:", re.I | re.M)
    return head.search(text) is not None


def _a_contact(address: str, reason: Reason) -> bool:
    """A mail system's own mailbox found with a reason other than its domain's: every domain
    that takes mail has a postmaster (RFC 5321 4.5.1), so one said to be unknown there is the
    notice's contact read as a recipient, not a reader of ours. A domain that does not exist
    is dead for its postmaster too."""
    return bool(_MAIL_SYSTEM_MAILBOX.match(address)) and reason != Reason.HOST_UNKNOWN


def _headers_of(part: Message) -> Message:
    payload = part.get_payload()
    if isinstance(payload, list):
        first = payload[0]
        return first if isinstance(first, Message) else Message()
    if isinstance(payload, Message):
        return payload
    body = part.get_payload(decode=True)
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else str(payload)
    return message_from_string(text.lstrip("\r\n"), policy=policy.compat32)


def _recipient(block: Message) -> str | None:
    """Original-Recipient (the address as we gave it, RFC 3464), else Final-Recipient (after
    forwarding or alias expansion); only internet addresses, not X.400 ones."""
    for field in ("Original-Recipient", "Final-Recipient"):
        value = str(block.get(field, ""))
        address = _address(value)
        kind = value.split(";", 1)[0].strip().lower()
        if address and kind in ("rfc822", "utf-8") and "@" in address:
            return address
    return _address(block.get("Final-Recipient", ""))


def _address(field: str) -> str | None:
    # "rfc822; someone@example.org"; RFC 6533's "utf-8; ann@b\\x{FC}cher.example" as its
    # characters.
    value = str(field).split(";", 1)[-1].strip().strip("<>")
    value = _UNICODE_ESCAPE.sub(_unescaped, value).lower()
    return value or None


def _unescaped(escape: re.Match[str]) -> str:
    point = int(escape.group(1), 16)
    if point < 0x20 or point > 0x10FFFF or 0xD800 <= point <= 0xDFFF:
        return escape.group(0)  # no character: left as written
    return chr(point)


# RFC 6533's escape of a character in a utf-8 address: "\\x{HEXPOINT}".
_UNICODE_ESCAPE = re.compile(r"\\x\{([0-9A-Fa-f]{1,6})\}")


def _verp_token(
    message: Message,
    headers: tuple[str, ...] = ("X-Original-To", "Delivered-To", "Envelope-To", "To"),
) -> str | None:
    for header in headers:
        for value in message.get_all(header) or []:
            match = _VERP.search(str(value))
            if match:
                return match.group(1)
    return None
