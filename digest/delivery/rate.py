"""A rate limit for sending: evenly spaced permits, and a pause all senders obey."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Protocol


class Permits(Protocol):
    """What a sender asks of a rate limit: this process's (RateLimit) or all senders' of one
    database (shared_rate.SharedRateLimit)."""

    async def acquire(self) -> None: ...

    def at_once(self) -> bool:
        """Whether acquire would give a permit now, without waiting, as far as this sender
        knows (no spacing to keep, no pause known)."""
        ...

    async def look(self) -> None:
        """Learn what at_once needs to know that only others can tell (a pause another sender
        shared), never waiting for a permit: after it, at_once is true unless a wait is due."""
        ...

    def slow_down(self, seconds: float) -> None: ...


class RateLimit:
    """At most `per_second` permits a second, spaced evenly (no bursts), so the limit holds
    over any window; `slow_down` makes every sender wait (a server said 421/454)."""

    def __init__(
        self, per_second: float | None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = 1.0 / per_second if per_second else 0.0
        self._clock = clock
        self._next = 0.0
        self._paused_until = 0.0

    async def acquire(self) -> None:
        now = self._clock()
        start = max(now, self._next, self._paused_until)
        self._next = start + self.interval
        if start > now:
            await asyncio.sleep(start - now)

    def at_once(self) -> bool:
        return self._clock() >= max(self._next, self._paused_until)

    async def look(self) -> None:
        return None  # this process's permits: at_once knows all there is

    def slow_down(self, seconds: float) -> None:
        self._paused_until = max(self._paused_until, self._clock() + seconds)
