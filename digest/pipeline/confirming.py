"""The confirmation mail of a sign-up (double opt-in): rendered, built and sent by itself."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import anyio
from sqlalchemy import select

from digest import db
from digest.delivery.dkim import dkim_signer
from digest.delivery.envelope import envelope_sender
from digest.delivery.message import POLICY, to_header
from digest.delivery.send_loop import Progress
from digest.delivery.transport import SendResult, Transport
from digest.errors import DeliveryError
from digest.pipeline.runtime import Runtime
from digest.pipeline.single_mail import send_single
from digest.render.email import ConfirmationView
from digest.states import DeliveryStatus
from subscribers.confirmation_window import (
    MailClaim,
    claim_confirmation_mail,
    release_confirmation_mail,
)
from subscribers.membership import PendingRow, count_by_status, pending_batch, statuses_of
from subscribers.models import MailingList, Subscription
from subscribers.reader_urls import reader_url
from subscribers.signup import ConfirmationDue
from subscribers.states import SubscriptionStatus
from subscribers.tokens import TokenSubject

log = logging.getLogger("digest")


def confirm_url(rt: Runtime, due: ConfirmationDue, now: datetime) -> str:
    token = rt.signer.sign("confirm", due.subject, issued_at=now)
    return reader_url(rt.settings.newsletter.base_url, "confirm", token)


def confirmation_message(rt: Runtime, due: ConfirmationDue, now: datetime) -> bytes:
    """The mail's bytes. The reader's name appears in the body only (escaped there): no
    header carries anything a reader typed but the address, which email-validator checked.
    Raises ValueError for an address no message can carry."""
    settings = rt.settings
    with rt.sessions() as session:
        rows = session.execute(
            select(MailingList.id, MailingList.name, MailingList.slug).where(
                MailingList.id.in_(due.list_ids)
            )
        ).all()
        by_id = {list_id: name for list_id, name, _ in rows}
        slugs = {list_id: slug for list_id, _, slug in rows}
    # The mail speaks the language of the first list asked for (they usually share one).
    languages = {lst.slug: lst.language for lst in settings.lists}
    language = next((languages[slugs[i]] for i in due.list_ids if slugs.get(i) in languages), "en")
    view = ConfirmationView(
        newsletter_name=settings.newsletter.name,
        reader_name=due.name,
        list_names=tuple(by_id[i] for i in due.list_ids if i in by_id),
        confirm_url=confirm_url(rt, due, now),
        valid_days=settings.readers.confirm_token_days,
        postal_address=settings.newsletter.postal_address,
        subject=rt.renderer.translate(language, settings.readers.confirmation_subject).format(
            newsletter=settings.newsletter.name
        ),
        language=language,
    )
    rendered = rt.renderer.render_confirmation(view)
    message = EmailMessage(policy=POLICY)
    message["From"] = Address(
        settings.newsletter.from_name or settings.newsletter.name,
        addr_spec=settings.newsletter.from_address,
    )
    if settings.newsletter.reply_to:
        message["Reply-To"] = settings.newsletter.reply_to
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(now)
    domain = settings.newsletter.from_address.rpartition("@")[2]
    message["Message-ID"] = f"<{uuid.uuid4().hex}@{domain}>"
    # RFC 3834: an automatic reply to a request; auto-responders should not answer it.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text, cte="quoted-printable")
    message.add_alternative(rendered.html, subtype="html", cte="quoted-printable")
    # The To line as the digest's own (IDNA domain, a UTF-8 local part as it is), which the
    # email package cannot write: it refuses a UTF-8 local part even under its utf8 policy.
    data = to_header(due.email) + message.as_bytes(policy=POLICY)
    signer = dkim_signer(settings)
    return signer.sign(data) if signer is not None else data


async def send_confirmation(
    rt: Runtime, due: ConfirmationDue, now: datetime, transport: Transport | None = None
) -> SendResult:
    """Send one confirmation mail through the configured transport (file outbox or SMTP).
    A mail that cannot be built, or that the transport raises on, is a failed result with
    its reason (logged), like one the server refused."""
    sender = envelope_sender(rt.settings, rt.signer, due.subject.subscriber_id, due.subject.list_id)
    return await send_single(
        rt,
        "confirmation mail",
        due.email,
        sender,
        lambda: confirmation_message(rt, due, now),
        transport,
    )


async def mail_confirmation(rt: Runtime, due: ConfirmationDue, now: datetime) -> None:
    """Send the confirmation mail whose subscriptions were claimed at now; when it does not go
    (raised, or the server did not answer "sent"), give the claims back so the reader may ask
    again at once, and raise DeliveryError."""
    try:
        result = await send_confirmation(rt, due, now)
        if result.outcome != DeliveryStatus.SENT:
            raise DeliveryError(f"the confirmation mail to {due.email}: {result.reply}")
    except Exception:
        await anyio.to_thread.run_sync(_release, rt, due, now)
        raise


def _release(rt: Runtime, due: ConfirmationDue, now: datetime) -> None:
    with db.transaction(rt.sessions) as session:
        release_confirmation_mail(session, due.claims, sent_at=now)


@dataclass
class ResendReport:
    sent: int = 0
    # A confirmation mail went out within readers.resend_confirmation_minutes: none now.
    too_soon: int = 0
    failed: list[str] = field(default_factory=list)  # "address: why"
    # Addresses asked for that wait for no confirmation, with their state on the list.
    not_pending: dict[str, str] = field(default_factory=dict)


def resend_confirmations(
    rt: Runtime,
    list_id: int,
    emails: list[str] | None,
    now: datetime,
    progress: Progress | None = None,
) -> ResendReport:
    """Mail the confirmation again to the list's pending readers (only these addresses, when
    given), one mail each, within the same resend window as the sign-up form's. A mail that
    does not go is that reader's failure, with its reason; the others go on."""
    report = ResendReport()
    if emails is not None:
        with rt.sessions() as session:
            states = statuses_of(session, list_id, emails)
            waiting = {row.email for row in pending_batch(session, list_id, emails, after=0)}
        for email in emails:
            if email not in waiting:
                report.not_pending[email] = states.get(email, "not on the list")
        emails = [email for email in emails if email in waiting]
        if not emails:
            return report
        total = len(emails)
    else:
        with rt.sessions() as session:
            total = count_by_status(session, list_id)[SubscriptionStatus.PENDING]
    anyio.run(_resend_all, rt, list_id, emails, now, report, total, progress)
    return report


async def _resend_all(
    rt: Runtime,
    list_id: int,
    emails: list[str] | None,
    now: datetime,
    report: ResendReport,
    total: int,
    progress: Progress | None,
) -> None:
    resend_after = timedelta(minutes=rt.settings.readers.resend_confirmation_minutes)
    done, after = 0, 0
    while True:
        batch = await anyio.to_thread.run_sync(_pending, rt, list_id, emails, after)
        if not batch:
            return
        after = batch[-1].subscription_id
        for row in batch:
            due = await anyio.to_thread.run_sync(_claim, rt, row, list_id, now, resend_after)
            if due is None:
                report.too_soon += 1
            else:
                try:
                    await mail_confirmation(rt, due, now)
                    report.sent += 1
                except DeliveryError as exc:
                    report.failed.append(f"{row.email}: {exc.message}")
            done += 1
            if progress is not None:
                progress(done, max(done, total))


def _pending(rt: Runtime, list_id: int, emails: list[str] | None, after: int) -> list[PendingRow]:
    with rt.sessions() as session:
        return pending_batch(session, list_id, emails, after=after)


def _claim(
    rt: Runtime, row: PendingRow, list_id: int, now: datetime, resend_after: timedelta
) -> ConfirmationDue | None:
    """The reader's confirmation mail claimed for now, unless one went out within the window."""
    with db.transaction(rt.sessions) as session:
        previous = session.scalar(
            select(Subscription.confirmation_sent_at).where(Subscription.id == row.subscription_id)
        )
        if not claim_confirmation_mail(
            session, row.subscription_id, now=now, resend_after=resend_after
        ):
            return None
    return ConfirmationDue(
        TokenSubject(row.subscriber_id, list_id),
        row.email,
        row.name,
        (list_id,),
        (MailClaim(row.subscription_id, previous),),
    )
