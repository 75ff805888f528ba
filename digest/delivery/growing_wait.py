"""How long a worker waits before its next pass: while the SMTP server cannot take mail, its
interval at first (FLOOR_SECONDS at least), doubled each pass that finds the server so, up to
a cap; after a pass stopped otherwise, its interval, FLOOR_SECONDS at least."""

from __future__ import annotations

from digest.errors import DeliveryError, ServerUnavailable

# The shortest wait after a pass the server could not take: `digest worker --interval 0` must
# not ask a busy server again and again without a pause.
FLOOR_SECONDS = 1.0


class GrowingWait:
    """Waits that start at `first` (FLOOR_SECONDS at least) and double while asked for in a
    row, up to `cap` (never below the first); reset() once a pass gets through."""

    def __init__(self, first: float, cap: float) -> None:
        self.first = max(first, FLOOR_SECONDS)
        self.cap = max(cap, self.first)
        self._next = self.first

    def next(self) -> float:
        wait, self._next = self._next, min(self._next * 2, self.cap)
        return wait

    def reset(self) -> None:
        self._next = self.first


class PassWaits:
    """The wait of `digest worker` and the service after each pass: the interval after one
    that got through; while the server cannot take mail, a GrowingWait, started again after a
    pass that got messages through before the server turned it away (the outage before it
    was over); after a pass stopped by a refusal of the sender or a lost heartbeat, the
    interval, FLOOR_SECONDS at least (never one pass right after the other)."""

    def __init__(self, interval: float, cap: float) -> None:
        self.interval = interval
        self.unavailable = GrowingWait(interval, cap)

    def after(self, stopped: DeliveryError | None) -> float:
        """The wait after a pass that ended so (None: it got through)."""
        if stopped is None or (isinstance(stopped, ServerUnavailable) and stopped.sent_before):
            self.unavailable.reset()
        if isinstance(stopped, ServerUnavailable):
            return self.unavailable.next()
        return self.interval if stopped is None else max(self.interval, FLOOR_SECONDS)
