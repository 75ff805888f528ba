"""After an unsubscribe: undo it for a while, and answer the one optional question, why.

Both act through a "left" token issued at the unsubscribe's own time (subscribers.tokens): it
names that one unsubscribe, so it undoes nothing later and expires with
readers.undo_unsubscribe_hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from subscribers.consent import record_consent
from subscribers.models import LeavingAnswer, MailingList, Subscriber, Subscription
from subscribers.states import LeaveReason, SubscriberStatus, SubscriptionStatus
from subscribers.suppression import is_suppressed
from subscribers.tokens import TokenSubject

Undone = Literal["restored", "already", "gone"]


def undo_unsubscribe(
    session: Session,
    left: TokenSubject,
    *,
    now: datetime,
    wording: str,
    ip_address: str | None,
) -> Undone:
    """The subscription confirmed again, as it was before the unsubscribe the token names (only
    confirmed ones are offered an undo; the reader's topics and name were never touched), with
    a consent record. "already" when it is confirmed now (a second click), "gone" when that
    unsubscribe is no longer the last word: the reader or address is gone, suppressed or
    blocked, or the subscription changed since (signed up again, left again)."""
    assert left.issued_at is not None, "a verified left token carries its time"
    subscriber = session.get(Subscriber, left.subscriber_id)
    if (
        subscriber is None
        or subscriber.status != SubscriberStatus.ACTIVE
        or is_suppressed(session, subscriber.email)
    ):
        return "gone"
    result = session.execute(
        update(Subscription)
        .where(
            Subscription.subscriber_id == left.subscriber_id,
            Subscription.list_id == left.list_id,
            Subscription.status == SubscriptionStatus.UNSUBSCRIBED,
            # The token holds whole seconds; the column may hold the same moment's fraction.
            Subscription.unsubscribed_at >= left.issued_at,
            Subscription.unsubscribed_at < left.issued_at + timedelta(seconds=1),
        )
        .values(status=SubscriptionStatus.CONFIRMED, unsubscribed_at=None)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        status = session.scalar(
            select(Subscription.status).where(
                Subscription.subscriber_id == left.subscriber_id,
                Subscription.list_id == left.list_id,
            )
        )
        return "already" if status == SubscriptionStatus.CONFIRMED else "gone"
    record_consent(
        session,
        subscriber_id=left.subscriber_id,
        list_id=left.list_id,
        action="resubscribe",
        method="form",
        now=now,
        wording=wording,
        ip_address=ip_address,
    )
    return "restored"


def record_answer(
    session: Session,
    left: TokenSubject,
    reason: LeaveReason,
    detail: str | None,
    *,
    now: datetime,
) -> bool:
    """Keep the reader's answer for the unsubscribe the token names (a second answer replaces
    the first: one per leaving, so one reader cannot weigh the counts); False when the reader
    is no more (erased)."""
    assert left.issued_at is not None, "a verified left token carries its time"
    if session.get(Subscriber, left.subscriber_id) is None:
        return False
    answer = session.scalar(
        select(LeavingAnswer).where(
            LeavingAnswer.subscriber_id == left.subscriber_id,
            LeavingAnswer.list_id == left.list_id,
            LeavingAnswer.left_at == left.issued_at,
        )
    )
    if answer is None:
        answer = LeavingAnswer(
            subscriber_id=left.subscriber_id, list_id=left.list_id, left_at=left.issued_at
        )
        session.add(answer)
    answer.reason, answer.detail, answer.answered_at = reason, detail, now
    return True


@dataclass(frozen=True)
class ReasonCount:
    list_name: str
    reason: LeaveReason
    count: int


@dataclass(frozen=True)
class LeavingNote:
    list_name: str
    reason: LeaveReason
    detail: str
    answered_at: datetime


def reason_counts(session: Session) -> list[ReasonCount]:
    """How many answers each reason has, per list (lists by name, reasons by count)."""
    rows = session.execute(
        select(MailingList.name, LeavingAnswer.reason, func.count())
        .join(MailingList, MailingList.id == LeavingAnswer.list_id)
        .group_by(MailingList.name, LeavingAnswer.reason)
        .order_by(MailingList.name, func.count().desc(), LeavingAnswer.reason)
    )
    return [ReasonCount(name, LeaveReason(reason), count) for name, reason, count in rows]


def latest_notes(session: Session, limit: int = 20) -> list[LeavingNote]:
    """The newest answers that came with the reader's own words (no address with them)."""
    rows = session.execute(
        select(
            MailingList.name, LeavingAnswer.reason, LeavingAnswer.detail, LeavingAnswer.answered_at
        )
        .join(MailingList, MailingList.id == LeavingAnswer.list_id)
        .where(LeavingAnswer.detail.is_not(None))
        .order_by(LeavingAnswer.answered_at.desc(), LeavingAnswer.id.desc())
        .limit(limit)
    )
    return [LeavingNote(name, LeaveReason(r), detail or "", at) for name, r, detail, at in rows]
