"""The send rate shared by every sender of one database: permits reserved in blocks from one
row of `send_rate`, spaced evenly inside a block, and a 421/454 pause every sender obeys.

The row holds the next free moment on the database's clock. A sender reserves a block of
permits (half a second's worth) with one UPDATE … RETURNING: the block starts at the later of
that moment, the shared pause and now, and the row moves on by the block's length. Blocks never
overlap, whichever sender holds them, so the configured rate holds over all senders; a permit
not used within half an interval of its time (a busy event loop wakes late) is dropped rather
than sent late, crowding the next ones.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections import deque
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError

from digest import db
from digest.models import SendRate

log = logging.getLogger("digest")

ROW = "delivery"
BLOCK_SECONDS = 0.5  # permits reserved at once: the database is asked twice a second at most
# Without a rate limit only the pause is shared: looked up this often.
PAUSE_CHECK_SECONDS = 1.0


class SharedRateLimit:
    """RateLimit's interface (acquire, slow_down), for all the senders of one database."""

    def __init__(
        self,
        engine: Engine,
        per_second: float | None,
        clock: Callable[[], float] = time.monotonic,
        block: int | None = None,
    ) -> None:
        """block: permits reserved at once (half a second's worth unless given); a sender of one
        mail takes one, leaving the rest of the block to the others."""
        self.engine = engine
        self._single = block == 1
        self.interval = 1.0 / per_second if per_second else 0.0
        if not per_second:
            self.block = 0
        else:
            self.block = block or max(1, math.ceil(per_second * BLOCK_SECONDS))
        self._clock = clock
        self._slots: deque[float] = deque()  # this sender's permits, on its own clock
        self._free_until = 0.0  # without a rate: no need to ask before this
        self._paused_until = 0.0
        self._pause_to_share = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        while True:
            async with self._lock:
                at = await self._next_slot()
            wait = max(at, self._paused_until) - self._clock()
            if wait > 0:
                await asyncio.sleep(wait)
            if not self.interval or self._single or self._clock() - at <= self.interval / 2:
                return  # one mail's permit is used even late: dropped, it would be sought again
            # Woken too late (a busy event loop): used now, this permit would crowd the next
            # ones, this sender's or another's. It is dropped; the next one is waited for.

    def at_once(self) -> bool:
        # Without a rate, between checks of the shared pause, and none known: no wait.
        now = self._clock()
        return (
            not self.interval
            and not self._pause_to_share
            and self._paused_until <= now < self._free_until
        )

    async def look(self) -> None:
        # Without a rate, the look at the shared pause being due (none known): made now, not
        # waiting out a pause it finds, so that at_once is true again unless one was shared.
        # A database error here only costs the look-ahead (at_once stays false): the next
        # permit's acquire asks again, and raises what it gets.
        if not self.interval and self._paused_until <= self._clock() and not self.at_once():
            try:
                async with self._lock:
                    await self._next_slot()
            except SQLAlchemyError:
                log.warning("the shared pause could not be read; asked again at the next permit")

    def slow_down(self, seconds: float) -> None:
        """Pause this sender now and every other one from its next block on."""
        self._paused_until = max(self._paused_until, self._clock() + seconds)
        self._pause_to_share = max(self._pause_to_share, seconds)
        self._slots.clear()  # reserved before the pause: after it, they would come at once
        self._free_until = 0.0

    async def share_slow_down(self, seconds: float) -> None:
        """slow_down, written to the shared row at once: for a sender that takes no further
        permit (one confirmation mail), through which the pause would never reach the others."""
        self.slow_down(seconds)
        async with self._lock:
            await self._reserve(0)

    async def _next_slot(self) -> float:
        now = self._clock()
        if not self.interval:
            if now >= self._free_until or self._pause_to_share:
                start = await self._reserve(0)
                # Good for PAUSE_CHECK_SECONDS from when the answer came (or the pause it
                # found ends): a slow commit or wake-up must not use the window up at once.
                self._free_until = max(start, self._clock()) + PAUSE_CHECK_SECONDS
            return now
        while self._slots and self._slots[0] < now - self.interval / 2:
            self._slots.popleft()  # missed: sent now it would crowd another sender's block
        if not self._slots:
            start = await self._reserve(self.block)
            self._slots.extend(start + i * self.interval for i in range(self.block))
        return self._slots.popleft()

    async def _reserve(self, permits: int) -> float:
        """Reserve permits in the shared row; when the block starts, on this sender's clock."""
        pause, self._pause_to_share = self._pause_to_share, 0.0
        start, database_now, asked, answered = await asyncio.to_thread(self._take, permits, pause)
        # The database's now was read somewhere during the statement: its middle is the best
        # guess (as NTP's), off by half the statement's round trip at worst. The wait for the
        # write lock comes before it, not inside: another sender's long commit must not make
        # this one's block start early, crowding the other's.
        local = (asked + answered) / 2 + (start - database_now)
        self._paused_until = max(self._paused_until, local)
        return local

    def _take(self, permits: int, pause: float) -> tuple[float, float, float, float]:
        """One statement: (the block's start, now), both on the database's clock, then this
        sender's clock before and after the statement (once the transaction holds the lock)."""
        now = db.clock_seconds()
        starts = db.greatest(SendRate.next_free_at, SendRate.paused_until, now + pause)
        take = (
            update(SendRate)
            .where(SendRate.name == ROW)
            .values(
                next_free_at=starts + permits * self.interval,
                paused_until=db.greatest(SendRate.paused_until, now + pause),
            )
            .returning(SendRate.next_free_at, now)
        )
        with db.claim_transaction(self.engine) as session:
            # The lock first (BEGIN IMMEDIATE on SQLite, the row's on PostgreSQL): waiting for
            # another sender's commit is not part of the statement timed below.
            session.execute(select(SendRate.name).where(SendRate.name == ROW).with_for_update())
            asked = self._clock()
            row = session.execute(take).first()
            if row is None:  # the first sender of this database
                session.execute(_insert_row(self.engine))
                row = session.execute(take).first()
            answered = self._clock()
            assert row is not None
        next_free_at, database_now = row
        return next_free_at - permits * self.interval, database_now, asked, answered


def _insert_row(engine: Engine) -> Any:
    insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
    return (
        insert(SendRate)
        .values(name=ROW, next_free_at=0.0, paused_until=0.0)
        .on_conflict_do_nothing(index_elements=["name"])
    )
