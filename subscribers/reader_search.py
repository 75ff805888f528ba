"""A list's readers for its admins: search by address or name, filter by state, page by page."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select
from sqlalchemy.orm import Session

from subscribers.membership import grouped_counts
from subscribers.models import Subscriber, Subscription, Suppression
from subscribers.states import ReaderState, SubscriberStatus, SubscriptionStatus

PAGE_SIZE = 50
QUERY_MAX = 320  # an address's longest; a longer search cannot match one


@dataclass(frozen=True)
class ReaderRow:
    subscription_id: int
    subscriber_id: int
    email: str
    name: str | None
    state: ReaderState
    joined_at: datetime
    confirmed_at: datetime | None


@dataclass(frozen=True)
class ReaderPage:
    rows: list[ReaderRow]
    # The subscription id to start the next page after; None on the last page.
    next_after: int | None


def _suppressed() -> ColumnElement[bool]:
    return or_(
        Subscriber.status != SubscriberStatus.ACTIVE,
        select(Suppression.id).where(Suppression.email == Subscriber.email).exists(),
    )


def search_readers(
    session: Session,
    list_id: int,
    *,
    query: str = "",
    state: ReaderState | None = None,
    after: int = 0,
    page_size: int = PAGE_SIZE,
) -> ReaderPage:
    """One page of the list's readers past subscription id AFTER whose address or name holds
    QUERY (any case), in STATE when given. Keyset pages: each costs the same on a list of
    100,000 readers as on one of ten."""
    suppressed = _suppressed()
    shown_state = case((suppressed, ReaderState.SUPPRESSED.value), else_=Subscription.status)
    conditions: list[ColumnElement[bool]] = [
        Subscription.list_id == list_id,
        Subscription.id > after,
    ]
    needle = query.strip().lower()[:QUERY_MAX]
    if needle:
        conditions.append(
            or_(
                Subscriber.email.contains(needle, autoescape=True),
                func.lower(Subscriber.name).contains(needle, autoescape=True),
            )
        )
    if state == ReaderState.SUPPRESSED:
        conditions.append(suppressed)
    elif state is not None:
        conditions.append(and_(not_(suppressed), Subscription.status == state.value))
    found = session.execute(
        select(
            Subscription.id,
            Subscriber.id,
            Subscriber.email,
            Subscriber.name,
            shown_state,
            Subscription.created_at,
            Subscription.confirmed_at,
        )
        .join(Subscriber, Subscription.subscriber_id == Subscriber.id)
        .where(*conditions)
        .order_by(Subscription.id)
        .limit(page_size + 1)
    ).all()
    rows = [
        ReaderRow(sid, rid, email, name, ReaderState(shown), joined, confirmed)
        for sid, rid, email, name, shown, joined, confirmed in found[:page_size]
    ]
    more = len(found) > page_size
    return ReaderPage(rows, rows[-1].subscription_id if more and rows else None)


def count_by_state(session: Session, list_id: int) -> dict[ReaderState, int]:
    """How many of the list's readers are in each state (one grouped count)."""
    shown_state = case((_suppressed(), ReaderState.SUPPRESSED.value), else_=Subscription.status)
    counts = dict.fromkeys(ReaderState, 0)
    for value, count in grouped_counts(session, list_id, shown_state):
        counts[ReaderState(value)] = count
    return counts


def subscription_of(session: Session, list_id: int, subscriber_id: int) -> Subscription | None:
    """The reader's subscription to this list, with its subscriber; None when not on it."""
    return session.scalar(
        select(Subscription).where(
            Subscription.list_id == list_id, Subscription.subscriber_id == subscriber_id
        )
    )


def state_of(session: Session, subscription: Subscription) -> ReaderState:
    subscriber = subscription.subscriber
    if subscriber.status != SubscriberStatus.ACTIVE or session.scalar(
        select(Suppression.id).where(Suppression.email == subscriber.email)
    ):
        return ReaderState.SUPPRESSED
    return ReaderState(SubscriptionStatus(subscription.status).value)
