"""One confirmation mail per pending subscription per resend window, whatever runs at once."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, or_, update
from sqlalchemy.orm import Session

from subscribers.models import Subscription
from subscribers.states import SubscriptionStatus


@dataclass(frozen=True)
class MailClaim:
    """A subscription whose confirmation mail this request may send, and the time its last one
    went out before (put back if this one is not sent)."""

    subscription_id: int
    previous_sent_at: datetime | None


def claim_confirmation_mail(
    session: Session, subscription_id: int, *, now: datetime, resend_after: timedelta
) -> bool:
    """Mark the pending subscription's confirmation mail as going out now, unless one went out
    within the window: True when this request is the one to send it.

    One conditional UPDATE, not a read then a write: under READ COMMITTED two requests that
    both read an old time would both send; here the second waits for the first's row lock,
    then finds the new time and claims nothing."""
    result = session.execute(
        update(Subscription)
        .where(
            Subscription.id == subscription_id,
            Subscription.status == SubscriptionStatus.PENDING,
            or_(
                Subscription.confirmation_sent_at.is_(None),
                Subscription.confirmation_sent_at <= now - resend_after,
            ),
        )
        .values(confirmation_sent_at=now)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def release_confirmation_mail(
    session: Session, claims: Iterable[MailClaim], *, sent_at: datetime
) -> None:
    """The mail claimed at sent_at did not go: put each time back, so the reader may ask again at
    once, unless a newer request has claimed the subscription since (its time stays)."""
    for claim in claims:
        session.execute(
            update(Subscription)
            .where(
                Subscription.id == claim.subscription_id,
                Subscription.confirmation_sent_at == sent_at,
            )
            .values(confirmation_sent_at=claim.previous_sent_at)
            .execution_options(synchronize_session=False)
        )
