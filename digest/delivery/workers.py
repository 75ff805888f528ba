"""Workers' heartbeats: each sender at work has a row in `workers`, renewed every few seconds by
a thread of its own, independent of sending. The rows a sender claims are its own while its
heartbeat is fresh, however long its batch takes; once the heartbeat is older than
delivery.worker_stale_seconds (on the database's clock, so machines' clocks may disagree) the
sender counts as dead and any other sender takes its rows back (outbox.claim_batch).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time

from sqlalchemy import ColumnElement, Engine, delete, exists, insert, select, update

from digest import db
from digest.errors import DeliveryError
from digest.models import Delivery, Worker

log = logging.getLogger("digest")

# Beats per stale period: a sender missing five in a row in a stale period is taken for dead.
BEATS_PER_STALE_PERIOD = 6
# A worker's row left behind by a dead process is removed after this long (its rows are taken
# back long before: the row only names who claimed them).
FORGOTTEN_AFTER_SECONDS = 24 * 3600


def owner_alive(stale_seconds: float) -> ColumnElement[bool]:
    """Whether a delivery row's worker has a heartbeat fresher than stale_seconds."""
    return exists(
        select(Worker.id).where(
            Worker.id == Delivery.worker_id,
            Worker.heartbeat_at >= db.clock_seconds() - stale_seconds,
        )
    )


class Heartbeat:
    """This sender's row in `workers` while it sends: registered by start, renewed by a daemon
    thread every stale_seconds / 6, removed by stop, which frees at once any row this sender
    still holds."""

    def __init__(self, engine: Engine, stale_seconds: float) -> None:
        self.engine = engine
        self.stale_seconds = stale_seconds
        self.id = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_beat = time.monotonic()

    def start(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                delete(Worker).where(
                    Worker.heartbeat_at < db.clock_seconds() - FORGOTTEN_AFTER_SECONDS
                )
            )
            connection.execute(
                insert(Worker).values(
                    id=self.id, started_at=db.clock_seconds(), heartbeat_at=db.clock_seconds()
                )
            )
        self._last_beat = time.monotonic()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        try:
            with self.engine.begin() as connection:
                connection.execute(delete(Worker).where(Worker.id == self.id))
        except Exception:  # its rows are taken back once its heartbeat is stale instead
            log.warning("could not remove worker %s from the workers table", self.id)

    def _run(self) -> None:
        interval = self.stale_seconds / BEATS_PER_STALE_PERIOD
        while not self._stop.wait(interval):
            try:
                self.beat()
            except Exception as exc:  # the database is away: try again at the next beat
                log.warning("heartbeat of worker %s failed: %s", self.id, exc)

    def beat(self) -> None:
        with self.engine.begin() as connection:
            renewed = connection.execute(
                update(Worker).where(Worker.id == self.id).values(heartbeat_at=db.clock_seconds())
            )
            if not renewed.rowcount:  # removed meanwhile by hand: back in the table
                connection.execute(
                    insert(Worker).values(
                        id=self.id, started_at=db.clock_seconds(), heartbeat_at=db.clock_seconds()
                    )
                )
        self._last_beat = time.monotonic()

    def check(self) -> None:
        """Raise if no heartbeat went through for a stale period: other senders may have taken
        this sender's rows, so it must claim no more."""
        silent = time.monotonic() - self._last_beat
        if silent > self.stale_seconds:
            raise DeliveryError(
                f"worker {self.id} could not renew its heartbeat for {silent:.0f} s: other "
                "workers may be sending its messages, so it stops",
                hint="check the connection to the database; the worker may be started again",
            )
