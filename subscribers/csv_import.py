"""CSV import of a list's subscribers: streamed in batches, so memory stays flat."""

from __future__ import annotations

import copy
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from sqlalchemy import Engine, Insert, String, Table, Text, insert, literal, select, update
from sqlalchemy.exc import IntegrityError

from digest import db
from digest.db import UTCDateTime
from subscribers.csv_rows import BadRow, ImportRow, read_rows
from subscribers.models import ConsentRecord, Subscriber, Subscription, Suppression
from subscribers.states import SubscriberStatus, SubscriptionStatus

BATCH_SIZE = 5000
# Core inserts of plain rows: the ORM's bulk path splits a batch wherever a row's None
# columns differ from the one before and runs one statement per piece.
SUBSCRIBERS = cast(Table, Subscriber.__table__)
SUBSCRIPTIONS = cast(Table, Subscription.__table__)
CONSENT_RECORDS = cast(Table, ConsentRecord.__table__)


@dataclass
class ImportReport:
    exporter: str = "digest"  # whose export the header looks like (or --map)
    ignored_columns: tuple[str, ...] = ()
    rows: int = 0
    added: dict[SubscriptionStatus, int] = field(
        default_factory=lambda: dict.fromkeys(SubscriptionStatus, 0)
    )
    already_on_list: int = 0
    # Pending on the list, and the row says confirmed under --confirmed: confirmed now.
    confirmed_now: int = 0
    already_confirmed: int = 0
    # Why the rows that are pending once imported are so, with how many of each.
    pending_why: Counter[str] = field(default_factory=Counter)
    # Unsubscribed from this list before: an import never brings them back.
    kept_unsubscribed: int = 0
    # The file says they unsubscribed elsewhere: their subscription here ends too.
    now_unsubscribed: int = 0
    suppressed: int = 0
    # Subscribers who bounced, complained or were blocked.
    inactive: int = 0
    bad_rows: int = 0


def import_csv(
    engine: Engine,
    lines: Iterable[str],
    *,
    list_id: int,
    offered_topics: frozenset[str],
    confirmed: bool,
    consent_wording: str,
    now: datetime,
    on_bad_row: Callable[[BadRow], None],
    mapping: Mapping[str, str] | None = None,
    on_batch: Callable[[int], None] | None = None,
    batch_size: int = BATCH_SIZE,
) -> ImportReport:
    """Import rows into the list, one transaction per batch; bad rows go to on_bad_row, and
    on_batch hears the number of rows read after each batch is written.

    Rows become pending subscriptions unless `confirmed` (the operator holds the readers'
    prior consent) and the row's own status says nothing or confirmed; such a row confirms
    the reader's pending subscription too. Running it again changes nothing."""
    layout, rows = read_rows(
        lines, offered_topics=offered_topics, confirmed=confirmed, mapping=mapping
    )
    report = ImportReport(layout.exporter.name, layout.ignored)
    batch: dict[str, ImportRow] = {}
    for parsed in rows:
        report.rows += 1
        if isinstance(parsed, BadRow):
            report.bad_rows += 1
            on_bad_row(parsed)
            continue
        if parsed.email in batch:
            report.already_on_list += 1  # a repeat within the file: the first row counts
            continue
        batch[parsed.email] = parsed
        if len(batch) >= batch_size:
            report = _write_batch_retrying(engine, batch, list_id, consent_wording, now, report)
            batch = {}
            if on_batch is not None:
                on_batch(report.rows)
    if batch:
        report = _write_batch_retrying(engine, batch, list_id, consent_wording, now, report)
    if on_batch is not None:
        on_batch(report.rows)
    return report


def _write_batch_retrying(
    engine: Engine,
    batch: dict[str, ImportRow],
    list_id: int,
    wording: str,
    now: datetime,
    report: ImportReport,
) -> ImportReport:
    """The batch written, once more if a sign-up took one of its addresses meanwhile (on
    PostgreSQL, between the batch's reads and its inserts): the second pass finds them."""
    trial = copy.deepcopy(report)
    try:
        _write_batch(engine, batch, list_id, wording, now, trial)
    except IntegrityError:
        trial = copy.deepcopy(report)
        _write_batch(engine, batch, list_id, wording, now, trial)
    return trial


def _write_batch(
    engine: Engine,
    batch: dict[str, ImportRow],
    list_id: int,
    wording: str,
    now: datetime,
    report: ImportReport,
) -> None:
    # The write lock up front on SQLite (BEGIN IMMEDIATE): a web request writing at the same
    # time would otherwise fail this batch after its reads with "database is locked".
    with db.claim_transaction(engine) as session:
        emails = list(batch)
        suppressed = set(
            session.scalars(select(Suppression.email).where(Suppression.email.in_(emails)))
        )
        report.suppressed += len(suppressed)
        known = {
            email: (subscriber_id, status)
            for subscriber_id, email, status in session.execute(
                select(Subscriber.id, Subscriber.email, Subscriber.status).where(
                    Subscriber.email.in_(emails)
                )
            )
        }
        new = [batch[email] for email in emails if email not in known and email not in suppressed]
        if new:
            session.execute(
                insert(SUBSCRIBERS),
                [
                    {
                        "email": row.email,
                        "name": row.name,
                        "status": SubscriberStatus.ACTIVE,
                        "created_at": now,
                        "soft_bounces": 0,
                        "timezone": row.timezone,
                        "topics": row.topics,
                    }
                    for row in new
                ],
            )
            for subscriber_id, email in session.execute(
                select(Subscriber.id, Subscriber.email).where(
                    Subscriber.email.in_([row.email for row in new])
                )
            ):
                known[email] = (subscriber_id, SubscriberStatus.ACTIVE)
        ids = [subscriber_id for subscriber_id, _ in known.values()]
        on_list = {
            subscriber_id: status
            for subscriber_id, status in session.execute(
                select(Subscription.subscriber_id, Subscription.status).where(
                    Subscription.list_id == list_id, Subscription.subscriber_id.in_(ids)
                )
            )
        }
        joining: dict[SubscriptionStatus, list[int]] = defaultdict(
            list
        )  # new subscriptions by status
        consenting: dict[str, list[int]] = defaultdict(list)  # consent records by action
        ending: list[int] = []
        confirming: list[int] = []
        for email, row in batch.items():
            if email in suppressed:
                continue
            subscriber_id, subscriber_status = known[email]
            current = on_list.get(subscriber_id)
            if current == SubscriptionStatus.UNSUBSCRIBED:
                report.kept_unsubscribed += 1
            elif subscriber_status != SubscriberStatus.ACTIVE:
                report.inactive += 1  # left as they are: no digest reaches them anyway
            elif current is not None and row.status == SubscriptionStatus.UNSUBSCRIBED:
                ending.append(subscriber_id)
                consenting["unsubscribe"].append(subscriber_id)
            elif (
                current == SubscriptionStatus.PENDING and row.status == SubscriptionStatus.CONFIRMED
            ):
                confirming.append(subscriber_id)
                consenting["confirm"].append(subscriber_id)
            elif current is not None:
                report.already_on_list += 1
                if current == SubscriptionStatus.CONFIRMED:
                    report.already_confirmed += 1
                elif row.pending_reason:
                    report.pending_why[row.pending_reason] += 1
            else:
                report.added[row.status] += 1
                if row.pending_reason:
                    report.pending_why[row.pending_reason] += 1
                joining[row.status].append(subscriber_id)
                action = (
                    "unsubscribe" if row.status == SubscriptionStatus.UNSUBSCRIBED else "subscribe"
                )
                consenting[action].append(subscriber_id)
        for status, ids in joining.items():
            session.execute(_subscriptions_of(ids, list_id, status, now))
        if ending:
            session.execute(
                update(Subscription)
                .where(Subscription.list_id == list_id, Subscription.subscriber_id.in_(ending))
                .values(status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=now)
            )
            report.now_unsubscribed += len(ending)
        if confirming:
            session.execute(
                update(Subscription)
                .where(
                    Subscription.list_id == list_id,
                    Subscription.subscriber_id.in_(confirming),
                    Subscription.status == SubscriptionStatus.PENDING,
                )
                .values(status=SubscriptionStatus.CONFIRMED, confirmed_at=now)
            )
            report.confirmed_now += len(confirming)
        for action, ids in consenting.items():
            session.execute(_consents_of(ids, list_id, action, wording, now))


# Subscriptions and consent records are the same for every reader of a batch but the reader:
# one INSERT ... SELECT each, where an executemany would convert the same values per row.


def _subscriptions_of(
    ids: list[int], list_id: int, status: SubscriptionStatus, now: datetime
) -> Insert:
    return insert(SUBSCRIPTIONS).from_select(
        [
            "subscriber_id",
            "list_id",
            "status",
            "origin",
            "created_at",
            "confirmed_at",
            "unsubscribed_at",
        ],
        select(
            SUBSCRIBERS.c.id,
            literal(list_id),
            literal(status, String()),
            literal("import", String()),
            literal(now, UTCDateTime()),
            literal(now if status == SubscriptionStatus.CONFIRMED else None, UTCDateTime()),
            literal(now if status == SubscriptionStatus.UNSUBSCRIBED else None, UTCDateTime()),
        ).where(SUBSCRIBERS.c.id.in_(ids)),
    )


def _consents_of(ids: list[int], list_id: int, action: str, wording: str, now: datetime) -> Insert:
    return insert(CONSENT_RECORDS).from_select(
        ["subscriber_id", "list_id", "action", "method", "wording", "created_at"],
        select(
            SUBSCRIBERS.c.id,
            literal(list_id),
            literal(action, String()),
            literal("import", String()),
            literal(wording, Text()),
            literal(now, UTCDateTime()),
        ).where(SUBSCRIBERS.c.id.in_(ids)),
    )
