"""Who is on which list: add, remove and list subscribers; stream a list's recipients in batches."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, Select, Text, case, cast, func, or_, select
from sqlalchemy.orm import Session

from digest.errors import NotFoundError
from subscribers.addresses import normalise_address
from subscribers.models import MailingList, Subscriber, Subscription, Suppression
from subscribers.states import SubscriberStatus, SubscriptionStatus

Joined = Literal["added", "confirmed", "already"]


@dataclass(frozen=True)
class RecipientRow:
    subscriber_id: int
    email: str
    name: str | None


def ensure_list(session: Session, slug: str, name: str) -> tuple[MailingList, bool]:
    """The list with this slug, created if missing; the flag says whether it was created."""
    found = session.scalar(select(MailingList).where(MailingList.slug == slug))
    if found is not None:
        if found.name != name:
            found.name = name
        return found, False
    created = MailingList(slug=slug, name=name)
    session.add(created)
    session.flush()
    return created, True


def get_list(session: Session, slug: str) -> MailingList:
    found = session.scalar(select(MailingList).where(MailingList.slug == slug))
    if found is None:
        raise NotFoundError(
            f"no mailing list {slug!r}", hint="lists come from config.yaml lists; run `digest run`"
        )
    return found


def add_subscriber(
    session: Session,
    mailing_list: MailingList,
    address: str,
    *,
    name: str | None,
    now: datetime,
    origin: str = "cli",
    confirmed: bool = True,
) -> tuple[Subscription, Joined]:
    """Subscribe address to the list: "added" (new, or back after unsubscribing), "confirmed"
    (was pending, and `confirmed` vouches for them now) or "already" (nothing changes)."""
    email = normalise_address(address)
    subscriber = session.scalar(select(Subscriber).where(Subscriber.email == email))
    if subscriber is None:
        subscriber = Subscriber(email=email, name=name, created_at=now)
        session.add(subscriber)
        session.flush()
    elif name and not subscriber.name:
        subscriber.name = name
    subscription = session.scalar(
        select(Subscription).where(
            Subscription.subscriber_id == subscriber.id, Subscription.list_id == mailing_list.id
        )
    )
    status = SubscriptionStatus.CONFIRMED if confirmed else SubscriptionStatus.PENDING
    if subscription is None:
        subscription = Subscription(
            subscriber_id=subscriber.id,
            list_id=mailing_list.id,
            status=status,
            origin=origin,
            created_at=now,
            confirmed_at=now if confirmed else None,
        )
        session.add(subscription)
        session.flush()
        return subscription, "added"
    if subscription.status == SubscriptionStatus.UNSUBSCRIBED:
        # Coming back is an explicit new act of the subscriber or an editor.
        subscription.status = status
        subscription.origin = origin
        subscription.confirmed_at = now if confirmed else None
        subscription.unsubscribed_at = None
        return subscription, "added"
    if subscription.status == SubscriptionStatus.PENDING and confirmed:
        # Whoever adds a reader as confirmed vouches for their consent, as an import does.
        subscription.status, subscription.confirmed_at = SubscriptionStatus.CONFIRMED, now
        return subscription, "confirmed"
    return subscription, "already"


def remove_subscriber(
    session: Session, mailing_list: MailingList, address: str, *, now: datetime
) -> Subscription:
    """Mark the subscription unsubscribed (kept as a record of consent withdrawn)."""
    email = normalise_address(address)
    subscription = session.scalar(
        select(Subscription)
        .join(Subscriber)
        .where(Subscriber.email == email, Subscription.list_id == mailing_list.id)
    )
    if subscription is None or subscription.status == SubscriptionStatus.UNSUBSCRIBED:
        raise NotFoundError(
            f"{email} is not subscribed to {mailing_list.slug!r}",
            hint=f"see who is: digest subscribers list --list {mailing_list.slug}",
        )
    subscription.status = SubscriptionStatus.UNSUBSCRIBED
    subscription.unsubscribed_at = now
    return subscription


def iter_subscriptions(
    session: Session, mailing_list: MailingList, *, status: SubscriptionStatus | None
) -> Iterator[tuple[Subscriber, Subscription]]:
    """The list's subscriptions in this status (all when None), with their subscribers. A reader
    who bounced, complained or was blocked counts as unsubscribed: no digest reaches them."""
    query = (
        select(Subscriber, Subscription)
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(Subscription.list_id == mailing_list.id)
        .order_by(Subscriber.id)
    )
    if status == SubscriptionStatus.UNSUBSCRIBED:
        query = query.where(
            or_(Subscription.status == status, Subscriber.status != SubscriberStatus.ACTIVE)
        )
    elif status is not None:
        query = query.where(
            Subscription.status == status, Subscriber.status == SubscriberStatus.ACTIVE
        )
    yield from session.execute(query)


def count_by_status(session: Session, list_id: int) -> dict[SubscriptionStatus, int]:
    """How many of the list's subscriptions are in each status, as iter_subscriptions counts."""
    status = case(
        (Subscriber.status != SubscriberStatus.ACTIVE, SubscriptionStatus.UNSUBSCRIBED.value),
        else_=Subscription.status,
    )
    counts = dict.fromkeys(SubscriptionStatus, 0)
    for value, count in grouped_counts(session, list_id, status):
        counts[SubscriptionStatus(value)] = count
    return counts


def grouped_counts(
    session: Session, list_id: int, key: ColumnElement[str]
) -> Iterator[tuple[str, int]]:
    """(key, how many) over the list's subscriptions joined to their subscribers, one query."""
    query = (
        select(key, func.count())
        .select_from(Subscription)
        .join(Subscriber, Subscription.subscriber_id == Subscriber.id)
        .where(Subscription.list_id == list_id)
        .group_by(key)
    )
    yield from session.execute(query)


@dataclass(frozen=True)
class Zones:
    """Which subscribers' time zones to take: these, and those without one if unzoned."""

    names: frozenset[str]
    unzoned: bool


def iter_recipient_batches(
    session: Session, list_id: int, batch_size: int = 500, zones: Zones | None = None
) -> Iterator[list[RecipientRow]]:
    """Confirmed, active subscribers of a list (only those in zones, if given), in id order,
    batch by batch (memory stays flat)."""
    after = 0
    while True:
        rows = session.execute(
            recipients(list_id, zones)
            .where(Subscriber.id > after)
            .order_by(Subscriber.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return
        yield [RecipientRow(r.id, r.email, r.name) for r in rows]
        after = rows[-1].id


def recipients(list_id: int, zones: Zones | None = None) -> Select[int, str, str | None]:
    """The query of a list's confirmed, active subscribers (only those in zones, if given):
    id, email and name, for the database to read whole (an INSERT … SELECT) or in batches."""
    in_zones = []
    if zones is not None:
        in_zone = Subscriber.timezone.in_(sorted(zones.names))
        in_zones = [or_(in_zone, Subscriber.timezone.is_(None)) if zones.unzoned else in_zone]
    return (
        select(Subscriber.id, Subscriber.email, Subscriber.name)
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(
            Subscription.list_id == list_id,
            Subscription.status == SubscriptionStatus.CONFIRMED,
            Subscriber.status == SubscriberStatus.ACTIVE,
            *in_zones,
        )
    )


def subscriber_zones(session: Session, list_id: int) -> set[str | None]:
    """The time zones the list's confirmed, active subscribers have set (None: not set)."""
    return set(
        session.scalars(
            select(Subscriber.timezone)
            .distinct()
            .join(Subscription, Subscription.subscriber_id == Subscriber.id)
            .where(
                Subscription.list_id == list_id,
                Subscription.status == SubscriptionStatus.CONFIRMED,
                Subscriber.status == SubscriberStatus.ACTIVE,
            )
        )
    )


def deliverable_ids(session: Session, list_id: int, subscriber_ids: list[int]) -> set[int]:
    """Those of these subscribers still confirmed and active on the list right now: checked
    just before their messages go out, so unsubscribes and bounces during a send count."""
    if not subscriber_ids:
        return set()
    return set(
        session.scalars(
            select(Subscriber.id)
            .join(Subscription, Subscription.subscriber_id == Subscriber.id)
            .where(
                Subscriber.id.in_(subscriber_ids),
                Subscription.list_id == list_id,
                Subscription.status == SubscriptionStatus.CONFIRMED,
                Subscriber.status == SubscriberStatus.ACTIVE,
            )
        )
    )


def topics_of(session: Session, subscriber_ids: list[int]) -> dict[int, list[str]]:
    """The topics chosen by those of these subscribers who chose any."""
    if not subscriber_ids:
        return {}
    rows = session.execute(
        select(Subscriber.id, Subscriber.topics).where(
            Subscriber.id.in_(subscriber_ids),
            # Most readers chose none: their "[]" is left in the database, not decoded here
            # (any other spelling of no topics is decoded, and dropped below).
            cast(Subscriber.topics, Text) != "[]",
        )
    )
    return {row.id: list(row.topics) for row in rows if row.topics}


@dataclass(frozen=True)
class PendingRow:
    subscription_id: int
    subscriber_id: int
    email: str
    name: str | None


def pending_batch(
    session: Session, list_id: int, emails: list[str] | None, *, after: int, limit: int = 200
) -> list[PendingRow]:
    """The next pending subscriptions of the list past subscription id AFTER, of active and
    unsuppressed readers (of these addresses only, when given): whom a confirmation mail may
    go to. A batch per call, so no transaction stays open while the mails go out."""
    only = [Subscriber.email.in_(emails)] if emails is not None else []
    rows = session.execute(
        select(Subscription.id, Subscriber.id, Subscriber.email, Subscriber.name)
        .join(Subscriber, Subscription.subscriber_id == Subscriber.id)
        .where(
            Subscription.list_id == list_id,
            Subscription.status == SubscriptionStatus.PENDING,
            Subscriber.status == SubscriberStatus.ACTIVE,
            ~select(Suppression.email).where(Suppression.email == Subscriber.email).exists(),
            Subscription.id > after,
            *only,
        )
        .order_by(Subscription.id)
        .limit(limit)
    ).all()
    return [PendingRow(*row) for row in rows]


def statuses_of(session: Session, list_id: int, emails: list[str]) -> dict[str, str]:
    """Each of these addresses' state on the list: its subscription's status, or the reader's
    own when they bounced, complained or were blocked; an address not on the list is absent."""
    return {
        email: subscription if subscriber == SubscriberStatus.ACTIVE else subscriber
        for email, subscription, subscriber in session.execute(
            select(Subscriber.email, Subscription.status, Subscriber.status)
            .join(Subscription, Subscription.subscriber_id == Subscriber.id)
            .where(Subscription.list_id == list_id, Subscriber.email.in_(emails))
        )
    }
