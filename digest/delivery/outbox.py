"""The outbox: one delivery row per (issue, subscriber), claimed in batches, moved through states.

queued -> sending -> sent
                  -> deferred -> sending again once due ... -> failed (too many tries, too old)
                  -> failed (5xx; or the message could not be built or sent, its reason kept)
                  -> uncertain (no reply to the data: not retried blindly unless
                     delivery.retry_uncertain)
                  -> skipped (unsubscribed, suppressed or bounced meanwhile)
                  -> back to queued or deferred, its attempt uncounted (the server refused the
                     sender, or could not take mail, not the reader: the send stopped before
                     or at this row)

A row is marked sent only after the server's final 250. A claimed row names its worker
(worker_id), whose heartbeat (delivery/workers.py) keeps it: while that worker's heartbeat is
fresh nobody else takes the row, however long its batch takes; once it is older than the
delivery.worker_stale_seconds that worker keeps to, the row is claimed again, and the stale
worker's late results no longer change it, but for a 250 (the message was accepted); a stale
worker that runs again sends no more of its rows (workers.Heartbeat.hold). The only possible
repeat is a message the server accepted whose result was not yet recorded when the sender died
or stopped: each result is recorded before the same connection may finish its next message (see
recorder.py), so at most one message per connection (delivery.smtp.pool_size), with the same
Message-ID.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    func,
    literal,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from digest import db
from digest.delivery.transport import SendResult
from digest.delivery.workers import owner_alive
from digest.models import UNFINISHED_DELIVERY, Delivery
from digest.states import DeliveryStatus
from subscribers.models import Subscriber
from subscribers.states import SuppressionReason
from subscribers.suppression import suppress

PENDING = (DeliveryStatus.QUEUED, DeliveryStatus.SENDING, DeliveryStatus.DEFERRED)
# Why a row was skipped (its last_reply): what the issue's figures count apart.
SKIPPED_GONE = "no longer subscribed"
SKIPPED_TOPICS = "no story of this issue matches their topics"
# record()'s count of the rows not sent because the server refused the sender: put back as they
# were before their claim (not a status).
HELD_BACK = "held back"


# The common case, one executemany: a 250 needs nothing read back from the row.
_RECORD_SENT = (
    update(Delivery)
    .where(Delivery.id == bindparam("row_id"))
    .values(
        status=DeliveryStatus.SENT,
        last_reply=bindparam("reply"),
        sent_at=bindparam("at"),
        message_id=bindparam("sent_message_id"),
        next_attempt_at=None,
    )
)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int
    base_delay: timedelta
    max_age: timedelta
    retry_uncertain: bool = False

    def next_attempt(self, attempts: int, now: datetime, jitter: float) -> datetime:
        """Exponential backoff with jitter (jitter in [0, 1) spreads retries over +-25%)."""
        delay = self.base_delay * (2 ** max(attempts - 1, 0))
        return now + delay * (0.75 + 0.5 * jitter)


@dataclass(frozen=True)
class Claimed:
    id: int
    subscriber_id: int
    email: str


@dataclass(frozen=True)
class Attempt:
    claimed: Claimed
    result: SendResult
    message_id: str | None


def enqueue(
    session: Session, issue_id: int, recipients: Select[int, str, str | None], now: datetime
) -> int:
    """Create the missing rows for the recipients this query selects (id, email, name: see
    membership.recipients), in one INSERT … SELECT that the database runs whole, with no row
    passing through Python, in subscriber order (the rows' ids, and so the order they are
    sent in: readers in the order they joined, the same on every database); return how many
    were new."""
    insert = db.dialect_insert(session)
    rows = recipients.with_only_columns(
        literal(issue_id),
        Subscriber.id,
        Subscriber.email,
        literal(DeliveryStatus.QUEUED, Delivery.status.type),
        literal(0),
        literal(now, Delivery.created_at.type),
        maintain_column_froms=True,
    ).order_by(Subscriber.id)
    columns = ["issue_id", "subscriber_id", "email", "status", "attempts", "created_at"]
    statement = (
        insert(Delivery)
        .from_select(columns, rows)
        .on_conflict_do_nothing(index_elements=["issue_id", "subscriber_id"])
    )
    result = session.execute(statement)
    return max(result.rowcount or 0, 0)  # type: ignore[attr-defined]


def _due(issue_id: int, now: datetime) -> ColumnElement[bool]:
    """Rows of the issue a worker may claim now: queued, deferred and due, or `sending` for a
    worker whose heartbeat is stale (or, claimed before heartbeats, whose lease has passed)."""
    abandoned = or_(
        and_(Delivery.worker_id.is_(None), Delivery.next_attempt_at <= now),
        and_(Delivery.worker_id.is_not(None), ~owner_alive()),
    )
    return and_(
        Delivery.issue_id == issue_id,
        text(UNFINISHED_DELIVERY),  # the partial index's own words (see models)
        or_(
            Delivery.status == DeliveryStatus.QUEUED,
            and_(Delivery.status == DeliveryStatus.DEFERRED, Delivery.next_attempt_at <= now),
            and_(Delivery.status == DeliveryStatus.SENDING, abandoned),
        ),
    )


def has_due(session: Session, issue_id: int, now: datetime) -> bool:
    """Whether any row of the issue could be claimed now (a look, nothing claimed)."""
    query = select(Delivery.id).where(_due(issue_id, now)).limit(1)
    return session.execute(query).first() is not None


def claim_batch(
    session: Session,
    issue_id: int,
    now: datetime,
    limit: int,
    worker_id: str,
) -> list[Claimed]:
    """Take up to limit due rows and mark them sending, this worker's. On PostgreSQL rows
    locked by another worker are skipped; on SQLite the caller holds BEGIN IMMEDIATE."""
    due = select(Delivery.id).where(_due(issue_id, now))
    due = due.order_by(Delivery.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(of=Delivery, skip_locked=True)
    # One statement: the rows chosen and marked together, their ids never sent back in a
    # list of parameters (RETURNING: SQLite 3.35, PostgreSQL).
    claim = (
        update(Delivery)
        .where(Delivery.id.in_(due.scalar_subquery()))
        .values(
            status=DeliveryStatus.SENDING,
            attempts=Delivery.attempts + 1,
            next_attempt_at=None,
            worker_id=worker_id,
        )
        .returning(Delivery.id, Delivery.subscriber_id, Delivery.email)
        .execution_options(synchronize_session=False)
    )
    rows = [Claimed(r.id, r.subscriber_id, r.email) for r in session.execute(claim)]
    rows.sort(key=lambda row: row.id)  # RETURNING keeps no order
    return rows


def record(
    session: Session,
    attempts: Sequence[Attempt],
    now: datetime,
    policy: RetryPolicy,
    worker_id: str,
    jitter: Callable[[], float] = random.random,
) -> dict[str, int]:
    """Store the outcomes of a batch of attempts of worker_id in one go; return counts by new
    status.

    A 250 is recorded whoever heard it: the server accepted the message. Any other result only
    on a row this worker still holds: once its heartbeat went stale another worker may have
    taken the row, and that worker's result, or its attempt in flight, is the one that counts."""
    sent = [a for a in attempts if a.result.outcome == DeliveryStatus.SENT]
    counts = record_sent(session.connection(), sent, now) if sent else {}
    if len(sent) < len(attempts):
        others = [a for a in attempts if a.result.outcome != DeliveryStatus.SENT]
        _record_unsent(session, others, now, policy, worker_id, jitter, counts)
    return counts


def record_sent(connection: Connection, sent: Sequence[Attempt], now: datetime) -> dict[str, int]:
    """Store attempts that all got a 250, in one executemany (see record)."""
    connection.execute(_RECORD_SENT, [_sent_values(a, now) for a in sent])
    return {DeliveryStatus.SENT: len(sent)}


# _RECORD_SENT's parameters that differ from row to row, in _per_row's order.
_PER_ROW = ("row_id", "reply", "at", "sent_message_id")


def sent_row(attempt: Attempt) -> tuple[int, str, str | None]:
    """A 250's row as it is stored: its id, the reply kept and the message's Message-ID."""
    return attempt.claimed.id, _stored_reply(attempt.result), attempt.message_id


def _per_row(attempt: Attempt, at: object) -> tuple[object, ...]:
    """_RECORD_SENT's values that differ from row to row, as _PER_ROW names them (at: the time
    as the writer binds it)."""
    row_id, reply, message_id = sent_row(attempt)
    return row_id, reply, at, message_id


def _sent_values(attempt: Attempt, at: object) -> dict[str, object]:
    return dict(zip(_PER_ROW, _per_row(attempt, at), strict=True))


@dataclass(frozen=True)
class DriverStatement:
    """A statement compiled once for a database, to run through its driver: the SQL, the
    parameters' order (None for a named paramstyle), how the driver is given the time `at`,
    and the statement's constant values converted by their columns' types."""

    sql: str
    order: Sequence[str] | None
    at: Callable[[Any], Any]
    constants: dict[str, Any]


def for_the_driver(statement: Any, dialect: Any, per_row: Collection[str]) -> DriverStatement:
    """statement compiled for dialect; per_row: its parameters that differ from row to row (no
    constants)."""
    compiled = statement.compile(dialect=dialect)
    processors = {
        name: bind.type.dialect_impl(dialect).bind_processor(dialect)
        for name, bind in ((n, compiled.binds[n]) for n in compiled.params)
    }
    at = processors.pop("at") or (lambda value: value)
    constants = {
        name: process(compiled.params[name]) if process else compiled.params[name]
        for name, process in processors.items()
        if name not in per_row
    }
    return DriverStatement(compiled.string, compiled.positiontup, at, constants)


class SentRowWriter:
    """record_sent in its own transaction, through the driver's connection: _RECORD_SENT
    compiled once for the database, its constant values and the time converted by the
    columns' own types, then one executemany and a commit. The recorder commits a couple of
    results at a time, a few thousand times a second, and SQLAlchemy's statement and
    transaction machinery cost it more than the database's work."""

    def __init__(self, connection: Connection) -> None:
        """connection: one with no transaction open whenever write() is called."""
        statement = for_the_driver(_RECORD_SENT, connection.dialect, _PER_ROW)
        self._sql, self._order, self._at = statement.sql, statement.order, statement.at
        constants = statement.constants
        # Each row's parameters: a copy of this template (a list in the statement's order, or
        # a dict for a named paramstyle) with the four values of the row put in their places.
        self._template: list[Any] | dict[str, Any]
        if self._order is None:
            self._template = {**constants, **dict.fromkeys(_PER_ROW)}
            self._places: tuple[Any, ...] = _PER_ROW
        else:
            self._template = [constants.get(name) for name in self._order]
            self._places = tuple(self._order.index(name) for name in _PER_ROW)
        self._begin = "BEGIN IMMEDIATE" if connection.dialect.name == "sqlite" else None
        self._connection = connection

    def write(self, sent: Sequence[Attempt], now: datetime) -> dict[str, int]:
        """Store attempts that all got a 250 and commit; rolled back if anything fails."""
        raw = self._connection.connection.driver_connection
        assert raw is not None
        at = self._at(now)
        template = self._template
        row_id, reply, when, message_id = self._places  # _PER_ROW's places
        rows: list[Any] = []
        for attempt in sent:
            row = template.copy()
            row[row_id], row[reply], row[when], row[message_id] = _per_row(attempt, at)
            rows.append(row)
        cursor = raw.cursor()
        try:
            if self._begin:
                cursor.execute(self._begin)  # SQLite's driver leaves BEGIN to us (db.py)
            cursor.executemany(self._sql, rows)
            raw.commit()
        except BaseException:
            raw.rollback()
            raise
        finally:
            cursor.close()
        return {DeliveryStatus.SENT: len(sent)}


def _stored_reply(result: SendResult) -> str:
    # PostgreSQL's text holds no NUL, which a server's reply or an exception may carry.
    return result.reply.replace("\x00", "\ufffd")[:2000]


def _record_unsent(
    session: Session,
    attempts: Sequence[Attempt],
    now: datetime,
    policy: RetryPolicy,
    worker_id: str,
    jitter: Callable[[], float],
    counts: dict[str, int],
) -> None:
    """Deferred (or failed once retries run out), failed, or uncertain: by the row's attempts
    and age; only the rows this worker still holds, locked until the commit (a claim skips
    locked rows on PostgreSQL; on SQLite the recorder's transaction holds the write lock)."""
    held = (
        select(Delivery.id, Delivery.attempts, Delivery.created_at)
        .where(
            Delivery.id.in_([a.claimed.id for a in attempts]),
            Delivery.status == DeliveryStatus.SENDING,
            Delivery.worker_id == worker_id,
        )
        .with_for_update()
    )
    rows = {r.id: r for r in session.execute(held)}
    updates = []
    for attempt in attempts:
        result = attempt.result
        if result.hard_bounce:  # the server's word on the address, whoever heard it
            suppress(
                session, attempt.claimed.email, SuppressionReason.HARD_BOUNCE, now, result.reply
            )
        row = rows.get(attempt.claimed.id)
        if row is None:
            continue  # taken back by another worker meanwhile: its result counts
        values = {
            "id": row.id,
            "last_reply": _stored_reply(result),
            "next_attempt_at": None,
            "attempts": row.attempts,
        }
        if result.sender_refused or result.server_unavailable:
            # The server refused the sender, or could not take mail, not this reader: the claim
            # is undone (its attempt uncounted), the row due again at once, for the next send.
            # (The send stops first: it never claims the row again.)
            values["attempts"] = attempts = max(row.attempts - 1, 0)
            values["next_attempt_at"] = now if attempts else None
            values["status"] = DeliveryStatus.DEFERRED if attempts else DeliveryStatus.QUEUED
            updates.append(values)
            counts[HELD_BACK] = counts.get(HELD_BACK, 0) + 1
            continue
        if result.outcome == DeliveryStatus.DEFERRED or (
            result.outcome == DeliveryStatus.UNCERTAIN and policy.retry_uncertain
        ):
            # The window ends retries: a first attempt (made after an outage longer than the
            # window, say) gets its retry whatever the send's age.
            too_old = row.attempts > 1 and now - row.created_at >= policy.max_age
            if row.attempts >= policy.max_attempts or too_old:
                status = DeliveryStatus.FAILED
            else:
                status = DeliveryStatus.DEFERRED
                values["next_attempt_at"] = policy.next_attempt(row.attempts, now, jitter())
        else:
            status = result.outcome  # failed, or uncertain left for a person to look at
        values["status"] = status
        updates.append(values)
        counts[status] = counts.get(status, 0) + 1
    if updates:
        session.execute(update(Delivery), updates)


def skip(session: Session, ids: Sequence[int], reason: str) -> None:
    if ids:
        session.execute(
            update(Delivery)
            .where(Delivery.id.in_(list(ids)))
            .values(status=DeliveryStatus.SKIPPED, last_reply=reason, next_attempt_at=None)
        )


def counts(session: Session, issue_id: int) -> dict[str, int]:
    rows = session.execute(
        select(Delivery.status, func.count())
        .where(Delivery.issue_id == issue_id)
        .group_by(Delivery.status)
    )
    return {status: count for status, count in rows}


@dataclass(frozen=True)
class Pending:
    """Where an issue's unfinished rows are: what a sender with nothing to do may say."""

    delivered: int = 0
    queued: int = 0
    being_sent: int = 0  # claimed by a worker whose heartbeat is fresh
    abandoned: int = 0  # claimed by a worker that stopped: taken back by the next pass
    deferred: int = 0
    next_retry_at: datetime | None = None

    @property
    def total(self) -> int:
        return self.queued + self.being_sent + self.abandoned + self.deferred


def pending(session: Session, issue_id: int) -> Pending:
    """The issue's rows that are delivered or not yet done, by where they stand."""
    alive = owner_alive()
    rows = session.execute(
        select(Delivery.status, alive, func.count(), func.min(Delivery.next_attempt_at))
        .where(Delivery.issue_id == issue_id)
        .group_by(Delivery.status, alive)
    ).all()
    found: dict[str, int] = {}
    next_retry_at = None
    for status, owned, count, earliest in rows:
        key = {
            DeliveryStatus.SENT: "delivered",
            DeliveryStatus.QUEUED: "queued",
            DeliveryStatus.DEFERRED: "deferred",
            DeliveryStatus.SENDING: "being_sent" if owned else "abandoned",
        }.get(status)
        if key:
            found[key] = found.get(key, 0) + count
        if status == DeliveryStatus.DEFERRED and earliest is not None:
            # Deferred rows come in two groups (their worker alive or not): the earliest of both.
            next_retry_at = earliest if next_retry_at is None else min(next_retry_at, earliest)
    return Pending(**found, next_retry_at=next_retry_at)
