"""What the reader's pages (subscribers.reader_pages) get from the app: database, clock, pages,
CSRF, the confirmation mail and the deliveries only digest knows about."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from anyio import from_thread
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from digest import db
from digest.config import Settings
from digest.models import Article, Delivery, Issue, ReaderClick
from digest.pipeline.confirming import mail_confirmation
from digest.pipeline.welcoming import send_welcomes
from digest.secret_key import session_key
from digest.web.csrf import check_embedded, check_form, check_site, from_this_site
from digest.web.state import WebState
from subscribers.confirmation_window import MailClaim, claim_confirmation_mail
from subscribers.models import MailingList, Subscription
from subscribers.reader_words import Words
from subscribers.signup import ConfirmationDue
from subscribers.states import SubscriptionStatus
from subscribers.tokens import TokenSigner, TokenSubject

log = logging.getLogger("digest.web")


class WebReaderSite:
    """subscribers.reader_site.ReaderSite over the web app's state."""

    def __init__(self, state: WebState) -> None:
        self.state = state

    @property
    def settings(self) -> Settings:
        return self.state.settings

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.state.rt.sessions

    @property
    def signer(self) -> TokenSigner:
        return self.state.rt.signer

    @property
    def rate_limit_prefix(self) -> str:
        # Derived from the secret, never the secret: the storage's keys name no secret.
        digest = hashlib.sha256(f"rate-limit\0{session_key(self.state.settings)}".encode())
        return f"digest-{digest.hexdigest()[:16]}"

    def now(self) -> datetime:
        return self.state.now()

    def render(
        self,
        request: Request,
        name: str,
        context: Mapping[str, Any],
        *,
        status_code: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        return self.state.pages.render(
            request, name, context, status_code=status_code, headers=headers
        )

    def say(self, words: Words, language: str) -> str:
        return self.state.pages.say(words, language)

    def check_csrf(self, request: Request, form: FormData, *, embeddable: bool = False) -> None:
        settings = self.state.settings
        if embeddable and not from_this_site(request, settings):
            check_embedded(request, settings)
            return
        check_form(request, settings, form)

    def check_same_site(self, request: Request) -> None:
        check_site(request, self.state.settings)

    async def send_confirmation(self, due: ConfirmationDue, now: datetime) -> None:
        try:
            await mail_confirmation(self.state.rt, due, now)
        except Exception:
            # After the response: the reader already saw "check your inbox"; the log says why
            # no mail came (they may sign up again at once: the claim was given back).
            log.exception("the confirmation mail to %s could not be sent", due.email)

    async def send_welcome(
        self, subscriber_id: int, list_ids: tuple[int, ...], now: datetime
    ) -> None:
        try:
            await send_welcomes(self.state.rt, subscriber_id, list_ids, now)
        except Exception:
            log.exception("the welcome mail to subscriber %s could not be sent", subscriber_id)

    def other_data(self, session: Session, subscriber_id: int) -> Mapping[str, Any]:
        rows = session.execute(
            select(Delivery, Issue.number, Issue.subject, MailingList.slug)
            .join(Issue, Issue.id == Delivery.issue_id)
            .join(MailingList, MailingList.id == Issue.list_id)
            .where(Delivery.subscriber_id == subscriber_id)
            .order_by(Delivery.id)
        ).all()
        clicks = session.execute(
            select(Issue.number, MailingList.slug, Article.url, ReaderClick.clicks)
            .join(Issue, Issue.id == ReaderClick.issue_id)
            .join(MailingList, MailingList.id == Issue.list_id)
            .join(Article, Article.id == ReaderClick.article_id)
            .where(ReaderClick.subscriber_id == subscriber_id)
            .order_by(Issue.id, Article.id)
        ).all()
        return {
            # Only with analytics.per_reader: which stories they followed, from which issue.
            "story_clicks": [
                {"list": slug, "issue": number, "story": url, "clicks": n}
                for number, slug, url, n in clicks
            ],
            "deliveries": [
                {
                    "list": slug,
                    "issue": number,
                    "subject": subject,
                    "email": d.email,
                    "status": d.status,
                    "sent_at": d.sent_at.isoformat() if d.sent_at else None,
                }
                for d, number, subject, slug in rows
            ],
        }


class ApiConfirmationMailer:
    """subscribers.api's SendConfirmation: the same confirmation mail as the sign-up form's,
    with the same resend window, for a subscription the API just made pending. Called from the
    API's worker threads; raises when the mail could not be sent (the API answers 503)."""

    def __init__(self, state: WebState) -> None:
        self.state = state

    def __call__(self, subscription_id: int) -> None:
        rt, now = self.state.rt, self.state.now()
        resend_after = timedelta(minutes=rt.settings.readers.resend_confirmation_minutes)
        with db.transaction(rt.sessions) as session:
            subscription = session.get(Subscription, subscription_id)
            if subscription is None or subscription.status != SubscriptionStatus.PENDING:
                return
            previous = subscription.confirmation_sent_at
            if not claim_confirmation_mail(
                session, subscription_id, now=now, resend_after=resend_after
            ):
                return  # one went out a moment ago (or is going out now)
            subscriber = subscription.subscriber
            due = ConfirmationDue(
                TokenSubject(subscriber.id, subscription.list_id),
                subscriber.email,
                subscriber.name,
                (subscription.list_id,),
                (MailClaim(subscription_id, previous),),
            )
        from_thread.run(mail_confirmation, rt, due, now)
