"""The words of a bounce notice: its own text parts (not those of the message it returns) and
the lines about one address in them; pure."""

from __future__ import annotations

import re
from collections.abc import Iterable
from email.message import Message

# The parts that carry the message a notice returns, or its headers.
RETURNED_PARTS = frozenset({"message/rfc822", "text/rfc822-headers"})
# A report's fields, read as fields (bounces._status_blocks), never as the notice's words: the
# parser makes the blocks of one it does not know (RFC 6533's) a text, thousands of lines long
# in a hostile report, which the search for each address's words went through again and again.
_STATUS_PARTS = frozenset({"message/delivery-status", "message/global-delivery-status"})


def own_text(message: Message) -> str:
    """The notice's own text parts, not those of a message it returns."""
    if message.get_content_maintype() == "text":
        return decoded(message)
    if not message.is_multipart():
        # A multipart whose boundary the parser could not read (a header line left unfolded):
        # its raw text, rather than nothing.
        payload = message.get_payload()
        if message.get_content_maintype() == "multipart" and isinstance(payload, str):
            return payload
        return ""
    return "\n".join(
        own_text(part)
        for part in message.get_payload()
        if isinstance(part, Message)
        and part.get_content_type() not in RETURNED_PARTS | _STATUS_PARTS
    )


def text_of(message: Message) -> str:
    texts = [decoded(part) for part in message.walk() if part.get_content_maintype() == "text"]
    return "\n".join(texts)[:20000]


def decoded(part: Message) -> str:
    body = part.get_payload(decode=True)
    if not isinstance(body, bytes):
        return ""
    charset = part.get_content_charset()
    if charset is None:
        # No charset named: UTF-8 when its bytes are (raw UTF-8 from an SMTPUTF8 mail system,
        # RFC 6531), else Latin-1, which any bytes are.
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            return body.decode("latin-1")
    try:
        return body.decode(charset, "replace")
    except LookupError:  # a charset Python does not know
        return body.decode("latin-1")


# Where a notice starts quoting the message it returns: words after it are not the server's.
_RETURNED = re.compile(
    r"^.{0,12}(old message:|-+ ?original message ?(-+|follows)|"
    r"(below (this|the next) line|enclosed) is a copy|-+ ?message header follows|"
    r"-+ ?returned message|"
    # Exim's: "------ This is a copy of the message, including all the headers. ------".
    r"-+ ?this is a copy of (the|your) message)|"
    # The lines after which other MTAs quote it (the end markers of flufl.bounce's SimpleMatch,
    # Sendmail's and Exchange's): IMail's "Original message follows.", Sendmail's "----- Unsent
    # message follows -----", Smail's "message text follows:", usa.net's "RETURNED MAIL
    # FOLLOWS", demon.co.uk's "START OF RETURNED MESSAGE", Exchange's "Original message
    # headers:", mail.ru's "This is a copy of your message", MailEnable's "Message headers
    # follow", ...
    r"^\W{0,12}(original message follows|(unsent|returned) (message|mail) follows|"
    r"message text follows:|here is your returned mail|start of returned message|"
    r"this is a copy of your message|message headers? follows?|original message headers|"
    r"a copy of the original message|the header of the original message is following|"
    r"the following is a copy of your message|below is a copy of the original message|"
    r"your original message is included below|included is a copy of the message header|"
    r"returned mail\W*$)|"
    # The returned message's header quoted right after the notice's words (Zoho's).
    r"^received: ?from ",
    re.I | re.M,
)


def own_words(text: str) -> str:
    """A notice's words up to where it starts quoting the message it returns."""
    returned = _RETURNED.search(text)
    return text[: returned.start()] if returned else text


# What is left of a line that names an address and says nothing about it.
_NO_WORDS = " \t\r\n<>:;,.\"'()"


def near(text: str, address: str, others: Iterable[str] = ()) -> str:
    """The words about one address: the lines from it on (and a few before, back to the last
    line naming another failed address), up to the returned message or the next line naming
    another failed address; the notice's own words when they do not name it."""
    lowered = text.lower()
    own = len(own_words(text))
    at = lowered.find(address, 0, own)
    if at < 0:
        # Not named in the notice's own words (only in the message it returns, in a Received
        # field say, or under another spelling than a detector's): the notice's words, not the
        # returned message's.
        return text[:own]
    start = max(0, at - 200)
    for other in others:
        # Nor the words of another failed address listed before it: from this address's own
        # line, unless the last line naming that address names this one too, or the other
        # address has no words of its own (a bare list of addresses under one reason). Its
        # words are the lines after it, whether or not they name it again (qmail's "Remote
        # host said: 552 5.2.2 Mailbox full").
        found = lowered.rfind(other, start, at)
        line = lowered.find("\n", found, at) if found >= 0 else -1
        its_words = text[found + len(other) : lowered.rfind("\n", 0, at) + 1] if line >= 0 else ""
        if its_words.strip(_NO_WORDS):
            start = max(start, lowered.rfind("\n", 0, at) + 1)
    window = text[start : at + 400]
    returned = _RETURNED.search(window, min(200, at - start))
    end = returned.start() if returned else len(window)
    after = at + len(address)
    for other in others:
        # The other address's line, unless it is this one's line too ("a@x <a@x>").
        found = lowered.find(other, after, start + end)
        line = lowered.rfind("\n", after, found) if found >= 0 else -1
        if line >= 0:
            end = min(end, line - start)
    return window[: max(end, after - start)]


def entries(lines: Iterable[str]) -> list[str]:
    """A notice's lines, each with the indented lines that continue it (Postfix folds one
    recipient's entry, the server's reply and all, onto lines indented under the first); a
    blank line or one at the margin starts the next."""
    found: list[str] = []
    for line in lines:
        if found and found[-1].strip() and line[:1] in (" ", "\t") and line.strip():
            found[-1] += "\n" + line
        else:
            found.append(line)
    return found


def beside(text: str, address: str) -> str:
    """The lines of a notice about one address: from the line naming it to the next blank
    line (or a few lines on); "" when the notice does not name it."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if address in line.lower():
            about = [line]
            for following in lines[i + 1 : i + 6]:
                if not following.strip() and len(about) > 1:
                    break
                about.append(following)
            return "\n".join(about)
    return ""
