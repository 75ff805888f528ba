"""Deliver: one outbox row per (issue, subscriber), each message through the transport."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from digest import db
from digest.delivery import outbox
from digest.delivery.send_loop import Progress, SendCounts, deliver_issue
from digest.delivery.transport import Transport
from digest.delivery.transport_factory import make_transport
from digest.errors import DigestError, ServerUnavailable
from digest.models import Issue
from digest.pipeline.composing import IssueRef, compose, issue_ref, issues_of
from digest.pipeline.issue_mail import RenderedIssueMail
from digest.pipeline.rendering import IssueRenderings, checks, render_web_version
from digest.pipeline.runtime import Runtime
from digest.render.checks import blocking_failures
from digest.states import Approval, IssueStatus
from subscribers import membership
from subscribers.models import MailingList

log = logging.getLogger("digest")


@dataclass(kw_only=True)
class SendReport(SendCounts):
    issue: IssueRef | None
    transport: str
    enqueued: int = 0
    totals: dict[str, int] = field(default_factory=dict)
    # Where the rows not yet done stand (other workers', deferred): what an idle pass says.
    pending: outbox.Pending = field(default_factory=outbox.Pending)
    # Why nothing was sent although there is an issue (held, awaiting approval).
    blocked: str | None = None


def send(
    rt: Runtime,
    list_slug: str,
    now: datetime,
    transport: Transport | None = None,
    progress: Progress | None = None,
    *,
    period_at: datetime | None = None,
    zones: membership.Zones | None = None,
    composed: IssueRef | None = None,
    renderings: IssueRenderings | None = None,
) -> SendReport:
    """Deliver the issue of the period holding period_at (default: now) to every confirmed
    subscriber not yet sent it (only those in zones, if given: a local-time wave). The
    scheduler passes the scheduled time it sends for, so a send that starts late still sends
    that period's issue. A run that has composed the issue already passes it (composed), with
    the renderings its preview made."""
    transport = transport or make_transport(rt.settings)
    renderings = renderings or IssueRenderings(rt)
    ref = composed or compose(rt, list_slug, now, period_at=period_at)
    report = SendReport(issue=ref, transport=transport.describe())
    if ref is None:
        return report
    if ref.status == IssueStatus.DRAFT:
        report.blocked = may_not_start(rt, ref, renderings)
        if report.blocked:
            return report
    report.enqueued = _enqueue(rt, ref, now, zones, renderings)
    _deliver(rt, ref, transport, now, report, progress, renderings)
    with rt.sessions() as session:
        issue = session.get(Issue, ref.id)
        assert issue is not None
        report.issue = issue_ref(issue, list_slug)  # sent now, if nothing is left to do
        report.totals = outbox.counts(session, ref.id)
        report.pending = outbox.pending(session, ref.id)
    return report


def may_not_start(rt: Runtime, ref: IssueRef, renderings: IssueRenderings) -> str | None:
    """Why this draft may not go out yet (None: it may). Failed blocking checks are errors."""
    lst = rt.settings.mailing_list(ref.list_slug)
    with rt.sessions() as session:
        issue = session.get(Issue, ref.id)
        assert issue is not None
        approval = issue.approval
    if approval == Approval.HELD:
        return f"issue #{ref.number} of {ref.list_slug} is held by an editor"
    if lst.approval == "required" and approval != Approval.APPROVED:
        return f"issue #{ref.number} of {ref.list_slug} is waiting for an editor's approval"
    failures = blocking_failures(checks(rt, ref.id, renderings))
    if failures:
        raise DigestError(
            f"issue #{ref.number} of {ref.list_slug} failed its pre-send checks: "
            + "; ".join(f"{c.name}: {c.detail}" for c in failures),
            hint="fix it in the editor's preview or the templates; `digest preview` shows it",
        )
    return None


def _deliver(
    rt: Runtime,
    ref: IssueRef,
    transport: Transport,
    now: datetime,
    report: SendReport,
    progress: Progress | None = None,
    renderings: IssueRenderings | None = None,
) -> None:
    """Send the issue's due outbox rows; once none is left, the issue is sent."""
    with rt.sessions() as session:
        issue = session.get(Issue, ref.id)
        assert issue is not None
        list_id = issue.list_id
    asyncio.run(
        deliver_issue(
            RenderedIssueMail(rt, ref, list_id, now, renderings),
            transport,
            rt.settings,
            engine=rt.engine,
            sessions=rt.sessions,
            issue_id=ref.id,
            list_id=list_id,
            now=now,
            progress=progress,
            report=report,
        )
    )
    with db.claim_transaction(rt.engine) as session:
        pending = sum(n for s, n in outbox.counts(session, ref.id).items() if s in outbox.PENDING)
        issue = session.get(Issue, ref.id)
        assert issue is not None
        if pending == 0 and issue.status != IssueStatus.SENT:
            issue.status, issue.sent_at = IssueStatus.SENT, issue.sent_at or now


def enqueue_issue(
    rt: Runtime, ref: IssueRef, now: datetime, renderings: IssueRenderings | None = None
) -> int:
    """Every confirmed reader's row of an issue that may start (may_not_start said so): the
    delivery worker sends them. How many rows are new."""
    return _enqueue(rt, ref, now, None, renderings)


def start_due(rt: Runtime, now: datetime) -> list[IssueRef]:
    """Start every draft whose editor-chosen send time has come (the delivery worker's first
    step); one held or left unapproved meanwhile stays a draft, its time kept, and is logged."""
    with rt.sessions() as session:
        due = list(
            session.execute(
                select(Issue, MailingList.slug)
                .join(MailingList, MailingList.id == Issue.list_id)
                .where(
                    Issue.status == IssueStatus.DRAFT,
                    Issue.send_at.is_not(None),
                    Issue.send_at <= now,
                )
            )
        )
        refs = [issue_ref(issue, slug) for issue, slug in due]
    started = []
    for ref in refs:
        renderings = IssueRenderings(rt)
        try:
            blocked = may_not_start(rt, ref, renderings)
        except DigestError as exc:
            blocked = exc.message
        if blocked:
            log.warning(
                "issue #%s of %s is due but not sent: %s", ref.number, ref.list_slug, blocked
            )
            continue
        _enqueue(rt, ref, now, None, renderings)
        started.append(ref)
    return started


def _enqueue(
    rt: Runtime,
    ref: IssueRef,
    now: datetime,
    zones: membership.Zones | None,
    renderings: IssueRenderings | None = None,
) -> int:
    """One outbox row for each confirmed reader (in zones, if given) not yet sent the issue;
    how many rows are new. From the first send on, the issue's content is frozen and its web
    version stored (the archive shows exactly that); a later local-time wave puts a sent issue
    back to sending until its new rows are delivered."""
    with rt.sessions() as session:
        issue = session.get(Issue, ref.id)
        assert issue is not None
        stored = issue.status != IssueStatus.DRAFT or issue.web_html is not None
    # Rendered before the claim: on SQLite, nothing else may wait inside its write lock.
    web_html = None if stored else render_web_version(rt, ref.id, renderings)
    with db.claim_transaction(rt.engine) as session:
        issue = session.get(Issue, ref.id)
        assert issue is not None
        if web_html is not None and issue.status == IssueStatus.DRAFT:
            issue.web_html = web_html
        issue.send_at = None
        enqueued = outbox.enqueue(session, ref.id, membership.recipients(issue.list_id, zones), now)
        if issue.status == IssueStatus.DRAFT or (enqueued and issue.status == IssueStatus.SENT):
            issue.status = IssueStatus.SENDING
    return enqueued


def deliver_pending(
    rt: Runtime,
    now: datetime,
    transport: Transport | None = None,
    progress: Progress | None = None,
) -> list[SendReport]:
    """Work on every issue that has started sending (a worker's job): claim due rows and send
    them. Any number of workers may do this at once on PostgreSQL; each row goes out once.
    Drafts whose editor-chosen send time has come are started first."""
    start_due(rt, now)
    with rt.sessions() as session:
        started = list(
            session.execute(
                select(Issue.id, MailingList.slug)
                .join(MailingList, MailingList.id == Issue.list_id)
                .where(Issue.status == IssueStatus.SENDING)
                .order_by(Issue.id)
            )
        )
    reports: list[SendReport] = []
    for issue_id, slug in started:
        if slug not in {lst.slug for lst in rt.settings.lists}:
            continue  # a list no longer in config.yaml: leave its rows alone
        chosen = transport or make_transport(rt.settings)
        with rt.sessions() as session:
            issue = session.get(Issue, issue_id)
            assert issue is not None
            ref = issue_ref(issue, slug)
        report = SendReport(issue=ref, transport=chosen.describe())
        try:
            _deliver(rt, ref, chosen, now, report, progress)
        except ServerUnavailable as exc:
            # Messages of an earlier issue got through in this pass: the outage began since,
            # and the worker's wait starts again (PassWaits).
            exc.sent_before = exc.sent_before or any(earlier.sent for earlier in reports)
            raise
        with rt.sessions() as session:
            issue = session.get(Issue, issue_id)
            assert issue is not None
            report.issue = issue_ref(issue, slug)  # sent now, if nothing is left to do
            report.totals = outbox.counts(session, issue_id)
            report.pending = outbox.pending(session, issue_id)
        reports.append(report)
    return reports


@dataclass(frozen=True)
class IssueDeliveries:
    number: int
    subject: str
    status: IssueStatus
    approval: Approval
    deliveries: dict[str, int]


def delivery_status(rt: Runtime, list_slug: str) -> list[IssueDeliveries]:
    """Each issue of a list, newest first, with its deliveries counted by state."""
    with rt.sessions() as session:
        issues = session.scalars(issues_of(list_slug))
        return [
            IssueDeliveries(i.number, i.subject, i.status, i.approval, outbox.counts(session, i.id))
            for i in issues
        ]
