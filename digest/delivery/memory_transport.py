"""A transport that keeps messages in memory and answers as scripted: for tests, no I/O."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from digest.delivery.transport import NextEnvelope, Ready, SendResult
from digest.states import DeliveryStatus

ACCEPTED = SendResult(DeliveryStatus.SENT, "250 2.0.0 Ok: queued")


@dataclass(frozen=True)
class HandedOver:
    """One message as the send loop handed it to the transport."""

    sender: str
    recipient: str
    message: bytes


# Given a message, its result (or an awaitable of it: a slow server); raising stands for a
# transport that raised on it.
Handler = Callable[[HandedOver], SendResult | Awaitable[SendResult]]


def accept(_handed: HandedOver) -> SendResult:
    return ACCEPTED


def answering(
    replies: Mapping[str, SendResult | Exception], default: SendResult = ACCEPTED
) -> Handler:
    """A handler with an outcome per recipient: a SendResult is returned, an exception raised;
    a recipient not named gets default."""

    def handler(handed: HandedOver) -> SendResult:
        reply = replies.get(handed.recipient, default)
        if isinstance(reply, Exception):
            raise reply
        return reply

    return handler


class MemoryTransport:
    """The transport interface of SmtpPool and FileOutbox, kept in memory: every message handed
    over is recorded, and the handler says what became of it (default: accepted), as
    httpx.MockTransport does for requests."""

    def __init__(self, handler: Handler = accept, *, concurrency: int = 1) -> None:
        self.handler = handler
        self._concurrency = concurrency
        self.handed_over: list[HandedOver] = []  # in order, whatever their outcome
        self.opened = 0
        self.closed = 0

    @property
    def concurrency(self) -> int:
        return self._concurrency

    async def open(self) -> None:
        self.opened += 1

    async def send(
        self,
        sender: str,
        recipient: str,
        message: bytes,
        *,
        ready: Ready | None = None,
        lane: int | None = None,
        then: NextEnvelope | None = None,
    ) -> SendResult:
        """lane and then are of no use here: one message at a time, nothing to begin early."""
        if ready is not None:
            await ready
        handed = HandedOver(sender, recipient, message)
        self.handed_over.append(handed)
        result = self.handler(handed)
        return await result if inspect.isawaitable(result) else result

    async def close(self) -> None:
        self.closed += 1

    def describe(self) -> str:
        return "memory transport"

    def recipients(self) -> list[str]:
        """Who was handed a message, in order (once per attempt)."""
        return [h.recipient for h in self.handed_over]
