"""What every reader page shares: the site, the token check, the lists on offer, messages in
the list's language."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from digest.config import Settings
from subscribers.form_body import limited_form
from subscribers.models import MailingList
from subscribers.reader_site import ReaderSite
from subscribers.reader_urls import ReaderLink, reader_path
from subscribers.reader_words import Words
from subscribers.refusals import Refusal
from subscribers.tokens import EXPIRING, Purpose, TokenSubject

# Pages behind a reader's token: never cached. (The app's Referrer-Policy, same-origin, keeps
# the token from other sites; no-referrer would make browsers send "Origin: null" with the
# page's own forms, which the CSRF check rightly refuses.)
PRIVATE = {"Cache-Control": "no-store"}
# The consent sentence config.yaml ships (readers.consent_wording's default), in the catalogue:
# left at it, a reader reads it, and their consent record keeps it, in their page's language.
DEFAULT_CONSENT = Words(
    "Yes, send me the lists I ticked by email. I can unsubscribe at any time with the link in "
    "every email."
)
# Older than any link of ours: a token that old is not expired but forged.
EVER = timedelta(days=3650)


@dataclass(frozen=True)
class OfferedList:
    id: int
    slug: str
    name: str


class ReaderPage:
    """The base of the reader's page groups; each adds its routes' handlers."""

    def __init__(self, site: ReaderSite) -> None:
        self.site = site
        self.limit = site.settings.readers.max_body_bytes

    async def _token_form(self, request: Request) -> tuple[FormData, TokenSubject | None]:
        async with self._refusals_in_links_language(request, "preferences"):
            form = await limited_form(request, self.limit)
            self.site.check_csrf(request, form)
        return form, self._subject(request, "preferences")

    @asynccontextmanager
    async def _refusals_in_links_language(
        self, request: Request, purpose: Purpose
    ) -> AsyncIterator[None]:
        """A refusal raised inside (not a form, a form from another site or without its CSRF
        token) speaks the language of the list the page's link names, expired or not."""
        try:
            yield
        except Refusal as refusal:
            subject = self._subject_of_expired(request, purpose)
            if subject is not None and refusal.language is None:
                refusal.language = await run_in_threadpool(self._language, subject.list_id)
            raise

    def _subject(self, request: Request, purpose: Purpose) -> TokenSubject | None:
        token = _token(request)
        if token is None:
            return None
        if purpose == "confirm":
            max_age = timedelta(days=self.site.settings.readers.confirm_token_days)
            return self.site.signer.verify(purpose, token, now=self.site.now(), max_age=max_age)
        return self.site.signer.verify(purpose, token)

    def _subject_of_expired(self, request: Request, purpose: Purpose) -> TokenSubject | None:
        """Whom a link of ours names, however old (only to speak its list's language)."""
        token = _token(request)
        if token is None:
            return None
        if purpose in EXPIRING:
            return self.site.signer.verify(purpose, token, now=self.site.now(), max_age=EVER)
        return self.site.signer.verify(purpose, token)

    def _link(self, purpose: ReaderLink, subject: TokenSubject) -> str:
        token = self.site.signer.sign(purpose, subject)
        return reader_path(purpose, token)

    def _ip(self, request: Request) -> str | None:
        if not self.site.settings.readers.record_ip or request.client is None:
            return None
        return request.client.host

    def _offered_lists(self) -> list[OfferedList]:
        slugs = [lst.slug for lst in self.site.settings.lists]
        with self.site.sessions() as session:
            rows = session.execute(
                select(MailingList.id, MailingList.slug).where(MailingList.slug.in_(slugs))
            )
            ids = {slug: id_ for id_, slug in rows}
        return [
            OfferedList(ids[lst.slug], lst.slug, lst.name)
            for lst in self.site.settings.lists
            if lst.slug in ids
        ]

    def _list_name(self, list_id: int) -> str:
        with self.site.sessions() as session:
            return list_name_of(session, list_id)

    def _language(self, list_id: int) -> str:
        """The language of a list's pages (lists[].language); English for one not configured."""
        with self.site.sessions() as session:
            slug = session.scalar(select(MailingList.slug).where(MailingList.id == list_id))
        return next((lst.language for lst in self.site.settings.lists if lst.slug == slug), "en")

    def _consent(self) -> Words | str:
        return consent_words(self.site.settings)

    def _consent_shown(self, language: str) -> str:
        """The consent sentence as a reader of that language read it: what their record keeps."""
        wording = self._consent()
        return self.site.say(wording, language) if isinstance(wording, Words) else wording

    def _bad_link(self, request: Request) -> Response:
        """A link that names no one: in the language every list shares (else English)."""
        return self._message(
            request,
            Words("This link does not work"),
            Words(
                "This link is not valid: it may have been cut short. Use the link at the bottom "
                "of the latest digest you received."
            ),
            status_code=400,
            language=shared_language(self.site.settings),
        )

    async def _forgotten(self, request: Request, subject: TokenSubject) -> Response:
        return await self._list_message(
            request,
            subject,
            Words("Nothing stored"),
            Words("We hold nothing about this address any more."),
            status_code=404,
        )

    async def _list_message(
        self,
        request: Request,
        subject: TokenSubject,
        title: Words,
        message: Words,
        status_code: int = 200,
    ) -> Response:
        """A message in the language of the subject's list."""
        language = await run_in_threadpool(self._language, subject.list_id)
        return self._message(request, title, message, language=language, status_code=status_code)

    def _message(
        self,
        request: Request,
        title: Words,
        message: Words,
        *,
        language: str,
        status_code: int = 200,
    ) -> Response:
        return self.site.render(
            request,
            "message.html",
            {"title": title, "message": message, "language": language},
            status_code=status_code,
            headers=PRIVATE,
        )


def _token(request: Request) -> str | None:
    """The token of the page's link; None when it is too long to be one of ours."""
    token = str(request.path_params["token"])
    return token if len(token) <= 500 else None


def consent_words(settings: Settings) -> Words | str:
    """The consent sentence to show: the catalogue's when it is the default, else the site's
    own words as written."""
    wording = settings.readers.consent_wording
    return DEFAULT_CONSENT if wording == DEFAULT_CONSENT.text else wording


def shared_language(settings: Settings) -> str:
    """The language of a page that names no list: the one every list shares, else English."""
    shared = {lst.language for lst in settings.lists}
    return shared.pop() if len(shared) == 1 else "en"


def list_name_of(session: Session, list_id: int) -> str:
    return session.scalar(select(MailingList.name).where(MailingList.id == list_id)) or "this list"


def form_text(form: FormData, field: str) -> str:
    value = form.get(field)
    return value if isinstance(value, str) else ""


def form_texts(form: FormData, field: str) -> list[str]:
    return [v for v in form.getlist(field) if isinstance(v, str)]
