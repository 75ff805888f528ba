"""ReplyReader: a session's replies read in order, each wait bounded by its own timeout."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from digest.delivery.smtp_wire import ReplyReader, SessionLost


async def _session(answer_after: dict[bytes, float]) -> tuple[ReplyReader, asyncio.Server]:
    """A server on 127.0.0.1 that answers each command line named in answer_after with
    "250 ok" after that many seconds, and any other line never; a reader connected to it."""

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                delay = answer_after.get(line.strip())
                if delay is not None:
                    await asyncio.sleep(delay)
                    writer.write(b"250 ok\r\n")
        finally:
            writer.close()

    return await _connected(serve)


Serve = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


async def _connected(serve: Serve) -> tuple[ReplyReader, asyncio.Server]:
    """A server on 127.0.0.1 that serves each connection with serve; a reader connected to it."""
    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    transport, _ = await asyncio.get_running_loop().create_connection(
        asyncio.Protocol, "127.0.0.1", port
    )
    assert isinstance(transport, asyncio.Transport)
    return ReplyReader.take_over(transport), server


async def _close(wire: ReplyReader, server: asyncio.Server) -> None:
    wire.close()
    await asyncio.sleep(0.05)  # the server's side sees the end of the connection
    server.close()
    await server.wait_closed()


def test_a_short_wait_after_a_long_one_times_out_on_time() -> None:
    """The session's one timer, set for a long wait that ended early, never delays the
    timeout of a shorter wait after it."""

    async def scenario() -> float:
        wire, server = await _session({b"NOOP": 0.0})
        try:
            assert (await wire.command(b"NOOP\r\n", 30)).code == 250
            started = time.monotonic()
            with pytest.raises(SessionLost, match=r"no reply within 0\.2 s"):
                await wire.command(b"SILENT\r\n", 0.2)
            return time.monotonic() - started
        finally:
            await _close(wire, server)

    assert 0.15 < asyncio.run(scenario()) < 2


def test_a_long_wait_after_a_short_one_is_not_cut_short() -> None:
    """The timer set for a short wait that ended early only wakes up to sleep again: the next,
    longer wait gets its full time."""

    async def scenario() -> int:
        wire, server = await _session({b"QUICK": 0.0, b"SLOW": 0.6})
        try:
            assert (await wire.command(b"QUICK\r\n", 0.3)).code == 250
            return (await wire.command(b"SLOW\r\n", 5)).code
        finally:
            await _close(wire, server)

    assert asyncio.run(scenario()) == 250


def test_replies_are_read_whole_however_the_bytes_arrive() -> None:
    """Several replies in one read, a multi-line reply, a reply split inside a line across
    reads: each comes out whole, in order, its lines' texts joined by LF."""
    chunks = [
        b"250 first\r\n250-multi one\r\n250-multi two\r\n250 multi",
        b" end\r\n354 go ",
        b"ahead\r\n",
        b"421 4.3.2 bye \r\n",
    ]

    async def scenario() -> list[tuple[int, str]]:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readline()
            for chunk in chunks:
                writer.write(chunk)
                await writer.drain()
                await asyncio.sleep(0.05)  # a read of its own
            await reader.read()
            writer.close()

        wire, server = await _connected(serve)
        try:
            wire.write(b"GO\r\n")
            return [tuple(await wire.read(5)) for _ in range(4)]  # type: ignore[misc]
        finally:
            await _close(wire, server)

    assert asyncio.run(scenario()) == [
        (250, "first"),
        (250, "multi one\nmulti two\nmulti end"),
        (354, "go ahead"),
        (421, "4.3.2 bye"),
    ]


def test_a_line_that_is_no_reply_loses_the_session() -> None:
    async def scenario() -> None:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readline()
            writer.write(b"250 fine\r\nHELLO there\r\n")
            await reader.read()
            writer.close()

        wire, server = await _connected(serve)
        try:
            wire.write(b"GO\r\n")
            assert tuple(await wire.read(5)) == (250, "fine")
            with pytest.raises(SessionLost, match="not an SMTP reply: b'HELLO there"):
                await wire.read(5)
        finally:
            await _close(wire, server)

    asyncio.run(scenario())
