"""The transport interface the delivery step needs, and the outcome of one attempt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from digest.states import DeliveryStatus

Outcome = Literal[
    DeliveryStatus.SENT, DeliveryStatus.DEFERRED, DeliveryStatus.FAILED, DeliveryStatus.UNCERTAIN
]


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    reply: str  # the server's reply ("250 2.0.0 Ok") or what went wrong
    slow_down: bool = False  # the server asked every connection to back off (421/454)

    @property
    def hard_bounce(self) -> bool:
        """5.1.x: the mailbox does not exist; the address is suppressed."""
        return self.outcome == DeliveryStatus.FAILED and " 5.1." in f" {self.reply[4:]}"


class Transport(Protocol):
    """Carries finished message bytes to one recipient; up to `concurrency` sends at once.

    Messages are RFC 5322 bytes with CRLF line ends (as MessageTemplate makes them)."""

    @property
    def concurrency(self) -> int: ...

    async def open(self) -> None: ...

    async def send(self, sender: str, recipient: str, message: bytes) -> SendResult: ...

    async def close(self) -> None: ...

    def describe(self) -> str: ...
