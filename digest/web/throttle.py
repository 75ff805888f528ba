"""Sign-in throttling: too many failures lock the account, and separately the client, for a while.

Counted in the database, so every `digest serve` process sharing it sees the same counts. An
attempt is counted as a failure before its password is checked, and given back if it succeeds:
a burst of simultaneous guesses cannot all slip in before the first of them is recorded.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from digest import db
from digest.config import WebSettings
from digest.errors import StorageError
from digest.models import SignInThrottle
from subscribers.client_network import client_network


@dataclass(frozen=True)
class Rules:
    failures: int  # failures allowed within the window; the last of them starts the lock
    window: timedelta
    lock: timedelta

    @classmethod
    def of(cls, web: WebSettings) -> Rules:
        return cls(
            failures=web.sign_in_failures,
            window=timedelta(minutes=web.sign_in_window_minutes),
            lock=timedelta(minutes=web.sign_in_lock_minutes),
        )


@dataclass(frozen=True)
class Attempt:
    """The keys one sign-in is counted under: the username as typed, and the client."""

    account: str
    client: str

    @classmethod
    def of(cls, username: str, client_host: str | None) -> Attempt:
        return cls(_key("account", username), _key("client", client_network(client_host)))

    @property
    def keys(self) -> list[str]:
        return sorted({self.account, self.client})  # one order everywhere: no deadlock


def begin(
    sessions: sessionmaker[Session], rules: Rules, attempt: Attempt, now: datetime
) -> datetime | None:
    """Count this attempt as a failure and return None; or, while its account or client is
    locked, count nothing and return when the lock ends (the password is then not checked)."""
    _purge(sessions, now)
    with db.claim_transaction(sessions) as session:
        rows = _locked_rows(session, attempt.keys, now, rules)
        for row in rows:
            if row.expires_at <= now:  # the window is over or the lock has ended: start again
                row.failures, row.window_started_at, row.locked_until = 0, now, None
        locks = [row.locked_until for row in rows if row.locked_until is not None]
        if locks:
            return max(locks)
        for row in rows:
            row.failures += 1
            if row.failures >= rules.failures:
                row.locked_until = now + rules.lock
            _set_expiry(row, rules)
    return None


def succeeded(sessions: sessionmaker[Session], rules: Rules, attempt: Attempt) -> None:
    """The password was right: the account's failures are cleared, and the client's count no
    longer holds this attempt (its other failures stay: a success of one account does not
    buy more guesses at another)."""
    with db.claim_transaction(sessions) as session:
        session.execute(delete(SignInThrottle).where(SignInThrottle.key == attempt.account))
        client = session.scalar(
            select(SignInThrottle).where(SignInThrottle.key == attempt.client).with_for_update()
        )
        if client is None:
            return
        client.failures = max(client.failures - 1, 0)
        if client.failures < rules.failures:
            client.locked_until = None
        _set_expiry(client, rules)


def retry_after_seconds(locked_until: datetime, now: datetime) -> int:
    return max(math.ceil((locked_until - now).total_seconds()), 1)


def _purge(sessions: sessionmaker[Session], now: datetime) -> None:
    """Forget the rows that mean nothing any more. In a transaction of its own that never
    waits (SKIP LOCKED): purging inside an attempt's transaction could deadlock with another."""
    expired = (
        select(SignInThrottle.key)
        .where(SignInThrottle.expires_at <= now)
        .with_for_update(skip_locked=True)
    )
    with db.claim_transaction(sessions) as session:
        session.execute(delete(SignInThrottle).where(SignInThrottle.key.in_(expired)))


def _locked_rows(
    session: Session, keys: Sequence[str], now: datetime, rules: Rules
) -> list[SignInThrottle]:
    """The rows of these keys, created when missing and locked until the transaction ends
    (FOR UPDATE on PostgreSQL; on SQLite the claim transaction holds the write lock)."""
    insert = db.dialect_insert(session)
    # A new row outlives its window's start, so no purge takes it before it is locked here.
    fresh = [
        {"key": key, "failures": 0, "window_started_at": now, "expires_at": now + rules.window}
        for key in keys
    ]
    for _ in range(3):
        session.execute(
            insert(SignInThrottle).values(fresh).on_conflict_do_nothing(index_elements=["key"])
        )
        rows = list(
            session.scalars(
                select(SignInThrottle)
                .where(SignInThrottle.key.in_(keys))
                .order_by(SignInThrottle.key)
                .with_for_update()
            )
        )
        # Another process's purge may take an expired row between the two statements: the
        # next pass makes it afresh.
        if len(rows) == len(keys):
            return rows
    raise StorageError("sign-in: the throttle's rows kept vanishing while being read")


def _set_expiry(row: SignInThrottle, rules: Rules) -> None:
    # A lock outlasts the window it came from; once it ends, the count starts again from zero.
    row.expires_at = (
        row.locked_until if row.locked_until is not None else row.window_started_at + rules.window
    )


def _key(kind: str, value: str) -> str:
    return hashlib.sha256(f"{kind}\0{value}".encode()).hexdigest()
