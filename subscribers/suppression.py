"""The suppression list: addresses never mailed again (hard bounces, complaints, by hand)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from digest.errors import DigestError, NotFoundError
from subscribers.models import Subscriber, Suppression
from subscribers.states import SubscriberStatus, SuppressionReason

# What a suppression does to the subscriber's status.
_STATUS = {
    SuppressionReason.HARD_BOUNCE: SubscriberStatus.BOUNCED,
    SuppressionReason.COMPLAINT: SubscriberStatus.COMPLAINED,
    SuppressionReason.MANUAL: SubscriberStatus.BLOCKED,
}


def suppress(
    session: Session, email: str, reason: SuppressionReason, now: datetime, detail: str = ""
) -> bool:
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


def lift_manual_suppression(session: Session, email: str) -> None:
    """Remove a suppression made by hand (bounces and complaints are the mailbox's own word and
    stay); a subscriber blocked by it becomes active again, their subscriptions as they were."""
    found = session.scalar(select(Suppression).where(Suppression.email == email))
    if found is None:
        raise NotFoundError(f"{email} is not suppressed", hint="nothing to lift")
    if found.reason != SuppressionReason.MANUAL:
        raise DigestError(
            f"{email} is suppressed for {found.reason.replace('_', ' ')}, not by hand",
            hint="only manual suppressions can be lifted; the mailbox itself refused mail",
        )
    session.delete(found)
    session.execute(
        update(Subscriber)
        .where(Subscriber.email == email, Subscriber.status == SubscriberStatus.BLOCKED)
        .values(status=SubscriberStatus.ACTIVE)
    )
