"""A transport that writes each message as an .eml file: the embedded default, and a dry run."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from digest.delivery.transport import NextEnvelope, Ready, SendResult
from digest.errors import DeliveryError
from digest.states import DeliveryStatus


class FileOutbox:
    concurrency = 1

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def open(self) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DeliveryError(
                f"delivery.file.directory: cannot create {self.directory}: {exc.strerror}",
                hint="choose a writable folder in config.yaml delivery.file.directory",
            ) from None

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
        name = _file_name(message, recipient)
        target = self.directory / name
        # Write then rename, so a mail client never sees half a message.
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".eml")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(message)
            os.replace(tmp, target)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            return SendResult(DeliveryStatus.DEFERRED, f"cannot write {target}: {exc.strerror}")
        return SendResult(DeliveryStatus.SENT, f"written to {target}")

    async def close(self) -> None:
        return None

    def describe(self) -> str:
        return f"file outbox {self.directory}"


def _file_name(message: bytes, recipient: str) -> str:
    match = re.search(rb"^Message-ID:\s*<([^>]+)>", message, re.MULTILINE | re.IGNORECASE)
    ident = match.group(1).decode("ascii", "replace") if match else "message"
    safe = re.sub(r"[^A-Za-z0-9._@+-]", "_", f"{recipient}-{ident}")
    return f"{safe[:200]}.eml"
