"""Stopping a delivery after its current batch: a progress callback that raises when asked."""

from __future__ import annotations

import threading

from digest.pipeline import Progress


class StopAfterBatch(Exception):
    """The service is shutting down: the batch in hand was sent and recorded; stop here."""


def stop_between_batches(stop: threading.Event) -> Progress:
    """A progress callback for pipeline.send/deliver_pending: it runs after each recorded
    batch, so raising there stops a delivery without losing a message in flight."""

    def check(_done: int, _total: int) -> None:
        if stop.is_set():
            raise StopAfterBatch

    return check
