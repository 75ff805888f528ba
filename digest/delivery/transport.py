"""The transport interface the delivery step needs, and the outcome of one attempt."""

from __future__ import annotations

import re
from collections.abc import Generator
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from digest.states import DeliveryStatus


class Ready(Protocol):
    """Done once the previous message of the same sender is recorded: a transport waits for it
    before the point of no return of the next message (the final dot, a written file). An
    asyncio future is one; the recorder's (recorder.Recording) commits when first awaited."""

    def done(self) -> bool: ...

    def result(self) -> Any: ...

    def __await__(self) -> Generator[Any, None, Any]: ...


class DotFreeMessage(bytes):
    """Message bytes that end with CRLF and in which no line starts with a dot: what SMTP's
    transparency (RFC 5321 4.5.2) would double. SMTP sends them as they are, without scanning
    every line of every message for one. Only a builder that can vouch for every line makes
    them (MessageTemplate: it encodes each line start of the body itself); any other bytes are
    checked, and stuffed, by the transport."""

    __slots__ = ()


def starts_a_line_with_dot(data: bytes) -> bool:
    """Whether a line of data starts with a dot: what SMTP's transparency doubles."""
    return data.startswith(b".") or b"\n." in data


Outcome = Literal[
    DeliveryStatus.SENT, DeliveryStatus.DEFERRED, DeliveryStatus.FAILED, DeliveryStatus.UNCERTAIN
]


# (envelope sender, recipient) of the message a lane sends next (see Transport.send's `then`).
NextEnvelope = tuple[str, str]


# A refusal of the sending side, whatever the command it answers: RFC 3463's X.1.7 (bad
# sender's mailbox address syntax) and X.1.8 (bad sender's system address), and the words of
# Postfix's sender, client and HELO restrictions, which it reports at RCPT TO by default
# (smtpd_delay_reject=yes), in reply to every reader, often with a 5.1.x code (Exim's for a
# failed sender verification too).
_SENDER_CODE = re.compile(r"(?<![\w.])[45]\.1\.[78](?![\w.])")
_SENDER_WORDS = re.compile(r"sender address rejected|sender verify failed", re.I)
_HOST_WORDS = re.compile(r"client host rejected|helo command rejected", re.I)
# A server that will not relay for this client (no login, not one of its networks) says so to
# each recipient: Postfix's "Relay access denied", Sendmail's "Relaying denied", Exim's "relay
# not permitted", Exchange's "Unable to relay", qmail's rcpthosts. digest hands its mail to the
# server it is configured with, which relays it on: a refusal of this client, not of the
# readers, who would all be failed for it.
_RELAY_WORDS = re.compile(
    r"relay(ing)? (access )?(denied|not permitted|not allowed|prohibited)|unable to relay|"
    r"(not permitted|not allowed|cannot|can'?t|do not|don'?t) relay\b|"
    r"not in my list of allowed rcpthosts|isn'?t in my list of allowed rcpthosts",
    re.I,
)


# A refusal of the recipient that quotes a refusal of another's sender: Postfix's
# reject_unverified_recipient ("450 4.1.1 <r@x>: Recipient address rejected: unverified
# address: host mx... said: 554 5.7.1 ... Client host rejected: ...") is about one recipient.
_RECIPIENT_WORDS = re.compile(
    r"recipient address rejected|recipient verify failed|callout verification failed", re.I
)


def refuses_sender(reply: str) -> bool:
    """Whether a server's reply refuses the sending side (the envelope sender, this host or
    the name it greets with), not the recipient: it says nothing of the reader's address."""
    return not _RECIPIENT_WORDS.search(reply) and any(
        p.search(reply) for p in (_SENDER_CODE, _SENDER_WORDS, _HOST_WORDS, _RELAY_WORDS)
    )


def refuses_relay(reply: str) -> bool:
    """Whether a refusal of the sending side says the server will not relay for this client."""
    return _RELAY_WORDS.search(reply) is not None


def refuses_host(reply: str) -> bool:
    """Whether a refusal of the sending side is of this host (its address, host name or HELO
    name) rather than of the envelope sender's address."""
    return _HOST_WORDS.search(reply) is not None


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    reply: str  # the server's reply ("250 2.0.0 Ok") or what went wrong
    slow_down: bool = False  # the server asked every connection to back off (421/454)
    # The lane's next transaction (Transport.send's `then`) was begun behind this message:
    # the server waits for that message's data.
    began_next: bool = False
    # The server refused the sending side (the envelope sender, this host, the connection),
    # not the reader: not the reader's attempt, and every reader would get the same (see
    # refuses_sender). The outcome says deferred, for whoever does not look.
    sender_refused: bool = False
    # The words of a refusal of the sender, in reply to this reader's RCPT TO or data: many
    # servers refuse the sender for every reader there (Postfix's smtpd_delay_reject), some for
    # some readers only (its restriction classes). Deferred, never a hard bounce; the send
    # stops only when readers in a row get it (Sender.send_all).
    of_sender: bool = False
    # The server could not take any message now, before any reader was named: the connection
    # could not be made, or the greeting, login or MAIL FROM (the plain sender's asked for
    # after it too) got a 4xx (a busy server, its storage full, too many connections). Not
    # the reader's attempt (see Sender.send_all).
    server_unavailable: bool = False

    @property
    def hard_bounce(self) -> bool:
        """5.1.x: the mailbox does not exist; the address is suppressed. Never a refusal of
        the sender, whose 5.1.7, 5.1.8 or 5.1.0 ("Sender address rejected") is not the
        reader's."""
        return (
            self.outcome == DeliveryStatus.FAILED
            and " 5.1." in f" {self.reply[4:]}"
            and not self.sender_refused
            and not refuses_sender(self.reply)
        )


class Transport(Protocol):
    """Carries finished message bytes to one recipient; up to `concurrency` sends at once.

    Messages are RFC 5322 bytes with CRLF line ends (as MessageTemplate makes them, as a
    DotFreeMessage). Given `ready`, send() hands the message over for good only once `ready`
    is done (raising what it raised), and as late as it can: the send loop passes the
    recording of the sender's previous message, so a crash loses the result of at most one
    handed-over message per sender.

    `lane` (0 <= lane < concurrency) names the caller, when each of up to `concurrency`
    callers sends one message at a time: a transport may keep a connection per lane. `then`
    is the envelope of the message the lane sends next, when the caller has it ready: a
    transport may begin that message's transaction with this one's end (SMTP: behind the
    final dot, RFC 2920), a round trip saved a message; the lane's next send() must then be
    that message, or the transport drops what it began. A transport may ignore both."""

    @property
    def concurrency(self) -> int: ...

    async def open(self) -> None: ...

    async def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        *,
        ready: Ready | None = None,
        lane: int | None = None,
        then: NextEnvelope | None = None,
    ) -> SendResult: ...

    async def close(self) -> None: ...

    def describe(self) -> str: ...
