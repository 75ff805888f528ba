"""Each message's result recorded as soon as it is known, in group commits off the event loop.

A killed sender repeats the messages whose results were lost with it. Recording each result
before the same sender's next message can be accepted (see Transport's `ready`) bounds that to
one message per sender, and so to the number of connections, instead of a claimed batch.
Recording one result per transaction would cap the send at the database's commit rate, so the
results of every sender that arrive while a commit runs go together in the next one (group
commit), in a thread of its own: the event loop never waits for the database.

A commit here has to survive the process, not the machine: on SQLite the recorder's connection
uses `synchronous=NORMAL` (in WAL mode a commit is in the operating system's hands as soon as
it returns), on PostgreSQL `synchronous_commit=off` (the server has the commit before it
answers; it writes it to disk within a fraction of a second). A power loss or an operating
system crash in that fraction of a second may forget the last results, whose messages are then
sent again, with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable, Iterator
from datetime import datetime

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from digest.delivery import outbox
from digest.delivery.transport import Ready
from digest.errors import DigestError


class RecordingFailed(DigestError):
    """The database refused a result: the send stops, its unrecorded rows are claimed again
    once their lease has passed."""


_Item = tuple[outbox.Attempt, Ready]

RECORDER_THREAD = "digest-recorder"


class Recorder:
    """submit() an attempt: a future, done once its row is committed (or failed with
    RecordingFailed, as is every later one, once a commit has failed)."""

    def __init__(
        self, engine: Engine, policy: outbox.RetryPolicy, clock: Callable[[], datetime]
    ) -> None:
        self.engine, self.policy, self.clock = engine, policy, clock
        self.counts: dict[str, int] = {}  # rows recorded by new status, until take_counts()
        self._queue: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._error: RecordingFailed | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopped: asyncio.Future[None] | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stopped = self._loop.create_future()
        self._thread = threading.Thread(target=self._run, name=RECORDER_THREAD, daemon=True)
        self._thread.start()

    async def stop(self) -> None:
        """Once every result submitted is recorded (or failed), the thread ends."""
        self._queue.put(None)
        if self._stopped is not None:
            await asyncio.shield(self._stopped)

    def submit(self, attempt: outbox.Attempt) -> Ready:
        assert self._loop is not None, "submit() between start() and stop()"
        future: Ready = self._loop.create_future()
        with self._lock:
            if self._error is not None:
                _fail(future, self._error)
            else:
                self._queue.put((attempt, future))
        return future

    def take_counts(self) -> dict[str, int]:
        counts, self.counts = self.counts, {}
        return counts

    # The recorder's thread

    def _run(self) -> None:
        try:
            with self.engine.connect() as connection, _crash_safe(connection):
                connection = connection.execution_options(sqlite_immediate=True)
                while (batch := self._take()) is not None:
                    try:
                        counts = self._record(connection, [attempt for attempt, _ in batch])
                    except Exception as exc:
                        self._give_up(batch, exc)
                        return
                    self._call(self._settle, batch, counts)
        except Exception as exc:  # the connection itself could not be had or set up
            self._give_up([], exc)
        finally:
            self._call(_finish, self._stopped)

    def _take(self) -> list[_Item] | None:
        """Every result waiting (at least one), in the order they came; None once stopped."""
        first = self._queue.get()
        if first is None:
            return None
        batch = [first]
        with contextlib.suppress(queue.Empty):
            while (item := self._queue.get_nowait()) is not None:
                batch.append(item)
            self._queue.put(None)  # stop once this batch is recorded
        return batch

    def _record(self, connection: Connection, attempts: list[outbox.Attempt]) -> dict[str, int]:
        with connection.begin(), Session(bind=connection) as session:
            counts = outbox.record(session, attempts, self.clock(), self.policy)
            session.flush()
        return counts

    def _give_up(self, batch: list[_Item], exc: Exception) -> None:
        error = RecordingFailed(f"cannot record the messages' results: {exc}")
        with self._lock:
            self._error = error
            with contextlib.suppress(queue.Empty):
                while True:
                    item = self._queue.get_nowait()
                    if item is not None:
                        batch.append(item)
        self._call(_fail_all, [future for _, future in batch], error)

    def _settle(self, batch: list[_Item], counts: dict[str, int]) -> None:
        for status, count in counts.items():
            self.counts[status] = self.counts.get(status, 0) + count
        for _, future in batch:
            if not future.done():
                future.set_result(None)

    def _call(self, callback: Callable[..., None], *args: object) -> None:
        if self._loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
                self._loop.call_soon_threadsafe(callback, *args)


@contextlib.contextmanager
def _crash_safe(connection: Connection) -> Iterator[None]:
    """Commits that survive this process, not necessarily the machine (see the module's
    docstring), on the recorder's connection only; its setting restored afterwards."""
    raw = connection.connection.driver_connection
    if connection.dialect.name == "sqlite":
        assert raw is not None
        (before,) = raw.execute("PRAGMA synchronous").fetchone()
        raw.execute("PRAGMA synchronous=NORMAL")
        try:
            yield
        finally:
            raw.execute(f"PRAGMA synchronous={int(before)}")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET synchronous_commit TO off")
        connection.commit()
        try:
            yield
        finally:
            connection.rollback()
            connection.exec_driver_sql("RESET synchronous_commit")
            connection.commit()
    else:
        yield


def _fail(future: Ready, error: Exception) -> None:
    if not future.done():
        future.set_exception(error)
        future.exception()  # retrieved: a sender that never waits for it logs nothing


def _fail_all(futures: list[Ready], error: Exception) -> None:
    for future in futures:
        _fail(future, error)


def _finish(stopped: asyncio.Future[None] | None) -> None:
    if stopped is not None and not stopped.done():
        stopped.set_result(None)
