"""Attempts counted per key in a sliding window, in this process (enough for one web server)."""

from __future__ import annotations

import threading
from collections import deque
from datetime import datetime, timedelta


class SlidingWindow:
    """At most `limit` attempts per key within `window`; memory is bounded by `max_keys`."""

    def __init__(self, limit: int, window: timedelta, max_keys: int = 100_000) -> None:
        self.limit = limit
        self.window = window
        self.max_keys = max_keys
        self._seen: dict[str, deque[datetime]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str, now: datetime) -> bool:
        """Count one attempt for key; False (and not counted) when the key is over its limit."""
        with self._lock:
            times = self._seen.get(key)
            if times is None:
                if len(self._seen) >= self.max_keys:
                    self._forget_idle(now)
                times = self._seen[key] = deque()
            while times and now - times[0] >= self.window:
                times.popleft()
            if len(times) >= self.limit:
                return False
            times.append(now)
            return True

    def _forget_idle(self, now: datetime) -> None:
        # Keys whose attempts have all aged out; if a flood of fresh keys leaves none idle,
        # the oldest half goes (a flood must not grow the process without bound).
        idle = [k for k, t in self._seen.items() if not t or now - t[-1] >= self.window]
        for key in idle:
            del self._seen[key]
        if len(self._seen) >= self.max_keys:
            for key in list(self._seen)[: self.max_keys // 2]:
                del self._seen[key]
