"""delivery.rate_limit_per_second holds over every sender of one database, not per process:
permits come in blocks from one row, and a server's 421/454 pause reaches every sender."""

from __future__ import annotations

import asyncio
import threading
import time

from sqlalchemy import select

from digest import db, pipeline
from digest.delivery import shared_rate
from digest.delivery.shared_rate import ROW, SharedRateLimit
from digest.models import SendRate
from tests.delivery.scenario import (
    Processes,
    finished,
    sample_send,
    states,
)
from tests.servers import FixtureSMTPServer

SENDERS = 3
TOLERANCE = 3


def most_in_any_window(times: list[float], window: float) -> int:
    """The most of these moments that fall within `window` seconds of each other."""
    ordered = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] > window:
            first += 1
        most = max(most, last - first + 1)
    return most


def permits_taken(database_url: str, rate: float | None, count: int, pause: float = 0) -> list:
    """SENDERS threads, each a sender with its own engine and event loop, each taking count
    permits (the first slows everyone down by `pause` first); when each permit came."""
    migrated = db.make_engine(database_url)
    try:
        db.upgrade(migrated)  # a new SQLite database is empty; PostgreSQL's is at head already
    finally:
        migrated.dispose()
    times: list[float] = []

    def sender(first: bool) -> None:
        engine = db.make_engine(database_url)
        limit = SharedRateLimit(engine, rate)

        async def take() -> None:
            if first and pause:
                limit.slow_down(pause)
            for _ in range(count):
                await limit.acquire()
                times.append(time.monotonic())

        try:
            asyncio.run(take())
        finally:
            engine.dispose()

    threads = [threading.Thread(target=sender, args=(n == 0,)) for n in range(SENDERS)]
    for thread in threads:
        thread.start()
        time.sleep(0.05 if pause else 0)  # the pause is asked for before the others start
    for thread in threads:
        thread.join()
    return times


def test_senders_with_engines_of_their_own_share_the_rate(database_url: str) -> None:
    started = time.monotonic()
    times = permits_taken(database_url, rate=40, count=30)
    # 90 permits at 40 a second take 2.2 s at least, whatever the number of senders (each
    # alone at 40 a second would be done in 0.75 s)...
    assert max(times) - started >= (SENDERS * 30 - 1) / 40 - 0.1
    # ...and no window holds more than its share, with a few permits of tolerance for the
    # timers of a busy machine.
    busiest = {window: most_in_any_window(times, window) for window in (0.5, 1.0, 2.0)}
    assert all(n <= 40 * window + TOLERANCE for window, n in busiest.items()), busiest


def test_a_wait_for_another_senders_lock_does_not_start_a_block_early(database_url: str) -> None:
    """A block's start is put on this sender's clock from the database's now, read during its
    statement: the time spent waiting for another sender's transaction is not half of it
    (which started the block that much early, crowding the other's permits)."""
    engine = db.make_engine(database_url)
    other = db.make_engine(database_url)
    try:
        db.upgrade(engine)
        limit = SharedRateLimit(engine, 40)
        asyncio.run(limit.acquire())  # the shared row exists
        locked, released = threading.Event(), []

        def hold() -> None:
            with db.claim_transaction(other) as session:
                session.execute(select(SendRate.name).where(SendRate.name == ROW).with_for_update())
                locked.set()
                time.sleep(0.6)
                released.append(time.monotonic())

        holder = threading.Thread(target=hold)
        holder.start()
        locked.wait()
        limit._free_until = 0.0
        limit._slots.clear()  # the next permit asks the database, behind the holder
        start = asyncio.run(limit._reserve(1))
        holder.join()
    finally:
        engine.dispose()
        other.dispose()
    # The block starts now (the row's next free moment is long past): once the lock came.
    assert start >= released[0] - 0.05, (start, released[0])


def test_a_slow_down_pauses_every_sender(database_url: str) -> None:
    for rate in (None, 50):
        started = time.monotonic()
        times = permits_taken(database_url, rate=rate, count=2, pause=1.0)
        assert min(times) - started >= 0.9, f"a sender went on during the pause (rate {rate})"


def test_three_workers_send_at_the_configured_rate_all_together(
    write_config, smtp_server: FixtureSMTPServer, processes: Processes
) -> None:
    rate = 20
    settings, emails = sample_send(
        write_config, smtp_server, 120, pool_size=2, batch_size=10, rate_limit_per_second=rate
    )
    outputs = finished(*processes.workers(settings.config_path, SENDERS, "--once"))
    delivered = [out.count("Delivered to") for out in outputs]

    assert sorted(smtp_server.handler.counts()) == emails
    with pipeline.runtime(settings, db.utcnow()) as rt:
        assert states(rt) == {"sent": len(emails)}
    # Every worker took part, and over any window of a few seconds the server saw the
    # configured rate at most, with a few messages of tolerance: a permit may be used up to
    # half an interval late, and a busy machine delays one message's arrival more than
    # another's.
    assert all(delivered), delivered
    accepted = [r.at for r in smtp_server.handler.received]
    for window in (1.0, 2.0, 3.0):
        seen = most_in_any_window(accepted, window)
        print(f"{seen} messages in the busiest {window:g} s window (configured {rate}/s)")
        assert seen <= rate * window + TOLERANCE
    assert (max(accepted) - min(accepted)) >= (len(emails) - 1) / rate - 0.5


def test_a_look_at_the_pause_the_database_cannot_answer_costs_only_the_look_ahead(
    tmp_path,
) -> None:
    # look() is made while a lane's transaction waits for its data: a database error there
    # must not end the send (the next permit's acquire asks again, and raises what it gets).
    engine = db.make_engine(f"sqlite:///{tmp_path / 'never-migrated.db'}")  # no send_rate
    try:
        limit = SharedRateLimit(engine, None)

        asyncio.run(limit.look())

        assert not limit.at_once()
    finally:
        engine.dispose()


def test_a_slow_answer_to_the_look_at_the_pause_still_leaves_the_look_ahead_on(
    tmp_path, monkeypatch
) -> None:
    # The look is due every PAUSE_CHECK_SECONDS; its answer is good for that long from when it
    # came, not from the middle of its statement: a commit or a wake-up slower than the window
    # (a loaded machine) left at_once false right after the look, and a lane's next message
    # went without its transaction begun behind the last one's dot.
    monkeypatch.setattr(shared_rate, "PAUSE_CHECK_SECONDS", 0.05)
    engine = db.make_engine(f"sqlite:///{tmp_path / 'rate.db'}")
    try:
        db.upgrade(engine)
        limit = SharedRateLimit(engine, None)
        taken = limit._take

        def slow_commit(permits: int, pause: float) -> tuple[float, float, float, float]:
            answer = taken(permits, pause)
            time.sleep(0.2)  # the commit and the thread's hand-back, after `answered`
            return answer

        monkeypatch.setattr(limit, "_take", slow_commit)

        async def look_then_ask() -> bool:
            await limit.look()
            return limit.at_once()  # as a lane does: no wait between

        assert asyncio.run(look_then_ask())
    finally:
        engine.dispose()
