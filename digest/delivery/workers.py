"""Workers' heartbeats: each sender at work has a row in `workers`, renewed every few seconds by
a thread of its own, independent of sending. The rows a sender claims are its own while its
heartbeat is fresh, however long its batch takes; once the heartbeat is older than the
delivery.worker_stale_seconds that sender keeps to (its row says it; on the database's clock,
so machines' clocks may disagree) the sender counts as dead and any other sender takes its rows
back (outbox.claim_batch).

A sender that was stopped for that long (Ctrl-Z, SIGSTOP, a paused VM, a database away) may
find its rows taken when it runs again: before each message it makes sure its heartbeat never
went stale (Heartbeat.hold), and once it did, it sends nothing more of what it had claimed.
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
from digest.errors import HeartbeatLost
from digest.models import Delivery, Worker

log = logging.getLogger("digest")

# Beats per stale period: a sender missing five in a row in a stale period is taken for dead.
BEATS_PER_STALE_PERIOD = 6
# A worker's row left behind by a dead process is removed after this long (its rows are taken
# back long before: the row only names who claimed them).
FORGOTTEN_AFTER_SECONDS = 24 * 3600
# A heartbeat is renewed only while it is younger than this share of its stale period: a margin
# short of when the others take its rows, so that a beat and another's claim never both pass.
RENEWABLE = 5 / 6


def owner_alive() -> ColumnElement[bool]:
    """Whether a delivery row's worker has a heartbeat fresher than its own stale threshold."""
    return exists(
        select(Worker.id).where(
            Worker.id == Delivery.worker_id,
            Worker.heartbeat_at >= db.clock_seconds() - Worker.stale_seconds,
        )
    )


class Heartbeat:
    """This sender's row in `workers` while it sends: registered by start, renewed by a daemon
    thread every stale_seconds / 6, removed by stop, which frees at once any row this sender
    still holds. A beat renews the row only while it is fresh (RENEWABLE of stale_seconds
    old, a margin short of what the others wait for): once it is older, or gone, the others
    may have taken this sender's rows, and the heartbeat is lost for good."""

    def __init__(self, engine: Engine, stale_seconds: float) -> None:
        self.engine = engine
        self.stale_seconds = stale_seconds
        self.id = f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        # When the last beat that went through began (monotonic): the row is at least as fresh.
        self._last_beat = time.monotonic()
        self._last_try = self._last_beat  # when hold() last beat itself
        self.lost = False

    def start(self) -> None:
        began = time.monotonic()
        with self.engine.begin() as connection:
            connection.execute(
                delete(Worker).where(
                    Worker.heartbeat_at < db.clock_seconds() - FORGOTTEN_AFTER_SECONDS
                )
            )
            connection.execute(
                insert(Worker).values(
                    id=self.id,
                    started_at=db.clock_seconds(),
                    heartbeat_at=db.clock_seconds(),
                    stale_seconds=self.stale_seconds,
                )
            )
        self._last_beat = self._last_try = began
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
        while not self.lost and not self._stop.wait(interval):
            try:
                self.beat()
            except Exception as exc:  # the database is away: try again at the next beat
                log.warning("heartbeat of worker %s failed: %s", self.id, exc)

    def beat(self) -> None:
        """Renew the heartbeat if it is still fresh; else (stale, or the row removed) it is
        lost: the rows this sender claimed may be another's by now."""
        if self.lost:
            return
        began = time.monotonic()
        fresh = db.clock_seconds() - self.stale_seconds * RENEWABLE
        with self.engine.begin() as connection:
            renewed = connection.execute(
                update(Worker)
                .where(Worker.id == self.id, Worker.heartbeat_at >= fresh)
                .values(heartbeat_at=db.clock_seconds())
            )
        if not renewed.rowcount:
            self.lost = True
            log.warning(
                "worker %s: its heartbeat went stale or was removed: it sends no more of the "
                "messages it had claimed",
                self.id,
            )
            return
        self._last_beat = max(self._last_beat, began)

    def hold(self) -> None:
        """Raise unless this sender's claimed rows are surely still its own: called before
        each message, at its final dot and before each claim. Cheap while the beats come on
        time; when they are late (the process was stopped, the database slow), a beat first,
        here and now."""
        now = time.monotonic()
        if not self.lost and now - self._last_beat <= self.stale_seconds / 2:
            return
        if not self.lost and now - self._last_try >= self.stale_seconds / BEATS_PER_STALE_PERIOD:
            self._last_try = now
            try:
                self.beat()
            except Exception as exc:  # the database is away: the last beat still counts
                log.warning("heartbeat of worker %s failed: %s", self.id, exc)
        if self.lost:
            raise HeartbeatLost(
                f"worker {self.id} was stopped or cut off for longer than "
                f"delivery.worker_stale_seconds ({self.stale_seconds:g} s): other workers may "
                "be sending the messages it had claimed, so it sends no more of them"
            )
        silent = time.monotonic() - self._last_beat
        if silent > self.stale_seconds * RENEWABLE:
            raise HeartbeatLost(
                f"worker {self.id} could not renew its heartbeat for {silent:.0f} s: other "
                "workers may be sending its messages, so it stops",
                hint="check the connection to the database; the next pass tries again",
            )
