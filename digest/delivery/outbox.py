"""The outbox: one delivery row per (issue, subscriber), claimed in batches, moved through states.

queued -> sending -> sent | deferred (-> sending again later) | failed | skipped
A row is marked sent only after the transport reported success.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from digest.delivery.transport import SendResult
from digest.models import Delivery
from subscribers.membership import RecipientRow

# A row left in "sending" this long (a crashed sender) may be claimed again.
SENDING_LEASE = timedelta(minutes=10)


def enqueue(
    session: Session, issue_id: int, recipients: Sequence[RecipientRow], now: datetime
) -> int:
    """Create the missing rows for these recipients; return how many were new."""
    if not recipients:
        return 0
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(Delivery)
        .values(
            [
                {
                    "issue_id": issue_id,
                    "subscriber_id": r.subscriber_id,
                    "email": r.email,
                    "status": "queued",
                    "attempts": 0,
                    "created_at": now,
                }
                for r in recipients
            ]
        )
        .on_conflict_do_nothing(index_elements=["issue_id", "subscriber_id"])
    )
    result = session.execute(statement)
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


def claim_batch(session: Session, issue_id: int, now: datetime, limit: int) -> list[Delivery]:
    """Take up to limit due rows and mark them sending (PostgreSQL: SKIP LOCKED across workers)."""
    due = and_(
        Delivery.issue_id == issue_id,
        or_(
            Delivery.status == "queued",
            and_(Delivery.status == "deferred", Delivery.next_attempt_at <= now),
            and_(Delivery.status == "sending", Delivery.next_attempt_at <= now),
        ),
    )
    query = select(Delivery).where(due).order_by(Delivery.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    rows = list(session.scalars(query))
    for row in rows:
        row.status = "sending"
        row.attempts += 1
        row.next_attempt_at = now + SENDING_LEASE
    return rows


def record(
    session: Session,
    delivery_id: int,
    result: SendResult,
    now: datetime,
    *,
    max_attempts: int,
    retry_delay: timedelta,
    message_id: str | None = None,
) -> str:
    """Store the outcome of one attempt; return the row's new status."""
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise LookupError(delivery_id)
    row.last_reply = result.reply[:2000]
    if result.outcome == "sent":
        row.status = "sent"
        row.sent_at = now
        row.next_attempt_at = None
        row.message_id = message_id
    elif result.outcome == "deferred" and row.attempts < max_attempts:
        row.status = "deferred"
        row.next_attempt_at = now + retry_delay * (2 ** (row.attempts - 1))
    else:
        row.status = "failed"
        row.next_attempt_at = None
    return row.status


def skip(session: Session, delivery_id: int, reason: str) -> None:
    session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id)
        .values(status="skipped", last_reply=reason, next_attempt_at=None)
    )


def counts(session: Session, issue_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.issue_id == issue_id)
        .group_by(Delivery.status)
    )
    return {status: count for status, count in rows}
