"""Each reader's message built and sent, as many at once as the transport allows, at the rate,
each result handed to the recorder as it comes."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Sequence
from typing import Protocol

from digest.config import Settings
from digest.delivery import outbox
from digest.delivery.dkim import dkim_signer
from digest.delivery.rate import Permits, RateLimit
from digest.delivery.recorder import Recording, RecordingFailed
from digest.delivery.transport import SendResult, Transport
from digest.errors import DigestError
from digest.states import DeliveryStatus

log = logging.getLogger("digest")

# Takes one message's attempt to be recorded; done once it is.
Record = Callable[[outbox.Attempt], Recording]


class IssueMail(Protocol):
    """One issue as mail: what the send loop asks of whoever rendered it."""

    def has_stories(self, topics: Sequence[str] | None) -> bool:
        """Whether any story matches these topics (None: every topic); raises when the issue
        cannot be rendered for them."""
        ...

    def message(
        self, subscriber_id: int, email: str, topics: Sequence[str] | None
    ) -> tuple[bytes, str]:
        """This reader's message (RFC 5322 bytes, CRLF line ends, unsigned) and Message-ID."""
        ...

    def envelope_sender(self, subscriber_id: int) -> str:
        """The envelope sender of this reader's message: where its bounces go."""
        ...


class Sender:
    """Builds and sends claimed messages, as many at once as the transport allows, at the
    configured rate; a server's "slow down" (421/454) pauses every sender."""

    def __init__(
        self,
        mail: IssueMail,
        transport: Transport,
        settings: Settings,
        rate: Permits | None = None,
    ) -> None:
        """rate: the limit to obey (default: this process's own, at the configured rate)."""
        self.mail = mail
        self.transport = transport
        self.slow_down_seconds = settings.delivery.slow_down_seconds
        self.rate = rate or RateLimit(settings.delivery.rate_limit_per_second)
        self.dkim = dkim_signer(settings)

    async def send_all(
        self,
        claimed: list[outbox.Claimed],
        topics: dict[int, list[str]] | None,
        record: Record,
    ) -> None:
        """Send every claimed message, each result recorded as it comes; return once all are.

        Each of the `concurrency` senders hands the transport the recording of its previous
        message as `ready`: no message is accepted before the one sent before it on the same
        sender is recorded, so a crash leaves at most one accepted message per sender
        unrecorded. Results are recorded in the order they are submitted, so each one recorded
        means every earlier one of its sender is too."""
        waiting = deque(claimed)
        chosen = topics or {}
        recorded: list[Recording] = []

        async def work() -> None:
            previous: Recording | None = None
            while waiting:
                item = waiting.popleft()
                attempt = await self.send_one(item, chosen.get(item.subscriber_id), previous)
                previous = record(attempt)
                recorded.append(previous)

        workers = min(self.transport.concurrency, len(claimed))
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(workers):
                    group.create_task(work())
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None
        for done in recorded:
            await done

    async def send_one(
        self,
        claimed: outbox.Claimed,
        topics: list[str] | None = None,
        ready: Recording | None = None,
    ) -> outbox.Attempt:
        """Build and send one reader's message (see send_all for `ready`). Never raises but
        when cancelled or when recording failed: whatever else goes wrong fails this message
        alone, with its reason, and the batch goes on."""
        try:
            data, message_id = self.build(claimed, topics)
        except Exception as exc:
            return self.failed(claimed, None, f"cannot build the message: {reason_of(exc)}")
        await self.rate.acquire()
        try:
            result = await self.transport.send(
                self.mail.envelope_sender(claimed.subscriber_id), claimed.email, data, ready=ready
            )
        except RecordingFailed:
            raise
        except Exception as exc:
            return self.failed(claimed, message_id, f"cannot send the message: {reason_of(exc)}")
        if result.slow_down:
            self.rate.slow_down(self.slow_down_seconds)
        if result.outcome != DeliveryStatus.SENT:
            log.warning("%s: %s: %s", _shown(claimed.email), result.outcome, result.reply)
        return outbox.Attempt(claimed, result, message_id)

    def build(self, claimed: outbox.Claimed, topics: list[str] | None) -> tuple[bytes, str]:
        """One reader's message bytes (signed, when DKIM is configured) and Message-ID."""
        data, message_id = self.mail.message(claimed.subscriber_id, claimed.email, topics)
        if self.dkim is not None:
            data = self.dkim.sign(data)
        return data, message_id

    def failed(
        self, claimed: outbox.Claimed, message_id: str | None, reason: str
    ) -> outbox.Attempt:
        """This message's failure: one line in the log (its traceback only at INFO, which
        `digest -v` and `digest serve` show) and its row's reason."""
        log.warning("%s: failed: %s", _shown(claimed.email), reason)
        log.info("%s: what went wrong", _shown(claimed.email), exc_info=True)
        return outbox.Attempt(claimed, SendResult(DeliveryStatus.FAILED, reason), message_id)


def reason_of(exc: Exception) -> str:
    """An exception as a row's reason: ours (and ValueError's, which carry their own wording)
    by their message, anything else by its type as well."""
    if isinstance(exc, DigestError | ValueError) and str(exc):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _shown(address: str) -> str:
    """An address for a log line: quoted when it holds a character that could start a line."""
    return address if address.isprintable() else repr(address)
