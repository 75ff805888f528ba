"""The reader's sign-up pages: the subscribe form and the confirmation of an address."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from digest.db import claim_transaction
from subscribers import signup
from subscribers.addresses import InvalidAddress, normalise_address
from subscribers.client_network import client_network
from subscribers.embed import HONEYPOT
from subscribers.form_body import limited_form
from subscribers.rate_limit import Attempts, SharedCounts
from subscribers.reader_input import FormProblem, chosen, clean_name, topics_on_offer
from subscribers.reader_page import (
    PRIVATE,
    OfferedList,
    ReaderPage,
    form_text,
    form_texts,
    shared_language,
)
from subscribers.reader_site import ReaderSite
from subscribers.reader_words import Words
from subscribers.refusals import Refusal
from subscribers.tokens import TokenSubject

CONFIRM_WORDING = "Yes, subscribe me (the button of the confirmation page)"

log = logging.getLogger(__name__)


class SignupPages(ReaderPage):
    def __init__(self, site: ReaderSite) -> None:
        super().__init__(site)
        readers = site.settings.readers
        window = timedelta(minutes=readers.rate_window_minutes)
        self.counts = SharedCounts(site.settings.web.rate_limit_storage, site.rate_limit_prefix)
        storage = self.counts.storage
        self.per_ip = Attempts(storage, "client", readers.subscribe_per_ip, window)
        self.per_address = Attempts(storage, "address", readers.subscribe_per_address, window)

    # ------------------------------------------------------------------------- subscribe

    async def subscribe_page(self, request: Request) -> Response:
        offered = await run_in_threadpool(self._offered_lists)
        wanted = request.query_params.get("list")
        ticked = [lst.slug for lst in offered if lst.slug == wanted or len(offered) == 1]
        return self._subscribe_form(request, offered, {"lists": ticked}, {})

    async def subscribe(self, request: Request) -> Response:
        form = await limited_form(request, self.limit)
        # Every answer to this form, a refusal included, in the language of the lists ticked.
        language = self._answer_language(request, form_texts(form, "lists"))
        try:
            # Also from the pages of the sites in readers.embed_origins, which cannot hold our
            # CSRF token: the browser's Origin (or Referer) shows where the form was.
            self.site.check_csrf(request, form, embeddable=True)
        except Refusal as refusal:
            refusal.language = language
            raise
        if form.get(HONEYPOT):
            # A bot: it learns nothing, gets nothing.
            return self._check_your_inbox(request, language)
        now = self.site.now()
        # Per IPv4 address or IPv6 /64: one IPv6 user would have 2^64 allowances otherwise.
        client = client_network(request.client.host if request.client else None)
        if not await self.per_ip.allow(client):
            return self._message(
                request,
                Words("Too many attempts"),
                Words(
                    "Too many sign-ups came from your network in a short time. Please try again "
                    "in an hour."
                ),
                status_code=429,
                language=language,
            )
        offered = await run_in_threadpool(self._offered_lists)
        try:
            request_, address = self._sign_up_request(form, offered)
        except FormProblem as problem:
            values = {
                "email": form_text(form, "email"),
                "name": form_text(form, "name"),
                "lists": form_texts(form, "lists"),
                "topics": form_texts(form, "topics"),
            }
            errors = {problem.field: problem.message}
            return self._subscribe_form(
                request, offered, values, errors, status_code=400, language=language
            )
        response = self._check_your_inbox(request, language)
        if not await self.per_address.allow(address):
            return response  # the same page: nothing tells anyone this address was limited
        # Everything that depends on who the address belongs to runs after the page has gone:
        # a new address is written and committed, a known or suppressed one is not, and when
        # that ran before the answer its time told them apart (24 ms against 8).
        wording = self._consent_shown(language)
        response.background = BackgroundTask(
            self._sign_up_and_mail, request_, now, self._ip(request), wording
        )
        return response

    async def _sign_up_and_mail(
        self, request: signup.SignUp, now: datetime, ip: str | None, wording: str
    ) -> None:
        try:
            due = await run_in_threadpool(self._sign_up, request, now, ip, wording)
        except Exception:
            # The reader has their page already; the log says why nothing came of it.
            log.exception("the sign-up of %s failed after its page was sent", request.email)
            return
        if due is not None:
            await self.site.send_confirmation(due, now)

    def _sign_up_request(
        self, form: FormData, offered: Sequence[OfferedList]
    ) -> tuple[signup.SignUp, str]:
        try:
            address = normalise_address(form_text(form, "email"))
        except InvalidAddress:
            raise FormProblem(
                "email", Words("Enter an email address such as reader@example.org.")
            ) from None
        name = clean_name(form_text(form, "name"))
        slugs = chosen(form_texts(form, "lists"), [lst.slug for lst in offered], "lists")
        if not slugs:
            raise FormProblem("lists", Words("Tick at least one list."))
        topics = chosen(form_texts(form, "topics"), topics_on_offer(self.site.settings), "topics")
        list_ids = [lst.id for lst in offered if lst.slug in slugs]
        return signup.SignUp(address, name, list_ids, topics), address

    def _sign_up(
        self, request: signup.SignUp, now: datetime, ip: str | None, wording: str
    ) -> signup.ConfirmationDue | None:
        readers = self.site.settings.readers
        for attempt in range(2):
            try:
                with claim_transaction(self.site.sessions) as session:
                    return signup.sign_up(
                        session,
                        request,
                        now=now,
                        resend_after=timedelta(minutes=readers.resend_confirmation_minutes),
                        wording=wording,
                        ip_address=ip,
                    )
            except IntegrityError:
                # The same address signed up at the same moment (a double click) and its row
                # was inserted first: the second pass finds it.
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def _subscribe_form(
        self,
        request: Request,
        offered: Sequence[OfferedList],
        values: Mapping[str, Any],
        errors: Mapping[str, Words],
        status_code: int = 200,
        language: str | None = None,
    ) -> Response:
        context = {
            "lists": offered,
            "topics": topics_on_offer(self.site.settings),
            "wording": self._consent(),
            "values": {"email": "", "name": "", "lists": [], "topics": [], **values},
            "errors": errors,
            "honeypot": HONEYPOT,
            "language": language or self._offered_language(request),
        }
        return self.site.render(request, "subscribe.html", context, status_code=status_code)

    def _offered_language(self, request: Request) -> str:
        """The language of the list the page was linked for (?list=slug), else the one every
        list shares, else English."""
        lists = self.site.settings.lists
        asked = [lst.language for lst in lists if lst.slug == request.query_params.get("list")]
        return asked[0] if asked else shared_language(self.site.settings)

    def _answer_language(self, request: Request, ticked: Sequence[str]) -> str:
        """The answer to a posted form: the language the ticked lists share (from the settings
        alone: the answer takes as long whoever the address belongs to), else the page's."""
        languages = {lst.language for lst in self.site.settings.lists if lst.slug in ticked}
        return languages.pop() if len(languages) == 1 else self._offered_language(request)

    def _check_your_inbox(self, request: Request, language: str) -> Response:
        return self._message(
            request,
            Words("Check your inbox"),
            Words(
                "If this address can receive our lists, a mail with a confirmation link is on "
                "its way to it. Open the link to start receiving them; nothing is sent until then."
            ),
            language=language,
        )

    # --------------------------------------------------------------------------- confirm

    async def confirm_page(self, request: Request) -> Response:
        """Only shows a button: mail scanners open every link, and must not confirm anyone."""
        subject = self._subject(request, "confirm")
        if subject is None:
            return await self._expired_confirmation(request)
        language = await run_in_threadpool(self._language, subject.list_id)
        return self.site.render(
            request,
            "confirm.html",
            {"action": request.url.path, "language": language},
            headers=PRIVATE,
        )

    async def confirm(self, request: Request) -> Response:
        async with self._refusals_in_links_language(request, "confirm"):
            form = await limited_form(request, self.limit)
            self.site.check_csrf(request, form)
        subject = self._subject(request, "confirm")
        if subject is None:
            return await self._expired_confirmation(request)
        now = self.site.now()
        outcome, confirmed = await run_in_threadpool(self._confirm, subject, now, self._ip(request))
        if outcome == "gone":
            return await self._expired_confirmation(request)
        title = (
            Words("You are subscribed") if outcome == "confirmed" else Words("Already confirmed")
        )
        response = self.site.render(
            request,
            "confirmed.html",
            {
                "title": title,
                "preferences_url": self._link("preferences", subject),
                "language": await run_in_threadpool(self._language, subject.list_id),
            },
            headers=PRIVATE,
        )
        if confirmed:  # only the click that confirmed them: a second click welcomes nobody
            response.background = BackgroundTask(
                self.site.send_welcome, subject.subscriber_id, confirmed, now
            )
        return response

    def _confirm(
        self, subject: TokenSubject, now: datetime, ip: str | None
    ) -> tuple[signup.Confirmed, tuple[int, ...]]:
        with claim_transaction(self.site.sessions) as session:
            return signup.confirm_lists(
                session, subject, now=now, wording=CONFIRM_WORDING, ip_address=ip
            )

    async def _expired_confirmation(self, request: Request) -> Response:
        """In the language of the link's list when it is ours but expired, else the shared one."""
        ours = self._subject_of_expired(request, "confirm")
        language = (
            shared_language(self.site.settings)
            if ours is None
            else await run_in_threadpool(self._language, ours.list_id)
        )
        return self._message(
            request,
            Words("This link does not work"),
            Words(
                "This confirmation link is not valid or has expired. Subscribe again to receive "
                "a new one."
            ),
            status_code=400,
            language=language,
        )
