"""Deliver: one outbox row per (issue, subscriber), each message through the transport."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from sqlalchemy import select

from digest import db
from digest.config import Settings
from digest.delivery import outbox
from digest.delivery.dkim import dkim_signer
from digest.delivery.file_outbox import FileOutbox
from digest.delivery.message import Envelope, MessageTemplate, Personal
from digest.delivery.rate import RateLimit
from digest.delivery.smtp import SmtpPool
from digest.delivery.transport import SendResult, Transport
from digest.editorial.curate import topic_key
from digest.errors import ConfigError, DigestError
from digest.models import Issue
from digest.pipeline.composing import IssueRef, compose, issue_ref, issues_of
from digest.pipeline.rendering import checks, render_view, signed_recipient
from digest.pipeline.runtime import Runtime
from digest.render.checks import blocking_failures
from digest.render.email import Markers, Recipient, RenderedIssue
from digest.states import Approval, IssueStatus
from subscribers import membership
from subscribers.models import MailingList
from subscribers.tokens import TokenSubject

log = logging.getLogger("digest")


@dataclass
class SendReport:
    issue: IssueRef | None
    transport: str
    enqueued: int = 0
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    skipped: int = 0
    uncertain: int = 0
    totals: dict[str, int] = field(default_factory=dict)
    # Why nothing was sent although there is an issue (held, awaiting approval).
    blocked: str | None = None


def make_transport(settings: Settings) -> Transport:
    delivery = settings.delivery
    if delivery.transport == "file":
        return FileOutbox(settings.resolve(delivery.file.directory))
    smtp = delivery.smtp
    password = None
    if smtp.username:
        password = os.environ.get(smtp.password_env or "", None)
        if password is None:
            raise ConfigError(
                f"delivery.smtp.password_env: environment variable {smtp.password_env} is not set",
                hint=f"export {smtp.password_env}=… with the SMTP password for {smtp.username}",
            )
    return SmtpPool(
        host=smtp.host,
        port=smtp.port,
        security=smtp.security,
        username=smtp.username,
        password=password,
        timeout=smtp.timeout_seconds,
        data_timeout=smtp.data_timeout_seconds,
        size=smtp.pool_size,
        messages_per_connection=smtp.messages_per_connection,
    )


def envelope(settings: Settings, list_slug: str) -> Envelope:
    lst = settings.mailing_list(list_slug)
    return Envelope(
        from_address=settings.newsletter.from_address,
        from_name=settings.newsletter.from_name or settings.newsletter.name,
        list_name=lst.name,
        list_id=f"{lst.slug}.{urlsplit(settings.newsletter.base_url).hostname}",
        reply_to=settings.newsletter.reply_to,
    )


def message_template(
    rt: Runtime, list_slug: str, rendered: RenderedIssue, now: datetime, subject_prefix: str = ""
) -> MessageTemplate:
    assert rendered.markers is not None, "an issue's rendering has its markers"
    return MessageTemplate(
        envelope=envelope(rt.settings, list_slug),
        subject=subject_prefix + rendered.subject,
        text=rendered.text,
        html=rendered.html,
        markers=rendered.markers.all(),
        now=now,
    )


def personal(rt: Runtime, recipient: Recipient, markers: Markers) -> Personal:
    """One reader's part of a message whose rendering drew these markers."""
    mailto = rt.settings.delivery.unsubscribe_mailto
    token = recipient.unsubscribe_url.rpartition("/")[2]
    return Personal(
        to=recipient.email,
        values=recipient.values(markers),
        unsubscribe_url=recipient.unsubscribe_url,
        unsubscribe_mailto=f"mailto:{mailto}?subject={quote('unsubscribe ' + token)}"
        if mailto
        else None,
    )


def send(
    rt: Runtime,
    list_slug: str,
    now: datetime,
    transport: Transport | None = None,
    progress: Progress | None = None,
    *,
    period_at: datetime | None = None,
    zones: membership.Zones | None = None,
) -> SendReport:
    """Deliver the issue of the period holding period_at (default: now) to every confirmed
    subscriber not yet sent it (only those in zones, if given: a local-time wave). The
    scheduler passes the scheduled time it sends for, so a send that starts late still sends
    that period's issue."""
    transport = transport or make_transport(rt.settings)
    ref = compose(rt, list_slug, now, period_at=period_at)
    report = SendReport(issue=ref, transport=transport.describe())
    if ref is None:
        return report
    if ref.status == "draft":
        report.blocked = _may_not_start(rt, ref)
        if report.blocked:
            return report
    report.enqueued = _enqueue(rt, ref, now, zones)
    asyncio.run(_deliver(rt, ref, transport, now, report, progress))
    # The issue is frozen now: this only re-reads it.
    report.issue = compose(rt, list_slug, now, period_at=period_at)
    with rt.sessions() as session:
        report.totals = outbox.counts(session, ref.id)
    return report


def _may_not_start(rt: Runtime, ref: IssueRef) -> str | None:
    """Why this draft may not go out yet (None: it may). Failed blocking checks are errors."""
    lst = rt.settings.mailing_list(ref.list_slug)
    with rt.sessions() as session:
        issue = session.get(Issue, ref.id)
        assert issue is not None
        approval = issue.approval
    if approval == "held":
        return f"issue #{ref.number} of {ref.list_slug} is held by an editor"
    if lst.approval == "required" and approval != "approved":
        return f"issue #{ref.number} of {ref.list_slug} is waiting for an editor's approval"
    failures = blocking_failures(checks(rt, ref.id))
    if failures:
        raise DigestError(
            f"issue #{ref.number} of {ref.list_slug} failed its pre-send checks: "
            + "; ".join(f"{c.name}: {c.detail}" for c in failures),
            hint="fix it in the editor's preview or the templates; `digest preview` shows it",
        )
    return None


Progress = Callable[[int, int], None]  # (messages done, messages to do)


async def _deliver(
    rt: Runtime,
    ref: IssueRef,
    transport: Transport,
    now: datetime,
    report: SendReport,
    progress: Progress | None = None,
) -> None:
    """Claim and send the issue's due outbox rows until none is left (the rows exist already:
    a worker never adds readers, so it never sends a local-time wave before its time)."""
    delivery = rt.settings.delivery
    with rt.sessions() as session:
        issue = session.get(Issue, ref.id)
        assert issue is not None
        list_id = issue.list_id
        todo = sum(n for s, n in outbox.counts(session, ref.id).items() if s in outbox.PENDING)
    sender = Sender(rt, ref, transport, now)
    policy = outbox.RetryPolicy(
        max_attempts=delivery.max_attempts,
        base_delay=timedelta(seconds=delivery.retry_delay_seconds),
        max_age=timedelta(hours=delivery.max_retry_hours),
        retry_uncertain=delivery.retry_uncertain,
    )
    lease = timedelta(seconds=delivery.lease_seconds)
    clock = _clock_from(now)
    done = 0
    await transport.open()
    try:
        while True:
            with db.claim_transaction(rt.engine) as session:
                claimed = outbox.claim_batch(session, ref.id, clock(), delivery.batch_size, lease)
            if not claimed:
                break
            # Unsubscribed, suppressed or bounced since the send began: not sent.
            ids = [c.subscriber_id for c in claimed]
            with rt.sessions() as session:
                allowed = membership.deliverable_ids(session, list_id, ids)
                topics = membership.topics_of(session, ids)
            gone, unmatched, wanted = [], [], []
            broken: list[outbox.Attempt] = []  # their issue could not be rendered
            for c in claimed:
                if c.subscriber_id not in allowed:
                    gone.append(c.id)
                    continue
                try:
                    matched = sender.has_stories(topics.get(c.subscriber_id))
                except Exception as exc:
                    reason = f"cannot render the issue for this reader's topics: {_reason(exc)}"
                    broken.append(sender.failed(c, None, reason))
                    continue
                if matched:
                    wanted.append(c)
                else:
                    unmatched.append(c.id)  # no story matches their topics: no empty digest
            keep_lease = asyncio.create_task(_renew_lease(rt, claimed, lease, clock))
            try:
                attempts = broken + await sender.send_all(wanted, topics)
            finally:
                keep_lease.cancel()
            # Reads, then writes: on SQLite the write lock is taken first (BEGIN IMMEDIATE), or
            # a second process sending at the same time gets "database is locked".
            with db.claim_transaction(rt.engine) as session:
                outbox.skip(session, gone, "no longer subscribed")
                outbox.skip(session, unmatched, "no story of this issue matches their topics")
                counts = outbox.record(session, attempts, clock(), policy)
            report.skipped += len(gone) + len(unmatched)
            report.sent += counts.get("sent", 0)
            report.deferred += counts.get("deferred", 0)
            report.failed += counts.get("failed", 0)
            report.uncertain += counts.get("uncertain", 0)
            done += len(claimed)
            if progress:
                progress(done, max(todo, done))
    finally:
        await transport.close()
    with db.claim_transaction(rt.engine) as session:
        pending = sum(n for s, n in outbox.counts(session, ref.id).items() if s in outbox.PENDING)
        issue = session.get(Issue, ref.id)
        assert issue is not None
        if pending == 0 and issue.status != "sent":
            issue.status, issue.sent_at = IssueStatus.SENT, issue.sent_at or now


def _enqueue(rt: Runtime, ref: IssueRef, now: datetime, zones: membership.Zones | None) -> int:
    """One outbox row for each confirmed reader (in zones, if given) not yet sent the issue;
    how many rows are new. From the first send on, the issue's content is frozen; a later
    local-time wave puts a sent issue back to sending until its new rows are delivered."""
    enqueued = 0
    with db.claim_transaction(rt.engine) as session:
        issue = session.get(Issue, ref.id)
        assert issue is not None
        batch_size = rt.settings.delivery.batch_size
        for batch in membership.iter_recipient_batches(session, issue.list_id, batch_size, zones):
            enqueued += outbox.enqueue(session, ref.id, batch, now)
        if issue.status == "draft" or (enqueued and issue.status == "sent"):
            issue.status = IssueStatus.SENDING
    return enqueued


def _clock_from(start: datetime) -> Callable[[], datetime]:
    """Time that starts at `start` (the caller's now, fixed in tests) and runs on, so leases
    taken late in a long send are measured from when they were taken."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


async def _renew_lease(
    rt: Runtime, claimed: list[outbox.Claimed], lease: timedelta, clock: Callable[[], datetime]
) -> None:
    """While a batch is being sent, keep its rows from looking abandoned to other senders."""
    ids = [c.id for c in claimed]
    while True:
        await asyncio.sleep(lease.total_seconds() / 3)
        with db.transaction(rt.sessions) as session:
            outbox.extend_lease(session, ids, clock() + lease)


class Sender:
    """Builds and sends claimed messages, as many at once as the transport allows, at the
    configured rate; a server's "slow down" (421/454) pauses every sender. The issue is
    rendered once for everyone, and once more for each set of topics readers chose."""

    def __init__(self, rt: Runtime, ref: IssueRef, transport: Transport, now: datetime) -> None:
        self.rt = rt
        self.ref = ref
        self.now = now
        self.transport = transport
        with rt.sessions() as session:
            issue = session.get(Issue, ref.id)
            assert issue is not None
            self.list_id = issue.list_id
        # Per set of topics: the message and the markers its rendering drew (None: no story).
        self._templates: dict[tuple[str, ...], tuple[MessageTemplate, Markers] | None] = {}
        self._unrenderable: dict[tuple[str, ...], Exception] = {}
        self.rate = RateLimit(rt.settings.delivery.rate_limit_per_second)
        self.dkim = dkim_signer(rt.settings)

    def template(self, topics: list[str] | None) -> tuple[MessageTemplate, Markers] | None:
        """The message for readers of these topics and its markers; None when no story
        matches them."""
        key = topic_key(topics or ())
        if key in self._unrenderable:
            raise self._unrenderable[key]
        if key not in self._templates:
            try:
                view, rendered = render_view(self.rt, self.ref.id, key)
            except Exception as exc:
                # Once per set of topics: its other readers fail at once, not after a render.
                self._unrenderable[key] = exc
                raise
            assert rendered.markers is not None
            self._templates[key] = (
                (
                    message_template(self.rt, self.ref.list_slug, rendered, self.now),
                    rendered.markers,
                )
                if view.sections
                else None
            )
        return self._templates[key]

    def has_stories(self, topics: list[str] | None) -> bool:
        return self.template(topics) is not None

    async def send_all(
        self, claimed: list[outbox.Claimed], topics: dict[int, list[str]] | None = None
    ) -> list[outbox.Attempt]:
        queue: asyncio.Queue[outbox.Claimed] = asyncio.Queue()
        for item in claimed:
            queue.put_nowait(item)
        attempts: list[outbox.Attempt] = []
        chosen = topics or {}

        async def work() -> None:
            while not queue.empty():
                item = queue.get_nowait()
                attempts.append(await self.send_one(item, chosen.get(item.subscriber_id)))

        workers = min(self.transport.concurrency, len(claimed))
        await asyncio.gather(*(work() for _ in range(workers)))
        return attempts

    async def send_one(
        self, claimed: outbox.Claimed, topics: list[str] | None = None
    ) -> outbox.Attempt:
        """Build and send one reader's message. Never raises (but when cancelled): whatever
        goes wrong fails this message alone, with its reason, and the batch goes on."""
        try:
            data, message_id = self.build(claimed, topics)
        except Exception as exc:
            return self.failed(claimed, None, f"cannot build the message: {_reason(exc)}")
        await self.rate.acquire()
        try:
            result = await self.transport.send(
                envelope_sender(self.rt, claimed.subscriber_id, self.list_id), claimed.email, data
            )
        except Exception as exc:
            return self.failed(claimed, message_id, f"cannot send the message: {_reason(exc)}")
        if result.slow_down:
            self.rate.slow_down(self.rt.settings.delivery.slow_down_seconds)
        if result.outcome != "sent":
            log.warning("%s: %s: %s", _shown(claimed.email), result.outcome, result.reply)
        return outbox.Attempt(claimed, result, message_id)

    def build(self, claimed: outbox.Claimed, topics: list[str] | None) -> tuple[bytes, str]:
        """One reader's message bytes (signed, when DKIM is configured) and Message-ID."""
        found = self.template(topics)
        assert found is not None, "readers with no matching story are skipped, not sent"
        template, markers = found
        recipient = signed_recipient(self.rt, claimed.subscriber_id, self.list_id, claimed.email)
        data, message_id = template.build(personal(self.rt, recipient, markers))
        if self.dkim is not None:
            data = self.dkim.sign(data)
        return data, message_id

    def failed(
        self, claimed: outbox.Claimed, message_id: str | None, reason: str
    ) -> outbox.Attempt:
        """This message's failure: one line in the log (its traceback only at INFO, which
        `digest -v` and `digest serve` show) and its row's reason."""
        log.warning("%s: failed: %s", _shown(claimed.email), reason)
        log.info("%s: what went wrong", _shown(claimed.email), exc_info=True)
        return outbox.Attempt(claimed, SendResult("failed", reason), message_id)


def _reason(exc: Exception) -> str:
    """An exception as a row's reason: ours (and ValueError's, which carry their own wording)
    by their message, anything else by its type as well."""
    if isinstance(exc, DigestError | ValueError) and str(exc):
        return str(exc)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _shown(address: str) -> str:
    """An address for a log line: quoted when it holds a character that could start a line."""
    return address if address.isprintable() else repr(address)


def envelope_sender(rt: Runtime, subscriber_id: int, list_id: int) -> str:
    """The envelope sender, where bounces go: VERP (bounces+TOKEN@domain) when a bounce
    address is configured, so each bounce names its subscriber; else the From address."""
    bounce = rt.settings.delivery.bounce_address
    if not bounce:
        return rt.settings.newsletter.from_address
    local, _, domain = bounce.rpartition("@")
    token = rt.signer.sign("bounce", TokenSubject(subscriber_id, list_id))
    return f"{local}+{token}@{domain}"


def deliver_pending(
    rt: Runtime,
    now: datetime,
    transport: Transport | None = None,
    progress: Progress | None = None,
) -> list[SendReport]:
    """Work on every issue that has started sending (a worker's job): claim due rows and send
    them. Any number of workers may do this at once on PostgreSQL; each row goes out once."""
    with rt.sessions() as session:
        started = list(
            session.execute(
                select(Issue.id, MailingList.slug)
                .join(MailingList, MailingList.id == Issue.list_id)
                .where(Issue.status == "sending")
                .order_by(Issue.id)
            )
        )
    reports = []
    for issue_id, slug in started:
        if slug not in {lst.slug for lst in rt.settings.lists}:
            continue  # a list no longer in config.yaml: leave its rows alone
        chosen = transport or make_transport(rt.settings)
        with rt.sessions() as session:
            issue = session.get(Issue, issue_id)
            assert issue is not None
            ref = issue_ref(issue, slug)
        report = SendReport(issue=ref, transport=chosen.describe())
        asyncio.run(_deliver(rt, ref, chosen, now, report, progress))
        with rt.sessions() as session:
            issue = session.get(Issue, issue_id)
            assert issue is not None
            report.issue = issue_ref(issue, slug)  # sent now, if nothing is left to do
            report.totals = outbox.counts(session, issue_id)
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
