"""Connections of slow clients closed: headers within a deadline, an unread body within another."""

from __future__ import annotations

import asyncio

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


class SlowClientDeadlines(H11Protocol):
    """uvicorn's h11 protocol with two deadlines uvicorn lacks (its keep-alive timeout only runs
    between requests, and any byte cancels it): a request's headers must be complete within
    header_timeout of the connection opening or of the request's first byte, however the bytes
    drip; a body still arriving after the answer went out (the app never read it) must end within
    body_timeout. A body the app reads is timed by digest.web.body_guard, which can answer 408."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    _deadline: asyncio.TimerHandle | None = None
    _deadline_for: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._follow()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _follow(self) -> None:
        """Arm, keep or drop the deadline for where the client is in its request."""
        if self.transport.is_closing():
            self._disarm()
            return
        theirs, ours = self.conn.their_state, self.conn.our_state
        # A fresh connection, or the next request begun: its headers are awaited. An idle
        # connection between requests is left to uvicorn's keep-alive timeout.
        if theirs is h11.IDLE and (self.cycle is None or self.conn.trailing_data[0]):
            self._arm("headers", self.header_timeout)
        elif theirs is h11.SEND_BODY and ours in (h11.DONE, h11.MUST_CLOSE):
            self._arm("body", self.body_timeout)
        else:
            self._disarm()

    def _arm(self, phase: str, seconds: float) -> None:
        if self._deadline_for == phase:
            return  # a byte more does not move the deadline
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired)
        self._deadline_for = phase

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self._deadline_for = None

    def _expired(self) -> None:
        self._deadline = self._deadline_for = None
        if not self.transport.is_closing():
            self.transport.close()


def slow_client_protocol(header_timeout: float, body_timeout: float) -> type[SlowClientDeadlines]:
    """The protocol class for uvicorn.Config(http=...), with these deadlines in seconds."""

    class Configured(SlowClientDeadlines):
        pass

    Configured.header_timeout = header_timeout
    Configured.body_timeout = body_timeout
    return Configured
