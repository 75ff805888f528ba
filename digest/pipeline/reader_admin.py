"""What a list's admins do to one reader: their history, a confirmation again, a suppression
by hand and its lifting, and the list's CSV."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from digest import db
from digest.errors import NotFoundError
from digest.models import Delivery, Issue
from digest.pipeline.confirming import ResendReport, resend_confirmations
from digest.pipeline.runtime import Runtime
from subscribers import membership, reader_search, suppression
from subscribers.consent import consent_history
from subscribers.csv_export import export_csv
from subscribers.models import MailingList, Subscription, Suppression
from subscribers.states import ReaderState, SuppressionReason

DELIVERIES_SHOWN = 50


@dataclass(frozen=True)
class ConsentLine:
    at: datetime
    list_slug: str | None
    action: str
    method: str
    wording: str


@dataclass(frozen=True)
class DeliveryLine:
    issue_number: int
    subject: str
    status: str
    attempts: int
    sent_at: datetime | None
    last_reply: str | None


@dataclass(frozen=True)
class ReaderHistory:
    subscriber_id: int
    email: str
    name: str | None
    state: ReaderState
    origin: str
    joined_at: datetime
    confirmed_at: datetime | None
    unsubscribed_at: datetime | None
    confirmation_sent_at: datetime | None
    soft_bounces: int
    last_bounce_at: datetime | None
    # Why the address is suppressed ("hard_bounce", "complaint", "manual"), with its detail.
    suppression: tuple[str, str, datetime] | None
    consent: list[ConsentLine]
    # This list's issues sent to the reader, newest first (at most DELIVERIES_SHOWN).
    deliveries: list[DeliveryLine]

    @property
    def manually_suppressed(self) -> bool:
        return self.suppression is not None and self.suppression[0] == SuppressionReason.MANUAL


def reader_history(rt: Runtime, slug: str, subscriber_id: int) -> ReaderHistory:
    """One reader of the list, with their consent records, deliveries and bounces."""
    with rt.sessions() as session:
        mailing_list = membership.get_list(session, slug)
        subscription = _subscription(session, mailing_list, subscriber_id)
        subscriber = subscription.subscriber
        suppressed = session.scalar(
            select(Suppression).where(Suppression.email == subscriber.email)
        )
        slugs = {i: slug for i, slug in session.execute(select(MailingList.id, MailingList.slug))}
        deliveries = session.execute(
            select(Delivery, Issue.number, Issue.subject)
            .join(Issue, Delivery.issue_id == Issue.id)
            .where(Delivery.subscriber_id == subscriber_id, Issue.list_id == mailing_list.id)
            .order_by(Issue.number.desc())
            .limit(DELIVERIES_SHOWN)
        ).all()
        return ReaderHistory(
            subscriber_id=subscriber.id,
            email=subscriber.email,
            name=subscriber.name,
            state=reader_search.state_of(session, subscription),
            origin=subscription.origin,
            joined_at=subscription.created_at,
            confirmed_at=subscription.confirmed_at,
            unsubscribed_at=subscription.unsubscribed_at,
            confirmation_sent_at=subscription.confirmation_sent_at,
            soft_bounces=subscriber.soft_bounces,
            last_bounce_at=subscriber.last_bounce_at,
            suppression=None
            if suppressed is None
            else (suppressed.reason, suppressed.detail or "", suppressed.created_at),
            consent=[
                ConsentLine(
                    r.created_at,
                    None if r.list_id is None else slugs.get(r.list_id),
                    r.action,
                    r.method,
                    r.wording,
                )
                for r in consent_history(session, subscriber.id)
            ],
            deliveries=[
                DeliveryLine(number, subject, d.status, d.attempts, d.sent_at, d.last_reply)
                for d, number, subject in deliveries
            ],
        )


def resend_confirmation(rt: Runtime, slug: str, subscriber_id: int, now: datetime) -> ResendReport:
    """The confirmation mail again to this pending reader, within the sign-up form's resend
    window (the same rule as `digest subscribers confirm --resend`)."""
    with rt.sessions() as session:
        mailing_list = membership.get_list(session, slug)
        email = _subscription(session, mailing_list, subscriber_id).subscriber.email
        list_id = mailing_list.id
    return resend_confirmations(rt, list_id, [email], now)


def suppress_by_hand(rt: Runtime, slug: str, subscriber_id: int, admin: str, now: datetime) -> bool:
    """Suppress the reader's address by hand; False when it already was suppressed."""
    with db.transaction(rt.sessions) as session:
        mailing_list = membership.get_list(session, slug)
        email = _subscription(session, mailing_list, subscriber_id).subscriber.email
        return suppression.suppress(
            session, email, SuppressionReason.MANUAL, now, detail=f"by {admin} in the web app"
        )


def lift_suppression(rt: Runtime, slug: str, subscriber_id: int) -> None:
    """Lift a suppression made by hand (raises DigestError for a bounce or a complaint)."""
    with db.transaction(rt.sessions) as session:
        mailing_list = membership.get_list(session, slug)
        email = _subscription(session, mailing_list, subscriber_id).subscriber.email
        suppression.lift_manual_suppression(session, email)


def export_list(rt: Runtime, slug: str, out: IO[str]) -> int:
    """Every subscription of the list as CSV (the columns import reads); rows written."""
    with rt.sessions() as session:
        return export_csv(session, membership.get_list(session, slug).id, out)


def _subscription(session: Session, mailing_list: MailingList, subscriber_id: int) -> Subscription:
    found = reader_search.subscription_of(session, mailing_list.id, subscriber_id)
    if found is None:
        raise NotFoundError(
            f"reader {subscriber_id} is not on {mailing_list.slug!r}",
            hint="search the list's readers page",
        )
    return found
