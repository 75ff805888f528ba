"""What a reader does behind their own link: unsubscribe, change preferences, export, erase."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from subscribers.consent import consent_history, record_consent
from subscribers.models import (
    ConsentRecord,
    LeavingAnswer,
    MailingList,
    Subscriber,
    Subscription,
)
from subscribers.states import SubscriptionStatus


@dataclass(frozen=True)
class ListChoice:
    list_id: int
    slug: str
    name: str
    subscribed: bool  # confirmed (pending ones are not received yet, so not ticked)


@dataclass(frozen=True)
class Preferences:
    subscriber_id: int
    email: str
    name: str | None
    timezone: str | None
    topics: tuple[str, ...]
    lists: tuple[ListChoice, ...]


def unsubscribe(
    session: Session,
    subscriber_id: int,
    list_id: int,
    *,
    now: datetime,
    method: str,
    wording: str,
    ip_address: str | None,
) -> bool:
    """Unsubscribe from one list at once (a send not yet at this address skips it); False when
    there was nothing to do (already unsubscribed, or no such subscription)."""
    subscription = session.scalar(
        select(Subscription).where(
            Subscription.subscriber_id == subscriber_id, Subscription.list_id == list_id
        )
    )
    if subscription is None or subscription.status == SubscriptionStatus.UNSUBSCRIBED:
        return False
    subscription.status, subscription.unsubscribed_at = SubscriptionStatus.UNSUBSCRIBED, now
    record_consent(
        session,
        subscriber_id=subscriber_id,
        list_id=list_id,
        action="unsubscribe",
        method=method,
        now=now,
        wording=wording,
        ip_address=ip_address,
    )
    return True


def preferences_of(
    session: Session, subscriber_id: int, offered: Collection[str]
) -> Preferences | None:
    """The reader's choices, over the lists on offer (configured slugs) and any they are on."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        return None
    statuses = {
        list_id: status
        for list_id, status in session.execute(
            select(Subscription.list_id, Subscription.status).where(
                Subscription.subscriber_id == subscriber_id
            )
        )
    }
    lists = session.scalars(select(MailingList).order_by(MailingList.id)).all()
    return Preferences(
        subscriber_id=subscriber.id,
        email=subscriber.email,
        name=subscriber.name,
        timezone=subscriber.timezone,
        topics=tuple(subscriber.topics or ()),
        lists=tuple(
            ListChoice(m.id, m.slug, m.name, statuses.get(m.id) == SubscriptionStatus.CONFIRMED)
            for m in lists
            if m.slug in offered or m.id in statuses
        ),
    )


def update_preferences(
    session: Session,
    subscriber_id: int,
    *,
    name: str | None,
    timezone: str | None,
    topics: Sequence[str],
    list_ids: Collection[int],
    offered_list_ids: Collection[int],
    now: datetime,
    wording: str,
    ip_address: str | None,
) -> None:
    """Store the reader's choices. A list on offer ticked here is confirmed at once: the link
    that opened this page went to the address alone, which is what a confirmation mail proves.
    A list no longer on offer ticked stays as it is (kept, never joined). A list unticked is
    unsubscribed."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        return
    subscriber.name, subscriber.timezone, subscriber.topics = name, timezone, list(topics)
    existing = {
        s.list_id: s
        for s in session.scalars(
            select(Subscription).where(Subscription.subscriber_id == subscriber_id)
        )
    }
    for list_id in sorted(set(offered_list_ids) | set(existing)):
        subscription = existing.get(list_id)
        ticked = list_id in list_ids
        if (
            ticked
            and list_id in offered_list_ids
            and (subscription is None or subscription.status != SubscriptionStatus.CONFIRMED)
        ):
            if subscription is None:
                subscription = Subscription(
                    subscriber_id=subscriber_id, list_id=list_id, origin="form", created_at=now
                )
                session.add(subscription)
            subscription.status, subscription.confirmed_at = SubscriptionStatus.CONFIRMED, now
            subscription.unsubscribed_at = None
            _consent(session, subscriber_id, list_id, "subscribe", now, wording, ip_address)
        elif (
            not ticked
            and subscription is not None
            and subscription.status != SubscriptionStatus.UNSUBSCRIBED
        ):
            unsubscribe(
                session,
                subscriber_id,
                list_id,
                now=now,
                method="form",
                wording=wording,
                ip_address=ip_address,
            )
    _consent(session, subscriber_id, None, "preferences", now, wording, ip_address)


def leave_everything(
    session: Session, subscriber_id: int, *, now: datetime, wording: str, ip_address: str | None
) -> int:
    """Unsubscribe from every list; how many subscriptions that ended."""
    list_ids = session.scalars(
        select(Subscription.list_id).where(
            Subscription.subscriber_id == subscriber_id,
            Subscription.status != SubscriptionStatus.UNSUBSCRIBED,
        )
    ).all()
    for list_id in list_ids:
        unsubscribe(
            session,
            subscriber_id,
            list_id,
            now=now,
            method="form",
            wording=wording,
            ip_address=ip_address,
        )
    return len(list_ids)


def export_data(session: Session, subscriber_id: int) -> dict[str, Any] | None:
    """Everything subscribers/ holds about a reader, as JSON-ready values (GDPR art. 15/20)."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        return None
    rows = session.execute(
        select(Subscription, MailingList.slug)
        .join(MailingList, MailingList.id == Subscription.list_id)
        .where(Subscription.subscriber_id == subscriber_id)
        .order_by(Subscription.id)
    ).all()
    slugs = {i: slug for i, slug in session.execute(select(MailingList.id, MailingList.slug))}
    return {
        "subscriber": {
            "email": subscriber.email,
            "name": subscriber.name,
            "status": subscriber.status,
            "timezone": subscriber.timezone,
            "topics": list(subscriber.topics or ()),
            "created_at": _iso(subscriber.created_at),
        },
        "subscriptions": [
            {
                "list": slug,
                "status": s.status,
                "origin": s.origin,
                "created_at": _iso(s.created_at),
                "confirmed_at": _iso(s.confirmed_at),
                "unsubscribed_at": _iso(s.unsubscribed_at),
                "confirmation_sent_at": _iso(s.confirmation_sent_at),
            }
            for s, slug in rows
        ],
        "consent_records": [
            _consent_row(record, slugs) for record in consent_history(session, subscriber_id)
        ],
        "leaving_answers": [
            {
                "list": slugs.get(answer.list_id),
                "left_at": _iso(answer.left_at),
                "reason": answer.reason,
                "detail": answer.detail,
                "answered_at": _iso(answer.answered_at),
            }
            for answer in session.scalars(
                select(LeavingAnswer)
                .where(LeavingAnswer.subscriber_id == subscriber_id)
                .order_by(LeavingAnswer.id)
            )
        ],
    }


def erase(session: Session, subscriber_id: int) -> bool:
    """Forget the reader: the subscriber row and, through the database's ON DELETE CASCADE,
    their subscriptions, consent records and deliveries. A suppression (a complaint or a hard
    bounce) is about the address, not the reader, and stays: it is what keeps the address from
    being mailed again."""
    deleted = session.execute(delete(Subscriber).where(Subscriber.id == subscriber_id))
    return bool(getattr(deleted, "rowcount", 0))


def _consent(
    session: Session,
    subscriber_id: int,
    list_id: int | None,
    action: str,
    now: datetime,
    wording: str,
    ip_address: str | None,
) -> None:
    record_consent(
        session,
        subscriber_id=subscriber_id,
        list_id=list_id,
        action=action,
        method="form",
        now=now,
        wording=wording,
        ip_address=ip_address,
    )


def _consent_row(record: ConsentRecord, slugs: dict[int, str]) -> dict[str, Any]:
    return {
        "action": record.action,
        "method": record.method,
        "list": slugs.get(record.list_id) if record.list_id is not None else None,
        "wording": record.wording,
        "ip_address": record.ip_address,
        "at": _iso(record.created_at),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
