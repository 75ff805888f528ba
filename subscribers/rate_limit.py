"""Sign-up attempts counted per key in a moving window, with the `limits` library: in this
process (memory://), or in a Redis server that every `digest serve` process shares (redis://)."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from prometheus_client import Counter
from redis.asyncio import ConnectionPool

log = logging.getLogger(__name__)

# Kept by each process; /metrics sums every process's (PROMETHEUS_MULTIPROC_DIR) or shows its own.
REFUSED = Counter(
    "digest_sign_ups_refused",
    "Sign-ups refused by a rate limit, by limit (client or address).",
    ["limit"],
    registry=None,
)


class SharedCounts:
    """The storage web.rate_limit_storage names, open until close(); key_prefix keeps one
    install's keys apart from another's on a shared server."""

    def __init__(self, uri: str, key_prefix: str) -> None:
        self._pool: ConnectionPool | None = None
        if uri.startswith("memory://"):
            self.storage: Storage = MemoryStorage()
            return
        # Our own pool, so that close() can end its connections inside the app's event loop.
        self._pool = ConnectionPool.from_url(uri.replace("redis+unix://", "unix://", 1))
        self.storage = RedisStorage(
            f"async+{uri}",
            implementation="redispy",
            key_prefix=key_prefix,
            wrap_exceptions=True,
            # Handed to redis-py's client as it is; limits types its options as scalars.
            connection_pool=self._pool,  # type: ignore[arg-type]
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.disconnect()


class Attempts:
    """At most `limit` attempts per key within `window`, counted under `name`."""

    def __init__(self, storage: Storage, name: str, limit: int, window: timedelta) -> None:
        self.name = name
        self._limiter = MovingWindowRateLimiter(storage)
        seconds = max(round(window.total_seconds()), 1)
        self._item = RateLimitItemPerSecond(limit, seconds, namespace=f"signup-{name}")

    async def allow(self, key: str) -> bool:
        """Count one attempt for key; False (and not counted) when the key is over its limit.

        A storage that cannot be reached lets the attempt through, logged: sign-ups go on, and
        an address still gets at most one confirmation mail per readers.resend_confirmation_
        minutes (claimed in the database)."""
        # Hashed: a shared storage holds no reader's address or client's IP.
        hashed = hashlib.sha256(f"{self.name}\0{key}".encode()).hexdigest()
        try:
            allowed = await self._limiter.hit(self._item, hashed)
        except StorageError:
            log.exception(
                "the %s sign-up limit could not be counted: attempt let through", self.name
            )
            return True
        if not allowed:
            REFUSED.labels(self.name).inc()
        return allowed
