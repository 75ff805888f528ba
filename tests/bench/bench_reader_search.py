"""Benchmark: the admins' Readers page on a big list: keyset pages against OFFSET pages.

Run by hand: python -m tests.bench.bench_reader_search [--readers 100000] [--pages 20]

A fresh SQLite database holds one list of `readers` readers (a tenth pending, a twentieth
unsubscribed, a hundredth suppressed). The figures, in one run:
- a page deep in the list (the last `pages` pages), as the Readers page asks for it: keyset,
  past the last subscription id shown (reader_search.search_readers);
- the baseline: the same page by LIMIT/OFFSET, what a page number would cost;
- a search by a part of an address over the whole list, and the per-state counts every list
  page shows (one grouped count), both full scans: the price of the page on such a list.
Both pagings must return the same readers.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from digest import db
from subscribers import reader_search
from subscribers.models import MailingList, Subscriber, Subscription, Suppression
from subscribers.states import SubscriberStatus, SubscriptionStatus

NOW = datetime(2026, 11, 23, 7, tzinfo=UTC)
PAGE = reader_search.PAGE_SIZE


def build(path: Path, readers: int) -> None:
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    with engine.begin() as connection:
        connection.execute(insert(MailingList), [{"slug": "weekly", "name": "Weekly"}])
        connection.execute(
            insert(Subscriber),
            [
                {
                    "email": f"reader{n}@example{n % 97}.net",
                    "name": f"Reader {n}",
                    "status": SubscriberStatus.BLOCKED if n % 100 == 7 else SubscriberStatus.ACTIVE,
                    "created_at": NOW,
                }
                for n in range(readers)
            ],
        )
        connection.execute(
            insert(Subscription),
            [
                {
                    "subscriber_id": n + 1,
                    "list_id": 1,
                    "status": SubscriptionStatus.PENDING
                    if n % 10 == 3
                    else SubscriptionStatus.UNSUBSCRIBED
                    if n % 20 == 5
                    else SubscriptionStatus.CONFIRMED,
                    "created_at": NOW,
                }
                for n in range(readers)
            ],
        )
        connection.execute(
            insert(Suppression),
            [
                {"email": f"reader{n}@example{n % 97}.net", "reason": "manual", "created_at": NOW}
                for n in range(7, readers, 100)
            ],
        )
    engine.dispose()


def offset_page(session: Session, offset: int) -> list[str]:
    return list(
        session.scalars(
            select(Subscriber.email)
            .join(Subscription, Subscription.subscriber_id == Subscriber.id)
            .where(Subscription.list_id == 1)
            .order_by(Subscription.id)
            .offset(offset)
            .limit(PAGE)
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readers", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        build(path, args.readers)
        engine = db.make_engine(f"sqlite:///{path}")
        sessions = db.session_factory(engine)
        last = args.readers // PAGE - 1
        wanted = range(last - args.pages + 1, last + 1)
        with sessions() as session:
            started = time.perf_counter()
            keyset = [
                [
                    row.email
                    for row in reader_search.search_readers(session, 1, after=page * PAGE).rows
                ]
                for page in wanted
            ]
            keyset_s = (time.perf_counter() - started) / args.pages
            started = time.perf_counter()
            offset = [offset_page(session, page * PAGE) for page in wanted]
            offset_s = (time.perf_counter() - started) / args.pages
            assert keyset == offset, "both pagings return the same readers"
            started = time.perf_counter()
            found = reader_search.search_readers(session, 1, query="reader9999@")
            search_s = time.perf_counter() - started
            started = time.perf_counter()
            counts = reader_search.count_by_state(session, 1)
            count_s = time.perf_counter() - started
        engine.dispose()
    print(f"{args.readers} readers, SQLite, page of {PAGE}, the last {args.pages} pages")
    print(f"  keyset page (digest):       {keyset_s * 1000:8.2f} ms")
    print(f"  OFFSET page (baseline):     {offset_s * 1000:8.2f} ms")
    print(f"  OFFSET / keyset:            {offset_s / keyset_s:8.1f} x")
    print(f"  search 'reader9999@':       {search_s * 1000:8.2f} ms ({len(found.rows)} found)")
    print(f"  counts by state:            {count_s * 1000:8.2f} ms {dict(counts)}")


if __name__ == "__main__":
    main()
