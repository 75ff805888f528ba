"""ReplyReader: a session's replies read in order, each wait bounded by its own timeout."""

from __future__ import annotations

import asyncio
import time

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
