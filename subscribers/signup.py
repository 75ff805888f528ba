"""Double opt-in: a sign-up makes pending subscriptions; the confirmation link confirms them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import CursorResult, select, update
from sqlalchemy.orm import Session

from subscribers.addresses import normalise_address
from subscribers.confirmation_window import MailClaim, claim_confirmation_mail
from subscribers.consent import record_consent
from subscribers.models import Subscriber, Subscription
from subscribers.states import SubscriberStatus, SubscriptionStatus
from subscribers.suppression import is_suppressed
from subscribers.tokens import TokenSubject


@dataclass(frozen=True)
class SignUp:
    """What the subscribe form asked for; the address as typed, the rest already checked."""

    email: str
    name: str | None
    list_ids: Sequence[int]
    topics: Sequence[str]
    timezone: str | None = None


@dataclass(frozen=True)
class ConfirmationDue:
    """A confirmation mail to send: to this address, for this subscription."""

    subject: TokenSubject
    email: str
    name: str | None
    list_ids: tuple[int, ...]
    # What to put back should the mail not go (subscribers.confirmation_window).
    claims: tuple[MailClaim, ...] = ()


def sign_up(
    session: Session,
    request: SignUp,
    *,
    now: datetime,
    resend_after: timedelta,
    wording: str,
    ip_address: str | None,
) -> ConfirmationDue | None:
    """Make the ticked lists' subscriptions pending and say whether a confirmation mail is due.

    The caller answers every sign-up alike and runs this only once its answer has gone (the
    work differs by address, and so would the page's time), so nobody learns from the page or
    its time whether an address is known, suppressed or already subscribed. A suppressed or
    blocked address changes nothing and gets no mail. An existing subscriber's name and topics
    are not touched: anyone may type anyone's address here (preferences are behind the link
    only the address's owner receives)."""
    email = normalise_address(request.email)
    if is_suppressed(session, email):
        return None
    subscriber = session.scalar(select(Subscriber).where(Subscriber.email == email))
    if subscriber is None:
        subscriber = Subscriber(
            email=email,
            name=request.name,
            created_at=now,
            topics=list(request.topics),
            timezone=request.timezone,
        )
        session.add(subscriber)
        session.flush()
    elif subscriber.status != SubscriberStatus.ACTIVE:
        return None  # bounced, complained or blocked: never mailed again from a web form
    due: list[tuple[int, MailClaim]] = []
    for list_id in request.list_ids:
        subscription = session.scalar(
            select(Subscription).where(
                Subscription.subscriber_id == subscriber.id, Subscription.list_id == list_id
            )
        )
        if subscription is None:
            subscription = Subscription(
                subscriber_id=subscriber.id,
                list_id=list_id,
                status=SubscriptionStatus.PENDING,
                origin="form",
                created_at=now,
            )
            session.add(subscription)
            session.flush()
        elif subscription.status == SubscriptionStatus.CONFIRMED:
            continue  # nothing to confirm; the page says the same as for a new address
        elif subscription.status == SubscriptionStatus.UNSUBSCRIBED:
            _reopen(session, subscription.id)
        session.expire(subscription)  # claimed and reopened past the ORM
        previous = subscription.confirmation_sent_at
        if not claim_confirmation_mail(
            session, subscription.id, now=now, resend_after=resend_after
        ):
            continue  # pending, and a confirmation mail went out a moment ago
        session.expire(subscription)
        record_consent(
            session,
            subscriber_id=subscriber.id,
            list_id=list_id,
            action="subscribe",
            method="form",
            now=now,
            wording=wording,
            ip_address=ip_address,
        )
        due.append((list_id, MailClaim(subscription.id, previous)))
    if not due:
        return None
    # One mail confirms every list ticked at once; its token names the first of them.
    list_ids = tuple(list_id for list_id, _ in due)
    return ConfirmationDue(
        TokenSubject(subscriber.id, list_ids[0]),
        subscriber.email,
        subscriber.name,
        list_ids,
        tuple(claim for _, claim in due),
    )


def _reopen(session: Session, subscription_id: int) -> None:
    """An unsubscribed subscription pending again, for a new confirmation mail at once. Only
    while it is still unsubscribed: a concurrent sign-up that reopened and claimed it first
    keeps its claim (its mail is the one that goes)."""
    session.execute(
        update(Subscription)
        .where(
            Subscription.id == subscription_id,
            Subscription.status == SubscriptionStatus.UNSUBSCRIBED,
        )
        .values(
            status=SubscriptionStatus.PENDING,
            origin="form",
            unsubscribed_at=None,
            confirmed_at=None,
            confirmation_sent_at=None,
        )
        .execution_options(synchronize_session=False)
    )


Confirmed = Literal["confirmed", "already", "gone"]


def confirm(
    session: Session,
    subject: TokenSubject,
    *,
    now: datetime,
    wording: str,
    ip_address: str | None,
) -> Confirmed:
    """confirm_lists's outcome alone."""
    return confirm_lists(session, subject, now=now, wording=wording, ip_address=ip_address)[0]


def confirm_lists(
    session: Session,
    subject: TokenSubject,
    *,
    now: datetime,
    wording: str,
    ip_address: str | None,
) -> tuple[Confirmed, tuple[int, ...]]:
    """Confirm the pending subscriptions the token's mail asked about: the named one, and
    those whose confirmation mail went out at the second the token was issued (the lists
    ticked with it; a list ticked in a later sign-up waits for its own mail, an imported one
    that never had a mail is not swept in). With the outcome, the ids of the lists this call
    confirmed: each one is confirmed by one call only, however many clicks arrive at once
    (what a welcome mail is sent for). "already" when none of them is pending any more,
    "gone" when the subscriber or the named subscription is no more (erased, unsubscribed,
    suppressed)."""
    subscriber = session.get(Subscriber, subject.subscriber_id)
    if subscriber is None or subscriber.status != SubscriberStatus.ACTIVE:
        return "gone", ()
    if is_suppressed(session, subscriber.email):
        return "gone", ()
    named = session.scalar(
        select(Subscription).where(
            Subscription.subscriber_id == subscriber.id, Subscription.list_id == subject.list_id
        )
    )
    if named is None or named.status == SubscriptionStatus.UNSUBSCRIBED:
        return "gone", ()
    pending = [named] if named.status == SubscriptionStatus.PENDING else []
    if subject.issued_at is not None:
        # The token holds whole seconds; the column may hold the same moment's fraction.
        pending += session.scalars(
            select(Subscription).where(
                Subscription.subscriber_id == subscriber.id,
                Subscription.id != named.id,
                Subscription.status == SubscriptionStatus.PENDING,
                Subscription.confirmation_sent_at >= subject.issued_at,
                Subscription.confirmation_sent_at < subject.issued_at + timedelta(seconds=1),
            )
        ).all()
    confirmed: list[int] = []
    for subscription in pending:
        # Conditional, not read then written: of two clicks at once, one confirms (and welcomes).
        if not _confirm_pending(session, subscription.id, now):
            continue
        confirmed.append(subscription.list_id)
        record_consent(
            session,
            subscriber_id=subscriber.id,
            list_id=subscription.list_id,
            action="confirm",
            method="form",
            now=now,
            wording=wording,
            ip_address=ip_address,
        )
        session.expire(subscription)
    return ("confirmed" if confirmed else "already"), tuple(confirmed)


def _confirm_pending(session: Session, subscription_id: int, now: datetime) -> bool:
    result = session.execute(
        update(Subscription)
        .where(
            Subscription.id == subscription_id,
            Subscription.status == SubscriptionStatus.PENDING,
        )
        .values(status=SubscriptionStatus.CONFIRMED, confirmed_at=now)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1
