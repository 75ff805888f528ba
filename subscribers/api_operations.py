"""What the REST API does to subscribers and subscriptions, under the rules every path obeys."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from subscribers import preferences
from subscribers.addresses import InvalidAddress, normalise_address
from subscribers.api_models import (
    SubscriberOut,
    SubscriberPage,
    SubscriberUpdate,
    SubscriptionCreate,
    SubscriptionOut,
    SubscriptionPage,
)
from subscribers.consent import record_consent
from subscribers.fields import check_wording, clean_name, clean_timezone, clean_topics
from subscribers.models import MailingList, Subscriber, Subscription, Suppression
from subscribers.states import SubscriberStatus, SubscriptionStatus


class Refused(Exception):
    """The request cannot be done as asked; status is the HTTP status that says why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def create_subscription(
    session: Session, body: SubscriptionCreate, *, offered: frozenset[str], now: datetime
) -> tuple[SubscriptionOut, bool]:
    """Subscribe the reader (pending unless body.confirmed, which also confirms a pending
    subscription); the flag says whether anything changed. Suppressed addresses, blocked
    readers and, without body.resubscribe, those who unsubscribed before are refused."""
    email = normalise_address(body.email)
    name = clean_name(body.name)
    topics = clean_topics(body.topics, offered)
    timezone = clean_timezone(body.timezone)
    wording = check_wording(body.consent)
    mailing_list = session.scalar(select(MailingList).where(MailingList.slug == body.list_slug))
    if mailing_list is None:
        raise Refused(404, f"no mailing list {body.list_slug!r}")
    suppression = session.scalar(select(Suppression).where(Suppression.email == email))
    if suppression is not None:
        raise Refused(
            409,
            f"{email} is suppressed ({suppression.reason.replace('_', ' ')}): "
            "it is never subscribed again",
        )
    subscriber = session.scalar(select(Subscriber).where(Subscriber.email == email))
    if subscriber is None:
        subscriber = Subscriber(
            email=email, name=name, topics=topics, timezone=timezone, created_at=now
        )
        session.add(subscriber)
        session.flush()
    elif subscriber.status != SubscriberStatus.ACTIVE:
        raise Refused(409, f"{email} is {subscriber.status}: it cannot be subscribed")
    # An existing reader's name and choices are theirs to change (preferences), not a form's.
    subscription = session.scalar(
        select(Subscription).where(
            Subscription.subscriber_id == subscriber.id, Subscription.list_id == mailing_list.id
        )
    )
    status = SubscriptionStatus.CONFIRMED if body.confirmed else SubscriptionStatus.PENDING
    if subscription is None:
        subscription = Subscription(
            subscriber_id=subscriber.id, list_id=mailing_list.id, origin="api", created_at=now
        )
        session.add(subscription)
    elif subscription.status == SubscriptionStatus.UNSUBSCRIBED and not body.resubscribe:
        raise Refused(
            409,
            f"{email} unsubscribed from {mailing_list.slug!r}; subscribe them again only at "
            "their new request: pass resubscribe: true with the consent they gave",
        )
    elif subscription.status == SubscriptionStatus.CONFIRMED or (
        subscription.status == SubscriptionStatus.PENDING and not body.confirmed
    ):
        return subscription_out(subscription, email, mailing_list.slug), False
    elif subscription.status == SubscriptionStatus.UNSUBSCRIBED:
        subscription.origin = "api"
    # else pending, and the site says the reader confirmed: it came about as before.
    subscription.status = status
    subscription.confirmed_at = now if body.confirmed else None
    subscription.unsubscribed_at = None
    session.flush()
    record_consent(
        session,
        subscriber_id=subscriber.id,
        list_id=mailing_list.id,
        action="subscribe",
        method="api",
        wording=wording,
        now=now,
    )
    if body.confirmed:
        record_consent(
            session,
            subscriber_id=subscriber.id,
            list_id=mailing_list.id,
            action="confirm",
            method="api",
            wording="confirmed by the site calling the API",
            now=now,
        )
    return subscription_out(subscription, email, mailing_list.slug), True


def subscription_out(subscription: Subscription, email: str, slug: str) -> SubscriptionOut:
    return SubscriptionOut(
        id=subscription.id,
        subscriber_id=subscription.subscriber_id,
        email=email,
        list=slug,
        status=subscription.status,
        origin=subscription.origin,
        created_at=subscription.created_at,
        confirmed_at=subscription.confirmed_at,
        unsubscribed_at=subscription.unsubscribed_at,
        confirmation_sent_at=subscription.confirmation_sent_at,
    )


def _subscriptions_query() -> Select[Subscription, str, str]:
    return (
        select(Subscription, Subscriber.email, MailingList.slug)
        .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
        .join(MailingList, MailingList.id == Subscription.list_id)
    )


def get_subscription(session: Session, subscription_id: int) -> SubscriptionOut:
    row = session.execute(
        _subscriptions_query().where(Subscription.id == subscription_id)
    ).one_or_none()
    if row is None:
        raise Refused(404, f"no subscription {subscription_id}")
    return subscription_out(*row)


def list_subscriptions(
    session: Session,
    *,
    list_slug: str | None,
    status: SubscriptionStatus | None,
    after: int,
    limit: int,
) -> SubscriptionPage:
    query = _subscriptions_query().where(Subscription.id > after)
    if list_slug is not None:
        query = query.where(MailingList.slug == list_slug)
    if status is not None:
        query = query.where(Subscription.status == status)
    rows = session.execute(query.order_by(Subscription.id).limit(limit)).all()
    items = [subscription_out(*row) for row in rows]
    return SubscriptionPage(items=items, next_after=items[-1].id if len(items) == limit else None)


def unsubscribe(session: Session, subscription_id: int, *, now: datetime) -> SubscriptionOut:
    """End the subscription (kept as the record of consent withdrawn); twice is the same."""
    row = session.execute(
        _subscriptions_query().where(Subscription.id == subscription_id)
    ).one_or_none()
    if row is None:
        raise Refused(404, f"no subscription {subscription_id}")
    subscription = row[0]
    preferences.unsubscribe(
        session,
        subscription.subscriber_id,
        subscription.list_id,
        now=now,
        method="api",
        wording="",
        ip_address=None,
    )
    session.flush()
    return subscription_out(*row)


def _subscribers_out(session: Session, subscribers: list[Subscriber]) -> list[SubscriberOut]:
    by_subscriber: dict[int, list[SubscriptionOut]] = defaultdict(list)
    if subscribers:
        rows = session.execute(
            _subscriptions_query()
            .where(Subscription.subscriber_id.in_([s.id for s in subscribers]))
            .order_by(Subscription.id)
        )
        for row in rows:
            by_subscriber[row[0].subscriber_id].append(subscription_out(*row))
    return [
        SubscriberOut(
            id=s.id,
            email=s.email,
            name=s.name,
            status=s.status,
            topics=list(s.topics or []),
            timezone=s.timezone,
            created_at=s.created_at,
            subscriptions=by_subscriber[s.id],
        )
        for s in subscribers
    ]


def _subscriber(session: Session, subscriber_id: int) -> Subscriber:
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise Refused(404, f"no subscriber {subscriber_id}")
    return subscriber


def get_subscriber(session: Session, subscriber_id: int) -> SubscriberOut:
    return _subscribers_out(session, [_subscriber(session, subscriber_id)])[0]


def list_subscribers(
    session: Session, *, email: str | None, after: int, limit: int
) -> SubscriberPage:
    query = select(Subscriber).where(Subscriber.id > after)
    if email is not None:
        try:
            query = query.where(Subscriber.email == normalise_address(email))
        except InvalidAddress:
            return SubscriberPage(items=[], next_after=None)  # no one has such an address
    found = list(session.scalars(query.order_by(Subscriber.id).limit(limit)))
    return SubscriberPage(
        items=_subscribers_out(session, found),
        next_after=found[-1].id if len(found) == limit else None,
    )


def update_subscriber(
    session: Session,
    subscriber_id: int,
    body: SubscriberUpdate,
    *,
    offered: frozenset[str],
    now: datetime,
) -> SubscriberOut:
    """Change the fields the body names; the change is recorded as the reader's preference."""
    subscriber = _subscriber(session, subscriber_id)
    changed: list[str] = []
    if "name" in body.model_fields_set:
        subscriber.name = clean_name(body.name)
        changed.append(f"name: {subscriber.name or '(none)'}")
    if "topics" in body.model_fields_set:
        subscriber.topics = clean_topics(body.topics or [], offered)
        changed.append(f"topics: {', '.join(subscriber.topics) or '(all)'}")
    if "timezone" in body.model_fields_set:
        subscriber.timezone = clean_timezone(body.timezone)
        changed.append(f"timezone: {subscriber.timezone or '(the list’s)'}")
    if changed:
        record_consent(
            session,
            subscriber_id=subscriber.id,
            list_id=None,
            action="preferences",
            method="api",
            wording="; ".join(changed),
            now=now,
        )
        session.flush()
    return _subscribers_out(session, [subscriber])[0]


def erase_subscriber(session: Session, subscriber_id: int) -> None:
    """Delete the reader and, through the database's cascades, their subscriptions, consent
    records and deliveries. A suppression of the address stays: it holds no more than the
    address, and it is what keeps them from being mailed again."""
    _subscriber(session, subscriber_id)
    session.expunge_all()
    preferences.erase(session, subscriber_id)
