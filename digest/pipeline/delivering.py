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
from digest.delivery.message import Envelope, build_message, message_bytes
from digest.delivery.smtp import SmtpTransport
from digest.delivery.transport import SendResult, Transport
from digest.errors import ConfigError
from digest.models import Issue
from digest.pipeline.composing import IssueRef, compose
from digest.pipeline.rendering import render
from digest.pipeline.runtime import Runtime
from digest.render.email import Recipient, RenderedIssue, personalise
from subscribers import membership
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
    totals: dict[str, int] = field(default_factory=dict)


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


def send(
    rt: Runtime, list_slug: str, now: datetime, transport: Transport | None = None
) -> SendReport:
    """Deliver this period's issue to every confirmed subscriber not yet sent it."""
    transport = transport or make_transport(rt.settings)
    ref = compose(rt, list_slug, now)
    report = SendReport(issue=ref, transport=transport.describe())
    if ref is None:
        return report
    asyncio.run(_deliver(rt, ref, transport, now, report))
    report.issue = compose(rt, list_slug, now)  # the issue is frozen now: this re-reads it
    with rt.sessions() as session:
        report.totals = outbox.counts(session, ref.id)
    return report


async def _deliver(
    rt: Runtime, ref: IssueRef, transport: Transport, now: datetime, report: SendReport
) -> None:
    settings = rt.settings
    lst = settings.mailing_list(ref.list_slug)
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
    rendered = render(rt, ref.id)
    envelope = Envelope(
        from_address=settings.newsletter.from_address,
        from_name=settings.newsletter.from_name or settings.newsletter.name,
        list_name=lst.name,
        list_id=f"{lst.slug}.{urlsplit(settings.newsletter.base_url).hostname}",
        reply_to=settings.newsletter.reply_to,
    )
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
                await _deliver_one(
                    rt,
                    transport,
                    rendered,
                    envelope,
                    list_id,
                    delivery_id,
                    subscriber_id,
                    email,
                    now,
                    retry_delay,
                    report,
                )
    finally:
        await transport.close()
    with db.transaction(rt.sessions) as session:
        totals = outbox.counts(session, ref.id)
        pending = sum(totals.get(s, 0) for s in ("queued", "sending", "deferred"))
        issue = session.get(Issue, ref.id)
        assert issue is not None
        if pending == 0 and issue.status != "sent":
            issue.status, issue.sent_at = "sent", now


async def _deliver_one(
    rt: Runtime,
    transport: Transport,
    rendered: RenderedIssue,
    envelope: Envelope,
    list_id: int,
    delivery_id: int,
    subscriber_id: int,
    email: str,
    now: datetime,
    retry_delay: timedelta,
    report: SendReport,
) -> None:
    with rt.sessions() as session:
        deliverable = membership.is_deliverable(session, subscriber_id, list_id)
    if not deliverable:
        with db.transaction(rt.sessions) as session:
            outbox.skip(session, delivery_id, "no longer subscribed")
        report.skipped += 1
        return
    token = rt.signer.sign("unsubscribe", TokenSubject(subscriber_id, list_id))
    unsubscribe_url = f"{rt.settings.newsletter.base_url}/u/{token}"
    mailto = rt.settings.delivery.unsubscribe_mailto
    html_out, text_out = personalise(rendered, Recipient(email, unsubscribe_url))
    message = build_message(
        envelope=envelope,
        to_address=email,
        subject=rendered.subject,
        text=text_out,
        html=html_out,
        unsubscribe_url=unsubscribe_url,
        unsubscribe_mailto=f"mailto:{mailto}?subject={quote('unsubscribe ' + token)}"
        if mailto
        else None,
        now=now,
    )
    result: SendResult = await transport.send(envelope.from_address, email, message_bytes(message))
    with db.transaction(rt.sessions) as session:
        status = outbox.record(
            session,
            delivery_id,
            result,
            now,
            max_attempts=rt.settings.delivery.max_attempts,
            retry_delay=retry_delay,
            message_id=str(message["Message-ID"]),
        )
    if status == "sent":
        report.sent += 1
    elif status == "deferred":
        report.deferred += 1
        log.warning("%s: deferred: %s", email, result.reply)
    else:
        report.failed += 1
        log.warning("%s: failed: %s", email, result.reply)
