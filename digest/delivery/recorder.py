"""Each message's result recorded as soon as it is known, in group commits.

A killed sender repeats the messages whose results were lost with it. Recording each result
before the same sender's next message can be accepted (see Transport's `ready`) bounds that to
one message per sender, and so to the number of connections, instead of a claimed batch.
Recording one result per transaction would cap the send at the database's commit rate, so
results go in group commits, made only when they are needed: when a sender has written its
next message's data and its final dot waits for the previous result (awaiting its `ready`),
every result submitted by then is committed, in the event loop's next round, while the data
is still on its way to the server. Results nobody waits for yet are committed within
COMMIT_DELAY_SECONDS anyway. A commit's cost hardly grows with its results, and on SQLite the
rows of one commit share their pages' writes: asked for at the final dot rather than when a
sender starts its next message, a commit held 3.7 results instead of 1.6 (a send of 10,000 on
SQLite), and the send took a fifth less CPU per message.

The commit runs on the event loop, not in a thread of its own: it takes a fraction of a
millisecond, and it is done before the next round of replies is read, so a connection finds
its previous result recorded when it reaches its next final dot. Handing results to a thread
and back costs two wake-ups per commit instead: on a busy machine connections then waited for
their previous result 12% (SQLite) to 23% (PostgreSQL) of a send's time. On PostgreSQL the
commit of 250s is the server's round trip, though: made through the engine's blocking
connection it held the loop 38% of a send's time; it goes through an asynchronous connection
of its own instead (sent_rows_pg), one commit under way at a time, the results that arrive
meanwhile making the next.

A commit here has to survive the process, not the machine: on SQLite the recorder's connection
uses `synchronous=NORMAL` (in WAL mode a commit is in the operating system's hands as soon as
it returns), on PostgreSQL `synchronous_commit=off` (the server has the commit before it
answers, and writes it to disk within a fraction of a second). A power loss or an operating
system crash in that fraction of a second may forget the last results, and so may a crash of
the PostgreSQL server itself (its own process killed, an immediate shutdown): their messages
are then sent again, with the same Message-ID.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
from collections.abc import Callable, Generator, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from digest.delivery import outbox
from digest.errors import DigestError
from digest.states import DeliveryStatus

if TYPE_CHECKING:
    from digest.delivery.sent_rows_pg import SentRowsWriter

# The longest a submitted result waits for its commit when no sender asks for it sooner.
COMMIT_DELAY_SECONDS = 0.05

# A submitted attempt and what its Recording waits on.
_Waiting = tuple[outbox.Attempt, asyncio.Future[None]]


class RecordingFailed(DigestError):
    """The database refused a result: the send stops, its unrecorded rows are claimed again
    once this worker's heartbeat has gone stale (delivery.worker_stale_seconds)."""


class Recorder:
    """submit() an attempt: a Recording, done once its row is committed (or failed with
    RecordingFailed, as is every later one once a commit has failed)."""

    def __init__(
        self,
        engine: Engine,
        policy: outbox.RetryPolicy,
        clock: Callable[[], datetime],
        worker_id: str,
    ) -> None:
        """worker_id: the heartbeat whose claimed rows these results are (see outbox.record)."""
        self.engine, self.policy, self.clock = engine, policy, clock
        self.worker_id = worker_id
        self.counts: dict[str, int] = {}  # rows recorded by new status, until take_counts()
        self._waiting: list[_Waiting] = []
        self._scheduled: asyncio.Handle | None = None  # the next commit, asked for
        self._timer: asyncio.TimerHandle | None = None  # the next commit, at the latest
        self._error: RecordingFailed | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._connection: Connection | None = None
        self._sent: outbox.SentRowWriter | None = None
        # PostgreSQL: 250s written without holding the event loop (sent_rows_pg), one commit
        # under way at a time; another asked for meanwhile is made once it is done.
        self._sent_async: SentRowsWriter | None = None
        self._under_way: asyncio.Task[None] | None = None
        self._again = False
        self._open = contextlib.ExitStack()

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            connection = self._open.enter_context(self.engine.connect())
            self._open.enter_context(_crash_safe(connection))
        except Exception as exc:
            self._open.close()
            raise RecordingFailed(f"cannot record the messages' results: {exc}") from exc
        self._connection = connection.execution_options(sqlite_immediate=True)
        self._sent = outbox.SentRowWriter(self._connection)
        if connection.dialect.name == "postgresql":
            from digest.delivery import sent_rows_pg  # psycopg's, loaded with PostgreSQL only

            writer = sent_rows_pg.SentRowsWriter(self.engine)
            try:
                await writer.open()
            except BaseException as exc:
                self._open.close()
                if not isinstance(exc, Exception):
                    raise
                raise RecordingFailed(f"cannot record the messages' results: {exc}") from exc
            self._sent_async = writer

    async def stop(self) -> None:
        """Record what is still waiting, then let the connections go. Stopped itself (its task
        cancelled), the results not yet recorded fail."""
        try:
            self._commit()
            while self._under_way is not None or self._waiting:
                if self._under_way is not None:
                    # Not cancelled with this wait; done, it makes the next commit, if asked.
                    await asyncio.wait([self._under_way])
                else:
                    self._commit()
        finally:
            self._connection = None  # from now on, what is submitted or waits fails
            self._commit()
            self._open.close()
            if self._under_way is not None:
                self._under_way.cancel()  # its results fail (_commit_done)
            if self._sent_async is not None:
                await self._sent_async.close()

    def submit(self, attempt: outbox.Attempt) -> Recording:
        loop = self._loop
        assert loop is not None, "submit() between start() and stop()"
        future: asyncio.Future[None] = loop.create_future()
        if self._error is not None:
            _fail(future, self._error)
            return Recording(future, self)
        if self._timer is None:
            self._timer = loop.call_later(COMMIT_DELAY_SECONDS, self._commit)
        self._waiting.append((attempt, future))
        return Recording(future, self)

    def needed(self) -> None:
        """A sender waits for a result: commit what waits, in the event loop's next round (so
        the results that arrive in this one join the commit)."""
        if self._scheduled is None and self._waiting and self._loop is not None:
            self._scheduled = self._loop.call_soon(self._commit)

    def take_counts(self) -> dict[str, int]:
        counts, self.counts = self.counts, {}
        return counts

    def _commit(self) -> None:
        for handle in (self._scheduled, self._timer):
            if handle is not None:
                handle.cancel()
        self._scheduled = self._timer = None
        if self._under_way is not None:
            self._again = True  # once the commit under way is done
            return
        batch, self._waiting = self._waiting, []
        if not batch:
            return
        if self._error is None and self._connection is None:
            self._error = RecordingFailed("cannot record the messages' results: recorder stopped")
        if self._error is not None:
            for _, future in batch:
                _fail(future, self._error)
            return
        assert self._connection is not None  # else the error above
        attempts = [a for a, _ in batch]
        all_sent = all(a.result.outcome == DeliveryStatus.SENT for a in attempts)
        if all_sent and self._sent_async is not None:
            assert self._loop is not None
            task = self._loop.create_task(self._commit_sent(batch, attempts))
            # Done however it ends, even cancelled before it began.
            task.add_done_callback(functools.partial(self._commit_done, batch))
            self._under_way = task
            return
        try:
            if all_sent:
                # The common case needs no ORM session: one executemany, through the driver.
                assert self._sent is not None
                counts = self._sent.write(attempts, self.clock())
            else:
                with self._connection.begin(), Session(bind=self._connection) as session:
                    counts = outbox.record(
                        session, attempts, self.clock(), self.policy, self.worker_id
                    )
                    session.flush()
        except Exception as exc:
            self._failed(batch, exc)
            return
        self._recorded(batch, counts)

    async def _commit_sent(self, batch: list[_Waiting], attempts: list[outbox.Attempt]) -> None:
        assert self._sent_async is not None
        try:
            counts = await self._sent_async.write(attempts, self.clock())
        except Exception as exc:
            self._failed(batch, exc)
        else:
            self._recorded(batch, counts)

    def _commit_done(self, batch: list[_Waiting], task: asyncio.Task[None]) -> None:
        if any(not future.done() for _, future in batch):
            self._failed(batch, "the commit was cancelled")  # or never begun
        if self._under_way is task:
            self._under_way = None
        if self._again:
            self._again = False
            self._commit()

    def _failed(self, batch: list[_Waiting], why: Exception | str) -> None:
        self._error = RecordingFailed(f"cannot record the messages' results: {why}")
        for _, future in batch:
            _fail(future, self._error)

    def _recorded(self, batch: list[_Waiting], counts: dict[str, int]) -> None:
        for status, count in counts.items():
            self.counts[status] = self.counts.get(status, 0) + count
        for _, future in batch:
            if not future.done():
                future.set_result(None)


class Recording:
    """One submitted result's recording (a transport's `ready`): awaiting it before it is done
    asks the recorder to commit."""

    __slots__ = ("_future", "_recorder")

    def __init__(self, future: asyncio.Future[None], recorder: Recorder) -> None:
        self._future, self._recorder = future, recorder

    def done(self) -> bool:
        return self._future.done()

    def result(self) -> None:
        return self._future.result()

    def wanted(self) -> None:
        """Its sender will soon wait for it: commit it (and what waits with it) in the event
        loop's next round."""
        if not self._future.done():
            self._recorder.needed()

    def __await__(self) -> Generator[Any, None, None]:
        self.wanted()
        return self._future.__await__()


@contextlib.contextmanager
def _crash_safe(connection: Connection) -> Iterator[None]:
    """Commits that survive this process, not necessarily the machine (see the module's
    docstring), on the recorder's connection only; its setting restored afterwards."""
    if connection.dialect.name == "sqlite":
        raw = connection.connection.driver_connection
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


def _fail(future: asyncio.Future[None], error: Exception) -> None:
    if not future.done():
        future.set_exception(error)
        future.exception()  # retrieved: a sender that never waits for it logs nothing
