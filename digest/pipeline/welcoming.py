"""The welcome mail of a reader who has just confirmed a list (lists[].welcome): rendered in
the list's language, built like an issue's message (List-Id, List-Unsubscribe one-click), sent
by itself like the confirmation mail."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import anyio
from sqlalchemy import select

from digest.config import ListSettings
from digest.delivery.dkim import dkim_signer
from digest.delivery.envelope import envelope_sender, message_template, personal
from digest.delivery.transport import SendResult, Transport
from digest.models import Issue
from digest.pipeline.composing import issues_of
from digest.pipeline.rendering import archive_url, signed_recipient
from digest.pipeline.runtime import Runtime
from digest.pipeline.single_mail import send_single
from digest.render.email import WelcomeView
from digest.states import IssueStatus
from subscribers import reader_urls
from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.states import SubscriberStatus, SubscriptionStatus


@dataclass(frozen=True)
class WelcomeDue:
    subscriber_id: int
    list_id: int
    email: str
    name: str | None
    list_settings: ListSettings
    latest: tuple[int, str] | None  # the latest issue that went out: number, subject


def welcome_due(rt: Runtime, subscriber_id: int, list_id: int) -> WelcomeDue | None:
    """What the welcome mail needs, or None when none is due: the list is not in config.yaml or
    has welcome: false, or the reader is no longer a confirmed, active subscriber of it."""
    with rt.sessions() as session:
        row = session.execute(
            select(Subscriber.email, Subscriber.name, MailingList.slug)
            .join(Subscription, Subscription.subscriber_id == Subscriber.id)
            .join(MailingList, MailingList.id == Subscription.list_id)
            .where(
                Subscriber.id == subscriber_id,
                Subscriber.status == SubscriberStatus.ACTIVE,
                Subscription.list_id == list_id,
                Subscription.status == SubscriptionStatus.CONFIRMED,
            )
        ).first()
        if row is None:
            return None
        email, name, slug = row
        lst = next((lst for lst in rt.settings.lists if lst.slug == slug), None)
        if lst is None or not lst.welcome:
            return None
        latest = session.execute(
            issues_of(slug)
            .where(Issue.status != IssueStatus.DRAFT)
            .with_only_columns(Issue.number, Issue.subject)
            .limit(1)
        ).first()
    return WelcomeDue(
        subscriber_id, list_id, email, name, lst, None if latest is None else (latest[0], latest[1])
    )


def welcome_message(rt: Runtime, due: WelcomeDue, now: datetime) -> bytes:
    """The mail's bytes, with the reader's own unsubscribe and preferences links."""
    settings, lst = rt.settings, due.list_settings
    base = settings.newsletter.base_url
    view = WelcomeView(
        newsletter_name=settings.newsletter.name,
        list_name=lst.name,
        language=lst.language,
        reader_name=due.name,
        archive_url=base + reader_urls.archive_list_path(lst.slug),
        latest_issue_url=None
        if due.latest is None
        else archive_url(settings, lst.slug, due.latest[0]),
        latest_issue_subject=None if due.latest is None else due.latest[1],
        postal_address=settings.newsletter.postal_address,
        subject=rt.renderer.translate(lst.language, settings.readers.welcome_subject).format(
            newsletter=settings.newsletter.name, list=lst.name
        ),
    )
    rendered = rt.renderer.render_welcome(view)
    assert rendered.markers is not None
    template = message_template(settings, lst.slug, rendered, now)
    recipient = signed_recipient(rt, due.subscriber_id, due.list_id, due.email)
    data, _message_id = template.build(personal(settings, recipient, rendered.markers))
    signer = dkim_signer(settings)
    return signer.sign(data) if signer is not None else data


async def send_welcomes(
    rt: Runtime,
    subscriber_id: int,
    list_ids: Iterable[int],
    now: datetime,
    transport: Transport | None = None,
) -> list[SendResult]:
    """One welcome mail per list just confirmed that wants one. The caller confirmed them (a
    list is confirmed once: signup.confirm_lists), so each goes once; one that fails is
    logged with its reason and not tried again (the reader is subscribed all the same)."""
    results = []
    for list_id in list_ids:
        due = await anyio.to_thread.run_sync(welcome_due, rt, subscriber_id, list_id)
        if due is None:
            continue
        sender = envelope_sender(rt.settings, rt.signer, subscriber_id, list_id)
        results.append(
            await send_single(
                rt,
                "welcome mail",
                due.email,
                sender,
                functools.partial(welcome_message, rt, due, now),
                transport,
            )
        )
    return results
