"""An issue's send started by an editor: now (its rows enqueued for the delivery worker) or at
a chosen time (started by the worker once due); its readers counted before, its figures after.

The web app never sends: it enqueues, and the delivery worker of `digest serve` (or `digest
worker`) sends, so no request waits on SMTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select

from digest import db
from digest.delivery import outbox
from digest.errors import DigestError
from digest.models import Delivery
from digest.pipeline.composing import IssueRef, issue_ref
from digest.pipeline.delivering import enqueue_issue, may_not_start
from digest.pipeline.editor_actions import _draft, _issue
from digest.pipeline.rendering import IssueRenderings
from digest.pipeline.runtime import Runtime
from digest.states import DeliveryStatus, IssueStatus
from subscribers import membership
from subscribers.models import Subscription, Suppression
from subscribers.states import SubscriptionStatus, SuppressionReason


def readers_now(rt: Runtime, issue_id: int) -> int:
    """How many readers the issue would go to if it started now (confirmed and active; those
    whose topics match none of its stories are skipped when their turn comes)."""
    with rt.sessions() as session:
        issue = _issue(session, issue_id)
        query = membership.recipients(issue.list_id).subquery()
        return session.scalar(select(func.count()).select_from(query)) or 0


def start_send(
    rt: Runtime, issue_id: int, now: datetime, *, at: datetime | None = None
) -> IssueRef:
    """Start the draft's send now (at None, or a time already past): its rows are enqueued and
    the delivery worker sends them; or keep it for at. Refused, with the reason, while the list's
    approval rules or a blocking pre-send check stop it."""
    with rt.sessions() as session:
        ref = issue_ref(_draft(session, issue_id), _issue(session, issue_id).mailing_list.slug)
    renderings = IssueRenderings(rt)
    blocked = may_not_start(rt, ref, renderings)
    if blocked:
        raise DigestError(f"not sent: {blocked}", hint="approve it first")
    if at is not None and at > now:
        with db.transaction(rt.sessions) as session:
            _draft(session, issue_id).send_at = at
        return ref
    enqueue_issue(rt, ref, now, renderings)  # also forgets a chosen time
    with rt.sessions() as session:
        return issue_ref(_issue(session, issue_id), ref.list_slug)


def cancel_scheduled(rt: Runtime, issue_id: int) -> None:
    """The draft's chosen send time forgotten: it waits for the schedule or an editor again."""
    with db.transaction(rt.sessions) as session:
        _draft(session, issue_id).send_at = None


@dataclass(frozen=True)
class SendFigures:
    """Where an issue's send stands, and how it went."""

    status: IssueStatus
    send_at: datetime | None
    total: int  # rows enqueued
    waiting: int  # queued or being sent
    sent: int
    deferred: int
    failed: int
    uncertain: int
    bounced: int  # sent, then reported as a hard bounce
    skipped_topics: int
    skipped_suppressed: int  # unsubscribed, suppressed or bounced before their turn
    unsubscribed_since: int  # left the list since the send started

    @property
    def done(self) -> int:
        return self.total - self.waiting - self.deferred


def send_figures(rt: Runtime, issue_id: int) -> SendFigures:
    with rt.sessions() as session:
        issue = _issue(session, issue_id)
        counts = outbox.counts(session, issue_id)
        skipped = dict(
            session.execute(
                select(Delivery.last_reply, func.count())
                .where(Delivery.issue_id == issue_id, Delivery.status == DeliveryStatus.SKIPPED)
                .group_by(Delivery.last_reply)
            ).all()
        )
        bounced = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .join(
                Suppression,
                and_(
                    Suppression.email == Delivery.email,
                    Suppression.reason == SuppressionReason.HARD_BOUNCE,
                    Suppression.created_at >= Delivery.created_at,
                ),
            )
            .where(Delivery.issue_id == issue_id)
        )
        started_at = session.scalar(
            select(func.min(Delivery.created_at)).where(Delivery.issue_id == issue_id)
        )
        unsubscribed = 0
        if started_at is not None:
            unsubscribed = (
                session.scalar(
                    select(func.count())
                    .select_from(Subscription)
                    .where(
                        Subscription.list_id == issue.list_id,
                        Subscription.status == SubscriptionStatus.UNSUBSCRIBED,
                        Subscription.unsubscribed_at >= started_at,
                    )
                )
                or 0
            )
        waiting = counts.get(DeliveryStatus.QUEUED, 0) + counts.get(DeliveryStatus.SENDING, 0)
        return SendFigures(
            status=issue.status,
            send_at=issue.send_at,
            total=sum(counts.values()),
            waiting=waiting,
            sent=counts.get(DeliveryStatus.SENT, 0),
            deferred=counts.get(DeliveryStatus.DEFERRED, 0),
            failed=counts.get(DeliveryStatus.FAILED, 0),
            uncertain=counts.get(DeliveryStatus.UNCERTAIN, 0),
            bounced=bounced or 0,
            skipped_topics=skipped.get(outbox.SKIPPED_TOPICS, 0),
            skipped_suppressed=counts.get(DeliveryStatus.SKIPPED, 0)
            - skipped.get(outbox.SKIPPED_TOPICS, 0),
            unsubscribed_since=unsubscribed,
        )
