"""The app served on loopback: without the ~40 ms stall of every answer, and leaving the
process's logging as it found it."""

from __future__ import annotations

import logging
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest


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


UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


@pytest.fixture(autouse=True)
def uvicorn_logging_kept() -> Iterator[None]:
    """uvicorn.Config (tests.web.conftest.serving) sets its loggers' levels, handlers and
    propagation for the whole process; put them back, or a later test that reads the access
    log through the root logger (tests/security/test_logs.py) sees none of it."""
    saved = [
        (logger, logger.level, list(logger.handlers), logger.propagate, logger.disabled)
        for logger in map(logging.getLogger, UVICORN_LOGGERS)
    ]
    yield
    for logger, level, handlers, propagate, disabled in saved:
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.propagate, logger.disabled = propagate, disabled
