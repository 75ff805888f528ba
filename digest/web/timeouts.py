"""Connections of slow or greedy clients closed: headers within a deadline, an unread body
within another, and no client holding more than its share of the connections."""

from __future__ import annotations

import asyncio
import ipaddress
from collections import Counter

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from subscribers.client_network import client_network


class SlowClientDeadlines(H11Protocol):
    """uvicorn's h11 protocol with two deadlines uvicorn lacks (its keep-alive timeout only runs
    between requests, and any byte cancels it): a request's headers must be complete within
    header_timeout of the connection opening or of the request's first byte, however the bytes
    drip; a body still arriving after the answer went out (the app never read it) must end within
    body_timeout. A body the app reads is timed by digest.web.body_guard, which can answer 408."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    # One client's open connections: without a share, one address that opens connections and
    # sends nothing fills web.max_connections, and every other visitor gets 503 (the header
    # deadline only sets how fast it must reopen them). Set per server by server_protocol().
    per_client: int = 20
    trusted: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    open_by_client: Counter[str]
    _client: str | None = None
    _deadline: asyncio.TimerHandle | None = None
    _deadline_for: str | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        client = self._counted_client(transport)
        if client is not None:
            if self.open_by_client[client] >= self.per_client:
                transport.close()  # its share is taken: closed before a byte is read
                return
            self.open_by_client[client] += 1
            self._client = client
        self._follow()

    def _counted_client(self, transport: asyncio.Transport) -> str | None:
        """Whom this connection counts against; None for a trusted proxy (it carries many)."""
        peer = transport.get_extra_info("peername")
        host = peer[0] if isinstance(peer, tuple) and peer else None
        try:
            address = ipaddress.ip_address(host) if host else None
        except ValueError:
            address = None
        if address is not None and any(address in network for network in self.trusted):
            return None
        return client_network(host)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._follow()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._follow()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        if self._client is not None:
            self.open_by_client[self._client] -= 1
            if self.open_by_client[self._client] <= 0:
                del self.open_by_client[self._client]
            self._client = None
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


def slow_client_protocol(
    header_timeout: float,
    body_timeout: float,
    per_client: int = 20,
    trusted_proxies: tuple[str, ...] = (),
) -> type[SlowClientDeadlines]:
    """The protocol class for uvicorn.Config(http=...): these deadlines in seconds, and at
    most per_client open connections for each client but the trusted proxies."""

    class Configured(SlowClientDeadlines):
        pass

    Configured.header_timeout = header_timeout
    Configured.body_timeout = body_timeout
    Configured.per_client = per_client
    Configured.trusted = tuple(ipaddress.ip_network(p, strict=False) for p in trusted_proxies)
    Configured.open_by_client = Counter()  # this server's own count (one event loop)
    return Configured
