"""The transport interface the delivery step needs, and the outcome of one attempt."""

from __future__ import annotations

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


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    reply: str  # the server's reply ("250 2.0.0 Ok") or what went wrong
    slow_down: bool = False  # the server asked every connection to back off (421/454)
    # The lane's next transaction (Transport.send's `then`) was begun behind this message:
    # the server waits for that message's data.
    began_next: bool = False

    @property
    def hard_bounce(self) -> bool:
        """5.1.x: the mailbox does not exist; the address is suppressed."""
        return self.outcome == DeliveryStatus.FAILED and " 5.1." in f" {self.reply[4:]}"


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
