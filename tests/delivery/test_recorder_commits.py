"""The recorder's commits of 250s: stored exactly, and on PostgreSQL made without holding the
event loop (sent_rows_pg)."""

from __future__ import annotations

import asyncio
import gc
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from digest import db, pipeline
from digest.delivery import outbox
from digest.delivery.recorder import Recorder, Recording, RecordingFailed
from digest.delivery.transport import SendResult
from digest.models import Delivery
from digest.states import DeliveryStatus
from tests.delivery.scenario import addresses, queued_issue, smtp_config
from tests.servers import FixtureSMTPServer

POLICY = outbox.RetryPolicy(
    max_attempts=5, base_delay=timedelta(minutes=5), max_age=timedelta(hours=24)
)

# Replies as servers write them, with what an array's or a statement's text has to escape.
REPLIES = [
    '250 2.0.0 Ok: queued as "4Fq1X" {a,b}',
    "250 OK id=1tXyZ-000Abc-7q \\ backslash\\",
    "250 تمت الإضافة إلى قائمة الانتظار — ✓",
    "250 NULL",
    "250 ok\x00after a NUL",
    "250 ,{}\"'",
]
MESSAGE_IDS = ['<1."quoted"@weekly.example.net>', None, "<3\\x@weekly.example.net>", "<NULL>"]


@pytest.fixture
def rt(write_config, smtp_server: FixtureSMTPServer) -> Iterator[pipeline.Runtime]:  # type: ignore[no-untyped-def]
    settings = write_config(smtp_config(smtp_server, max_articles=1))
    with pipeline.runtime(settings, db.utcnow()) as runtime:
        yield runtime


def _claimed(rt: pipeline.Runtime, count: int) -> list[outbox.Claimed]:
    queued_issue(rt, addresses(count))
    with db.claim_transaction(rt.engine) as session:
        return outbox.claim_batch(session, 1, db.utcnow(), count, "w")


def test_replies_and_message_ids_are_stored_exactly_as_given(rt: pipeline.Runtime) -> None:
    claimed = _claimed(rt, len(REPLIES))
    now = db.utcnow()
    attempts = [
        outbox.Attempt(c, SendResult(DeliveryStatus.SENT, reply), MESSAGE_IDS[i % 4])
        for i, (c, reply) in enumerate(zip(claimed, REPLIES, strict=True))
    ]

    async def record() -> dict[str, int]:
        recorder = Recorder(rt.engine, POLICY, lambda: now, "w")
        await recorder.start()
        try:
            # One commit of them all (the tests below make commits that overlap).
            for recording in [recorder.submit(a) for a in attempts]:
                await recording
        finally:
            await recorder.stop()
        return recorder.take_counts()

    assert asyncio.run(record()) == {"sent": len(REPLIES)}
    with rt.sessions() as session:
        rows = session.execute(
            select(
                Delivery.status, Delivery.last_reply, Delivery.message_id, Delivery.sent_at
            ).order_by(Delivery.id)
        ).all()
    assert [r.status for r in rows] == ["sent"] * len(REPLIES)
    assert [r.last_reply for r in rows] == [reply.replace("\x00", "\ufffd") for reply in REPLIES]
    assert [r.message_id for r in rows] == [a.message_id for a in attempts]
    assert {r.sent_at for r in rows} == {now}


def test_a_slow_commit_on_postgresql_leaves_the_event_loop_free(
    rt: pipeline.Runtime, postgresql_url: str | None
) -> None:
    """Every connection's reading and writing goes on while a commit waits for the server: a
    commit held up for two seconds (another transaction holds its row) must not stop the loop
    for them. (SQLite's commit is a local write, made on the loop.)"""
    if not postgresql_url:
        pytest.skip("PostgreSQL's commits go through a connection of their own")
    (row,) = _claimed(rt, 1)
    attempt = outbox.Attempt(row, SendResult(DeliveryStatus.SENT, "250 ok"), "<1@x>")
    with rt.engine.connect() as locker:
        locker.execute(text("SELECT id FROM deliveries WHERE id = :id FOR UPDATE"), {"id": row.id})
        release = threading.Timer(2.0, locker.rollback)

        async def record() -> tuple[float, float]:
            recorder = Recorder(rt.engine, POLICY, db.utcnow, "w")
            await recorder.start()
            try:
                recording = recorder.submit(attempt)
                release.start()
                started = last = time.monotonic()
                longest = 0.0
                recording.wanted()
                while not recording.done():
                    await asyncio.sleep(0.01)
                    now = time.monotonic()
                    longest, last = max(longest, now - last), now
                recording.result()
                return longest, last - started
            finally:
                await recorder.stop()

        # A full collection of a test worker's heap can stall it on a loaded machine: not
        # the commit's doing.
        gc.collect()
        gc.disable()
        try:
            longest, waited = asyncio.run(record())
        finally:
            gc.enable()
            release.join()
    with rt.sessions() as session:
        assert session.scalar(select(Delivery.status)) == "sent"
    assert waited >= 1.9  # the commit did wait for the lock
    assert longest < 1.0, f"the event loop stood still {longest:.2f} s during a commit"


_REFUSE_BOOM = {
    "sqlite": [
        "CREATE TRIGGER refuse_boom BEFORE UPDATE ON deliveries FOR EACH ROW"
        " WHEN NEW.last_reply = '250 boom' BEGIN SELECT RAISE(ABORT, 'refused'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_boom() RETURNS trigger AS $$ BEGIN"
        " IF NEW.last_reply = '250 boom' THEN RAISE EXCEPTION 'refused'; END IF;"
        " RETURN NEW; END $$ LANGUAGE plpgsql",
        "CREATE TRIGGER refuse_boom BEFORE UPDATE ON deliveries"
        " FOR EACH ROW EXECUTE FUNCTION refuse_boom()",
    ],
}


def test_a_refused_commit_fails_its_results_and_every_later_one(rt: pipeline.Runtime) -> None:
    """The sender stops on the first result it cannot record (RecordingFailed): the results
    committed with it, and every one submitted after it, fail alike, and nothing of the
    refused commit is stored."""
    claimed = _claimed(rt, 4)
    with rt.engine.begin() as connection:
        for statement in _REFUSE_BOOM[rt.engine.dialect.name]:
            connection.exec_driver_sql(statement)
    replies = ["250 ok", "250 boom", "250 ok", "250 ok"]
    attempts = [
        outbox.Attempt(c, SendResult(DeliveryStatus.SENT, reply), f"<{c.id}@x>")
        for c, reply in zip(claimed, replies, strict=True)
    ]

    async def record() -> list[str]:
        recorder = Recorder(rt.engine, POLICY, db.utcnow, "w")
        await recorder.start()
        outcomes = []
        try:
            await recorder.submit(attempts[0])
            refused = [recorder.submit(a) for a in attempts[1:3]]
            for recording in refused:
                with pytest.raises(RecordingFailed, match="refused"):
                    await recording
                outcomes.append("failed")
            with pytest.raises(RecordingFailed):
                await recorder.submit(attempts[3])
            outcomes.append("failed")
        finally:
            await recorder.stop()
        return outcomes

    try:
        assert asyncio.run(record()) == ["failed"] * 3
    finally:
        with rt.engine.begin() as connection:  # PostgreSQL's test database is kept
            if rt.engine.dialect.name == "postgresql":
                connection.exec_driver_sql("DROP FUNCTION refuse_boom() CASCADE")
            else:
                connection.exec_driver_sql("DROP TRIGGER refuse_boom")
    with rt.sessions() as session:
        stored = session.scalars(select(Delivery.status).order_by(Delivery.id)).all()
    assert stored == ["sent", "sending", "sending", "sending"]


# PostgreSQL's commits one at a time (sent_rows_pg): each made slow, so that results arrive
# while one is under way.
COMMITS: list[int] = []


@pytest.fixture
def slow_commits(monkeypatch: pytest.MonkeyPatch, postgresql_url: str | None) -> None:
    if not postgresql_url:
        pytest.skip("PostgreSQL's commits go through a connection of their own")
    from digest.delivery import sent_rows_pg

    write = sent_rows_pg.SentRowsWriter.write
    COMMITS.clear()

    async def slow_write(self, sent, now):  # type: ignore[no-untyped-def]
        COMMITS.append(len(sent))
        await asyncio.sleep(0.2)
        if any(a.result.reply == "250 refused" for a in sent):
            raise RuntimeError("refused")
        return await write(self, sent, now)

    monkeypatch.setattr(sent_rows_pg.SentRowsWriter, "write", slow_write)


def _attempt(claimed: outbox.Claimed, reply: str = "250 ok") -> outbox.Attempt:
    status = DeliveryStatus.SENT if reply.startswith("2") else DeliveryStatus.DEFERRED
    return outbox.Attempt(claimed, SendResult(status, reply), f"<{claimed.id}@x>")


async def _within(recording: Recording, seconds: float = 5) -> None:
    """Await a recording, failing rather than hanging (a commit asked for and never made)."""

    async def wait() -> None:
        await recording

    await asyncio.wait_for(wait(), seconds)


async def _outcomes(recordings: list[Recording]) -> list[str]:
    """Each recording's outcome, in order: "recorded" or "failed" (RecordingFailed)."""
    outcomes = []
    for recording in recordings:
        try:
            await _within(recording)
            outcomes.append("recorded")
        except RecordingFailed:
            outcomes.append("failed")
    return outcomes


def _statuses(rt: pipeline.Runtime) -> list[str]:
    with rt.sessions() as session:
        return list(session.scalars(select(Delivery.status).order_by(Delivery.id)))


def test_results_arriving_during_a_commit_are_committed_next_in_order(
    rt: pipeline.Runtime, slow_commits: None
) -> None:
    rows = _claimed(rt, 4)

    async def record() -> tuple[list[bool], dict[str, int]]:
        recorder = Recorder(rt.engine, POLICY, db.utcnow, "w")
        await recorder.start()
        try:
            first = recorder.submit(_attempt(rows[0]))
            first.wanted()
            await asyncio.sleep(0.05)  # its commit under way
            second = recorder.submit(_attempt(rows[1]))
            second.wanted()
            deferred = recorder.submit(_attempt(rows[2], "451 4.3.0 try later"))
            deferred.wanted()
            unawaited = recorder.submit(_attempt(rows[3]))  # stop() records it
            await _within(second)
            await _within(deferred)
            done = [first.done(), second.done(), deferred.done()]
        finally:
            await asyncio.wait_for(recorder.stop(), 5)
        unawaited.result()
        return done, recorder.take_counts()

    done, counts = asyncio.run(record())
    assert done == [True, True, True]
    assert counts == {"sent": 3, "deferred": 1}
    assert _statuses(rt) == ["sent", "sent", "deferred", "sent"]
    # One at a time: the first alone, the rest (a 451 among them: the synchronous path) after.
    assert COMMITS[0] == 1


def test_a_refused_commit_under_way_fails_the_results_waiting_behind_it(
    rt: pipeline.Runtime, slow_commits: None
) -> None:
    rows = _claimed(rt, 3)

    async def record() -> list[str]:
        recorder = Recorder(rt.engine, POLICY, db.utcnow, "w")
        await recorder.start()
        try:
            refused = recorder.submit(_attempt(rows[0], "250 refused"))
            refused.wanted()
            await asyncio.sleep(0.05)
            behind = [recorder.submit(_attempt(row)) for row in rows[1:]]
            return await _outcomes([refused, *behind])
        finally:
            await recorder.stop()

    assert asyncio.run(record()) == ["failed"] * 3
    assert _statuses(rt) == ["sending"] * 3


def test_a_stop_cancelled_during_a_commit_leaves_no_result_unanswered(
    rt: pipeline.Runtime, slow_commits: None
) -> None:
    """Each sender waits for its results: cancelled (Ctrl-C, a shutdown), stop() must still
    answer every one, recorded or failed, and hold no task or connection."""
    rows = _claimed(rt, 3)

    async def record() -> list[bool]:
        recorder = Recorder(rt.engine, POLICY, db.utcnow, "w")
        await recorder.start()
        under_way = recorder.submit(_attempt(rows[0]))
        under_way.wanted()
        await asyncio.sleep(0.05)
        waiting = [recorder.submit(_attempt(row)) for row in rows[1:]]
        stopping = asyncio.create_task(recorder.stop())
        await asyncio.sleep(0.05)
        stopping.cancel()
        with pytest.raises(asyncio.CancelledError):
            await stopping
        await asyncio.sleep(0)
        answered = [r.done() for r in [under_way, *waiting]]
        for recording in [under_way, *waiting]:
            with pytest.raises(RecordingFailed):
                recording.result()
        with pytest.raises(RecordingFailed):
            recorder.submit(_attempt(rows[0])).result()
        return answered

    assert asyncio.run(record()) == [True, True, True]


def test_a_commit_cancelled_before_it_began_fails_its_results_and_the_later_ones(
    rt: pipeline.Runtime, slow_commits: None
) -> None:
    rows = _claimed(rt, 2)

    async def record() -> list[str]:
        recorder = Recorder(rt.engine, POLICY, db.utcnow, "w")
        await recorder.start()
        try:
            first = recorder.submit(_attempt(rows[0]))
            recorder._commit()  # its task created, not yet begun
            assert recorder._under_way is not None
            recorder._under_way.cancel()
            later = recorder.submit(_attempt(rows[1]))
            return await _outcomes([first, later])
        finally:
            await asyncio.wait_for(recorder.stop(), 5)

    assert asyncio.run(record()) == ["failed", "failed"]
    assert _statuses(rt) == ["sending", "sending"]
