"""Deliver: one outbox row per (issue, subscriber), each message through the transport."""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote, urlsplit

from digest import db
from digest.config import Settings
from digest.delivery import outbox
from digest.delivery.file_outbox import FileOutbox
from digest.delivery.message import Envelope, MessageTemplate, Personal
from digest.delivery.smtp import SmtpTransport
from digest.delivery.transport import Transport
from digest.errors import ConfigError, DigestError
from digest.models import Issue
from digest.pipeline.composing import IssueRef, compose
from digest.pipeline.rendering import checks, reader, render
from digest.pipeline.runtime import Runtime
from digest.render.checks import blocking_failures
from digest.render.email import MARKERS, Recipient, RenderedIssue
from subscribers import membership

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
    return SmtpTransport(
        host=smtp.host,
        port=smtp.port,
        security=smtp.security,
        username=smtp.username,
        password=password,
        timeout=smtp.timeout_seconds,
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
    return MessageTemplate(
        envelope=envelope(rt.settings, list_slug),
        subject=subject_prefix + rendered.subject,
        text=rendered.text,
        html=rendered.html,
        markers=MARKERS,
        now=now,
    )


def personal(rt: Runtime, recipient: Recipient) -> Personal:
    mailto = rt.settings.delivery.unsubscribe_mailto
    token = recipient.unsubscribe_url.rpartition("/")[2]
    return Personal(
        to=recipient.email,
        values=recipient.values(),
        unsubscribe_url=recipient.unsubscribe_url,
        unsubscribe_mailto=f"mailto:{mailto}?subject={quote('unsubscribe ' + token)}"
        if mailto
        else None,
    )


def send(
    rt: Runtime, list_slug: str, now: datetime, transport: Transport | None = None
) -> SendReport:
    """Deliver this period's issue to every confirmed subscriber not yet sent it."""
    transport = transport or make_transport(rt.settings)
    ref = compose(rt, list_slug, now)
    report = SendReport(issue=ref, transport=transport.describe())
    if ref is None:
        return report
    if ref.status == "draft":
        report.blocked = _may_not_start(rt, ref)
        if report.blocked:
            return report
    asyncio.run(_deliver(rt, ref, transport, now, report))
    report.issue = compose(rt, list_slug, now)  # the issue is frozen now: this re-reads it
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


async def _deliver(
    rt: Runtime, ref: IssueRef, transport: Transport, now: datetime, report: SendReport
) -> None:
    settings = rt.settings
    with db.transaction(rt.sessions) as session:
        issue = session.get(Issue, ref.id)
        assert issue is not None
        if issue.status == "draft":
            issue.status = "sending"  # from here on the issue's content is frozen
        list_id = issue.list_id
        for batch in membership.iter_recipient_batches(
            session, list_id, settings.delivery.batch_size
        ):
            report.enqueued += outbox.enqueue(session, ref.id, batch, now)
    template = message_template(rt, ref.list_slug, render(rt, ref.id), now)
    sender = settings.newsletter.from_address
    retry_delay = timedelta(seconds=settings.delivery.retry_delay_seconds)
    await transport.open()
    try:
        while True:
            with db.transaction(rt.sessions) as session:
                claimed = [
                    (d.id, d.subscriber_id, d.email)
                    for d in outbox.claim_batch(session, ref.id, now, settings.delivery.batch_size)
                ]
            if not claimed:
                break
            for delivery_id, subscriber_id, email in claimed:
                with rt.sessions() as session:
                    deliverable = membership.is_deliverable(session, subscriber_id, list_id)
                if not deliverable:
                    with db.transaction(rt.sessions) as session:
                        outbox.skip(session, delivery_id, "no longer subscribed")
                    report.skipped += 1
                    continue
                data, message_id = template.build(
                    personal(rt, reader(rt, subscriber_id, list_id, email))
                )
                result = await transport.send(sender, email, data)
                with db.transaction(rt.sessions) as session:
                    status = outbox.record(
                        session,
                        delivery_id,
                        result,
                        now,
                        max_attempts=settings.delivery.max_attempts,
                        retry_delay=retry_delay,
                        message_id=message_id,
                    )
                if status == "sent":
                    report.sent += 1
                elif status == "deferred":
                    report.deferred += 1
                else:
                    report.failed += 1
                if status != "sent":
                    log.warning("%s: %s: %s", email, status, result.reply)
    finally:
        await transport.close()
    with db.transaction(rt.sessions) as session:
        totals = outbox.counts(session, ref.id)
        pending = sum(totals.get(s, 0) for s in ("queued", "sending", "deferred"))
        issue = session.get(Issue, ref.id)
        assert issue is not None
        if pending == 0 and issue.status != "sent":
            issue.status, issue.sent_at = "sent", now
