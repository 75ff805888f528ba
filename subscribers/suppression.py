"""The suppression list: addresses never mailed again (hard bounces, complaints, by hand)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from subscribers.models import Subscriber, Suppression

# What a suppression does to the subscriber's status.
_STATUS = {"hard_bounce": "bounced", "complaint": "complained", "manual": "blocked"}


def suppress(session: Session, email: str, reason: str, now: datetime, detail: str = "") -> bool:
    """Suppress the address (already normalised); False when it already was."""
    if reason not in _STATUS:
        raise ValueError(f"unknown suppression reason {reason!r}")
    session.execute(
        update(Subscriber).where(Subscriber.email == email).values(status=_STATUS[reason])
    )
    if session.scalar(select(Suppression.id).where(Suppression.email == email)) is not None:
        return False
    session.add(Suppression(email=email, reason=reason, detail=detail[:2000], created_at=now))
    session.flush()
    return True


def is_suppressed(session: Session, email: str) -> bool:
    return session.scalar(select(Suppression.id).where(Suppression.email == email)) is not None


def note_soft_bounce(session: Session, email: str, now: datetime) -> None:
    session.execute(
        update(Subscriber)
        .where(Subscriber.email == email)
        .values(soft_bounces=Subscriber.soft_bounces + 1, last_bounce_at=now)
    )
