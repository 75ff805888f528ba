"""Editors' sessions kept in the database, so that signing out ends one in every process."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from digest import db
from digest.models import EditorSession

TOKEN_BYTES = 32


def open_session(
    sessions: sessionmaker[Session],
    username: str,
    now: datetime,
    lifetime: timedelta,
    replaces: str | None = None,
) -> str:
    """A new session for username; returns its token, for the signed cookie only.

    The session it replaces (the cookie's previous one) ends, and expired ones are purged."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    # SKIP LOCKED: sign-ins purging at once never wait for each other's rows (nor deadlock).
    expired = (
        select(EditorSession.id)
        .where(EditorSession.expires_at <= now)
        .with_for_update(skip_locked=True)
    )
    with db.transaction(sessions) as session:
        # Writes first, no read: SQLite's deferred BEGIN then waits for the lock, never fails.
        session.execute(delete(EditorSession).where(EditorSession.id.in_(expired)))
        if replaces is not None:
            session.execute(delete(EditorSession).where(EditorSession.id == _id(replaces)))
        session.add(
            EditorSession(
                id=_id(token), username=username, created_at=now, expires_at=now + lifetime
            )
        )
    return token


def session_editor(
    sessions: sessionmaker[Session], token: str, now: datetime, lifetime: timedelta
) -> str | None:
    """The username of this token's session while it lasts.

    lifetime is today's setting: shortening it ends older sessions at once."""
    with sessions() as session:
        row = session.get(EditorSession, _id(token))
    if row is None or row.expires_at <= now or row.created_at + lifetime <= now:
        return None
    return row.username


def close_session(sessions: sessionmaker[Session], token: str) -> None:
    with db.transaction(sessions) as session:
        session.execute(delete(EditorSession).where(EditorSession.id == _id(token)))


def _id(token: str) -> str:
    # Only the hash is stored: a copy of the table (a backup, a leak) holds no working cookie.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
