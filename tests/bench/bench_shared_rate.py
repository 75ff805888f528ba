"""Benchmark: the aggregate send rate of 1 and 3 senders at delivery.rate_limit_per_second,
each sender's own limit (the baseline, RateLimit) beside the limit shared through the database
(SharedRateLimit), in one run.

Run by hand:

    python -m tests.bench.bench_shared_rate [--rate 20] [--messages 60]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/h_heal]

Each sender is a thread with its own event loop, its own database engine and its own SMTP pool
of 2 connections to one aiosmtpd sink on 127.0.0.1, sending `--messages` small messages, a
permit taken before each as the send loop does. Only the limit differs between the two rows.
The sink's acceptance times give the aggregate rate (messages over the time from the first to
the last) and the busiest one-second window. Without --database-url the database is a fresh
SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from digest import db
from digest.delivery.rate import Permits, RateLimit
from digest.delivery.shared_rate import SharedRateLimit
from digest.delivery.smtp import SmtpPool
from digest.models import SendRate
from tests.delivery.test_shared_rate import most_in_any_window
from tests.servers import FixtureSMTPServer

MESSAGE = b"From: bench@example.org\r\nTo: reader@example.org\r\nSubject: rate\r\n\r\nHello\r\n"


def run(
    database_url: str,
    sink: FixtureSMTPServer,
    senders: int,
    messages: int,
    limit_of: Callable[[db.Engine], Permits],
) -> tuple[float, int]:
    """(aggregate messages a second, most in any one-second window) at the sink."""
    first = len(sink.handler.received)

    def sender(number: int) -> None:
        engine = db.make_engine(database_url)
        pool = SmtpPool(host="127.0.0.1", port=sink.port, security="none", size=2)
        limit = limit_of(engine)

        async def send_all() -> None:
            await pool.open()
            try:

                async def one(n: int) -> None:
                    await limit.acquire()
                    await pool.send("bench@example.org", f"r{number}-{n}@example.org", MESSAGE)

                await asyncio.gather(*(one(n) for n in range(messages)))
            finally:
                await pool.close()

        try:
            asyncio.run(send_all())
        finally:
            engine.dispose()

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    times = [r.at for r in sink.handler.received[first:]]
    assert len(times) == senders * messages, "the sink did not get every message"
    return (len(times) - 1) / (max(times) - min(times)), most_in_any_window(times, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--messages", type=int, default=60, help="per sender")
    parser.add_argument("--database-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        url = args.database_url or f"sqlite:///{Path(scratch) / 'bench.db'}"
        engine = db.make_engine(url)
        db.upgrade(engine)
        sink = FixtureSMTPServer().start()
        sink.handler.keep_content = False
        print(f"configured {args.rate:g}/s, {args.messages} messages per sender, {url}")
        print(f"{'senders':>7} | {'baseline: own limit':>27} | {'shared limit':>27} | ratio")
        try:
            for senders in (1, 3):
                with engine.begin() as connection:  # a fresh shared row for each run
                    connection.execute(SendRate.__table__.delete())
                own = run(url, sink, senders, args.messages, lambda _e: RateLimit(args.rate))
                shared = run(
                    url, sink, senders, args.messages, lambda e: SharedRateLimit(e, args.rate)
                )
                print(
                    f"{senders:>7} | {own[0]:6.1f}/s, busiest second {own[1]:3d} "
                    f"| {shared[0]:6.1f}/s, busiest second {shared[1]:3d} "
                    f"| {shared[0] / own[0]:.2f} (shared/baseline), "
                    f"{shared[0] / args.rate:.2f} of the configured rate"
                )
        finally:
            sink.stop()
            engine.dispose()


if __name__ == "__main__":
    main()
