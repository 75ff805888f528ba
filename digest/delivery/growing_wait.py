"""How long a worker waits before its next pass while the SMTP server cannot take mail: its
interval at first (FLOOR_SECONDS at least), doubled each pass that finds the server so, up to
a cap."""

from __future__ import annotations

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
