"""The transport interface the delivery step needs, and the outcome of one attempt."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

Outcome = Literal["sent", "deferred", "failed"]


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    reply: str  # the server's reply ("250 2.0.0 Ok") or what went wrong


class Transport(Protocol):
    """Carries finished message bytes to one recipient."""

    async def open(self) -> None: ...

    async def send(self, sender: str, recipient: str, message: bytes) -> SendResult: ...

    async def close(self) -> None: ...

    def describe(self) -> str: ...
