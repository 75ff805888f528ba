"""The app served on loopback without the ~40 ms stall of every answer."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def tcp_socket() -> Iterator[socket.socket]:
    """A socket bound to a free port of 127.0.0.1 for tests.web.conftest.serving.

    Its proto is IPPROTO_TCP, not socket.socket()'s 0: asyncio turns Nagle's algorithm off
    only on sockets that say they are TCP, and with it on, a page's body waits for the ACK of
    its headers, which loopback delays ~40 ms."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.bind(("127.0.0.1", 0))
        yield sock
    finally:
        sock.close()
