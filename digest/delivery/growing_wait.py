"""How long a worker waits before its next pass while the SMTP server cannot take mail: its
interval at first, doubled each pass that finds the server so, up to a cap."""

from __future__ import annotations


class GrowingWait:
    """Waits that start at `first` and double while asked for in a row, up to `cap` (never
    below `first`); reset() once a pass gets through."""

    def __init__(self, first: float, cap: float) -> None:
        self.first, self.cap = first, max(cap, first)
        self._next = first

    def next(self) -> float:
        wait, self._next = self._next, min(self._next * 2, self.cap)
        return wait

    def reset(self) -> None:
        self._next = self.first
