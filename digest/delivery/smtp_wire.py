"""One SMTP session's mail transactions, once aiosmtplib has connected, greeted and logged in.

aiosmtplib reads one reply per command, so it cannot pipeline (RFC 2920), and it parses each
address and arms a timer per command. Here the session's transport is taken over by a reader
that queues every complete reply in order, so MAIL FROM, RCPT TO and DATA go in one write when
the server offers PIPELINING, with one timer per session rather than one per wait.
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
from typing import NamedTuple

# A reply longer than this without its last line is not a reply: the session is dropped.
MAX_REPLY_BYTES = 32 * 1024

# A character that would end or split a command line (CR, LF, NUL and the other controls).
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Reply(NamedTuple):
    code: int
    text: str


class SessionLost(Exception):
    """The connection closed, timed out or spoke out of turn: the session is unusable."""


class BadAddress(ValueError):
    """An address that cannot be written into a command line."""


def command_address(address: str) -> str:
    """The address inside <>, refused when a character in it would end or split the command:
    checked here once per message, as a plain search, instead of parsed again."""
    if _CONTROL.search(address) or "<" in address or ">" in address:
        raise BadAddress(f"{address!r} holds a character no SMTP command may carry")
    return address


class ReplyReader(asyncio.Protocol):
    """The session's protocol once taken over: every complete reply queued, in order."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self._buffer = bytearray()
        self._replies: deque[Reply] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._lost: SessionLost | None = None
        self._loop = asyncio.get_running_loop()
        # One timer per session, not one per wait: when it fires, the wait in progress has
        # either passed its deadline or it sleeps again until that deadline.
        self._deadline = 0.0
        self._watch: asyncio.TimerHandle | None = None

    @classmethod
    def take_over(cls, transport: asyncio.Transport) -> ReplyReader:
        reader = cls(transport)
        transport.set_protocol(reader)
        return reader

    # asyncio.Protocol

    def data_received(self, data: bytes) -> None:
        buffer = self._buffer
        buffer.extend(data)
        start = line = 0  # where the reply being read starts, and its line being looked at
        while (end := buffer.find(b"\n", line)) >= 0:
            # The reply ends at a line whose fourth byte is not "-".
            if buffer[line + 3 : line + 4] != b"-":
                self._parse(bytes(buffer[start : end + 1]))
                start = end + 1
            line = end + 1
        if start:
            del buffer[:start]  # once per read, not once per reply
        if len(buffer) > MAX_REPLY_BYTES:
            self._fail(SessionLost("the server's reply is too long"))
            self.transport.close()
            return
        if self._replies:
            self._wake()

    def _parse(self, raw: bytes) -> None:
        """One reply, its lines each ending with LF."""
        last = raw.rfind(b"\n", 0, -1) + 1  # where its last line starts
        try:
            code = int(raw[last : last + 3])
        except ValueError:
            self._fail(SessionLost(f"not an SMTP reply: {raw[:200]!r}"))
            self.transport.close()
            return
        if last == 0:  # one line, as most replies are
            text = raw[4:-1].strip(b" \t\r").decode("utf-8", "replace")
        else:
            lines = raw.split(b"\n")[:-1]
            text = "\n".join(line[4:].strip(b" \t\r").decode("utf-8", "replace") for line in lines)
        self._replies.append(Reply(code, text))

    def eof_received(self) -> bool:
        self._fail(SessionLost("the server closed the connection"))
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(SessionLost(f"connection lost: {exc}" if exc else "connection lost"))

    def _fail(self, error: SessionLost) -> None:
        if self._lost is None:
            self._lost = error
        self._wake()

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    # The session's side

    @property
    def is_open(self) -> bool:
        return self._lost is None and not self.transport.is_closing()

    @property
    def in_step(self) -> bool:
        """No reply waits unread: the next reply answers the next command."""
        return not self._replies and not self._buffer

    def write(self, data: bytes) -> None:
        if self._lost is not None:
            raise self._lost
        if self.transport.is_closing():
            raise SessionLost("connection closed")
        self.transport.write(data)

    async def read(self, timeout: float) -> Reply:
        """The next reply; SessionLost if the connection ends or none comes within timeout."""
        if self._replies:
            return self._replies.popleft()
        if self._lost is not None:
            raise self._lost
        waiter = self._waiter = self._loop.create_future()
        self._deadline = deadline = self._loop.time() + timeout
        if self._watch is None or self._watch.when() > deadline:
            if self._watch is not None:
                self._watch.cancel()
            self._watch = self._loop.call_at(deadline, self._check_deadline)
        try:
            await waiter
        finally:
            self._waiter = None
        if self._replies:
            return self._replies.popleft()
        if self._lost is not None:
            raise self._lost
        raise SessionLost(f"no reply within {timeout:g} s")

    def _check_deadline(self) -> None:
        self._watch = None
        waiter = self._waiter
        if waiter is None or waiter.done():
            return  # nothing waits: the next wait sets the timer again
        if self._loop.time() >= self._deadline:
            waiter.set_result(None)  # read() finds no reply: the wait timed out
        else:
            self._watch = self._loop.call_at(self._deadline, self._check_deadline)

    async def command(self, line: bytes, timeout: float) -> Reply:
        self.write(line)
        return await self.read(timeout)

    def close(self) -> None:
        self._fail(SessionLost("closed"))
        if self._watch is not None:
            self._watch.cancel()
            self._watch = None
        self.transport.close()
