"""The reader's web pages: subscribe, confirm, one-click unsubscribe and preferences.

Every page that acts on someone is reached through a signed token made for one purpose
(subscribers.tokens). Every form carries a CSRF token but the one-click unsubscribe POST of
RFC 8058, which a mail client sends with no cookie: there the token in the URL is the proof.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from digest.db import claim_transaction
from subscribers import preferences, signup
from subscribers.addresses import InvalidAddress, normalise_address
from subscribers.client_network import client_network
from subscribers.form_body import limited_body, limited_form
from subscribers.models import MailingList
from subscribers.rate_limit import SlidingWindow
from subscribers.reader_input import (
    FormProblem,
    chosen,
    clean_name,
    clean_timezone,
    topics_on_offer,
)
from subscribers.reader_site import ReaderSite
from subscribers.tokens import Purpose, TokenSubject

# Pages behind a reader's token: never cached. (The app's Referrer-Policy, same-origin, keeps
# the token from other sites; no-referrer would make browsers send "Origin: null" with the
# page's own forms, which the CSRF check rightly refuses.)
PRIVATE = {"Cache-Control": "no-store"}
HONEYPOT = "website"  # hidden from people by the stylesheet; bots fill it in
CONFIRM_WORDING = "Yes, subscribe me (the button of the confirmation page)"
ONE_CLICK_WORDING = "List-Unsubscribe=One-Click (the unsubscribe link or button of a digest)"

log = logging.getLogger("subscribers.reader_pages")


@dataclass(frozen=True)
class OfferedList:
    id: int
    slug: str
    name: str


class ReaderPages:
    def __init__(self, site: ReaderSite) -> None:
        self.site = site
        readers = site.settings.readers
        window = timedelta(minutes=readers.rate_window_minutes)
        self.per_ip = SlidingWindow(readers.subscribe_per_ip, window)
        self.per_address = SlidingWindow(readers.subscribe_per_address, window)
        self.limit = readers.max_body_bytes

    def routes(self) -> list[Route]:
        return [
            Route("/subscribe", self.subscribe_page, methods=["GET"], name="subscribe"),
            Route("/subscribe", self.subscribe, methods=["POST"]),
            Route("/confirm/{token}", self.confirm_page, methods=["GET"], name="confirm"),
            Route("/confirm/{token}", self.confirm, methods=["POST"]),
            Route("/u/{token}", self.unsubscribe_page, methods=["GET"], name="unsubscribe"),
            Route("/u/{token}", self.unsubscribe, methods=["POST"]),
            Route("/p/{token}", self.preferences_page, methods=["GET"], name="preferences"),
            Route("/p/{token}", self.save_preferences, methods=["POST"]),
            Route("/p/{token}/leave", self.leave, methods=["POST"]),
            Route("/p/{token}/export", self.export, methods=["POST"]),
            Route("/p/{token}/erase", self.erase, methods=["POST"]),
        ]

    # ------------------------------------------------------------------------- subscribe

    async def subscribe_page(self, request: Request) -> Response:
        offered = await run_in_threadpool(self._offered_lists)
        wanted = request.query_params.get("list")
        ticked = [lst.slug for lst in offered if lst.slug == wanted or len(offered) == 1]
        return self._subscribe_form(request, offered, {"lists": ticked}, {})

    async def subscribe(self, request: Request) -> Response:
        form = await limited_form(request, self.limit)
        self.site.check_csrf(request, form)
        if form.get(HONEYPOT):
            return self._check_your_inbox(request)  # a bot: it learns nothing, gets nothing
        now = self.site.now()
        # Per IPv4 address or IPv6 /64: one IPv6 user would have 2^64 allowances otherwise.
        client = client_network(request.client.host if request.client else None)
        if not self.per_ip.allow(client, now):
            return self._message(
                request,
                "Too many attempts",
                "Too many sign-ups came from your network in a short time. Please try again "
                "in an hour.",
                status_code=429,
            )
        offered = await run_in_threadpool(self._offered_lists)
        try:
            request_, address = self._sign_up_request(form, offered)
        except FormProblem as problem:
            values = {
                "email": _text(form, "email"),
                "name": _text(form, "name"),
                "lists": _texts(form, "lists"),
                "topics": _texts(form, "topics"),
            }
            errors = {problem.field: problem.message}
            return self._subscribe_form(request, offered, values, errors, status_code=400)
        response = self._check_your_inbox(request)
        if not self.per_address.allow(address, now):
            return response  # the same page: nothing tells anyone this address was limited
        # Everything that depends on who the address belongs to runs after the page has gone:
        # a new address is written and committed, a known or suppressed one is not, and when
        # that ran before the answer its time told them apart (24 ms against 8).
        response.background = BackgroundTask(
            self._sign_up_and_mail, request_, now, self._ip(request)
        )
        return response

    async def _sign_up_and_mail(
        self, request: signup.SignUp, now: datetime, ip: str | None
    ) -> None:
        try:
            due = await run_in_threadpool(self._sign_up, request, now, ip)
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
            address = normalise_address(_text(form, "email"))
        except InvalidAddress:
            raise FormProblem(
                "email", "Enter an email address such as reader@example.org."
            ) from None
        name = clean_name(_text(form, "name"))
        slugs = chosen(_texts(form, "lists"), [lst.slug for lst in offered], "lists")
        if not slugs:
            raise FormProblem("lists", "Tick at least one list.")
        topics = chosen(_texts(form, "topics"), topics_on_offer(self.site.settings), "topics")
        list_ids = [lst.id for lst in offered if lst.slug in slugs]
        return signup.SignUp(address, name, list_ids, topics), address

    def _sign_up(
        self, request: signup.SignUp, now: datetime, ip: str | None
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
                        wording=readers.consent_wording,
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
        errors: Mapping[str, str],
        status_code: int = 200,
    ) -> Response:
        context = {
            "lists": offered,
            "topics": topics_on_offer(self.site.settings),
            "wording": self.site.settings.readers.consent_wording,
            "values": {"email": "", "name": "", "lists": [], "topics": [], **values},
            "errors": errors,
            "honeypot": HONEYPOT,
        }
        return self.site.render(request, "subscribe.html", context, status_code=status_code)

    def _check_your_inbox(self, request: Request) -> Response:
        return self._message(
            request,
            "Check your inbox",
            "If this address can receive our lists, a mail with a confirmation link is on its "
            "way to it. Open the link to start receiving them; nothing is sent until then.",
        )

    # --------------------------------------------------------------------------- confirm

    async def confirm_page(self, request: Request) -> Response:
        """Only shows a button: mail scanners open every link, and must not confirm anyone."""
        subject = self._subject(request, "confirm")
        if subject is None:
            return self._expired_confirmation(request)
        return self.site.render(
            request, "confirm.html", {"action": request.url.path}, headers=PRIVATE
        )

    async def confirm(self, request: Request) -> Response:
        form = await limited_form(request, self.limit)
        self.site.check_csrf(request, form)
        subject = self._subject(request, "confirm")
        if subject is None:
            return self._expired_confirmation(request)
        outcome = await run_in_threadpool(self._confirm, subject, self._ip(request))
        if outcome == "gone":
            return self._expired_confirmation(request)
        title = "You are subscribed" if outcome == "confirmed" else "Already confirmed"
        return self.site.render(
            request,
            "confirmed.html",
            {"title": title, "preferences_url": self._link("preferences", subject)},
            headers=PRIVATE,
        )

    def _confirm(self, subject: TokenSubject, ip: str | None) -> signup.Confirmed:
        with claim_transaction(self.site.sessions) as session:
            return signup.confirm(
                session, subject, now=self.site.now(), wording=CONFIRM_WORDING, ip_address=ip
            )

    def _expired_confirmation(self, request: Request) -> Response:
        return self._message(
            request,
            "This link does not work",
            "This confirmation link is not valid or has expired. Subscribe again to receive a "
            "new one.",
            status_code=400,
        )

    # ----------------------------------------------------------------------- unsubscribe

    async def unsubscribe_page(self, request: Request) -> Response:
        subject = self._subject(request, "unsubscribe")
        if subject is None:
            return self._bad_link(request)
        list_name = await run_in_threadpool(self._list_name, subject.list_id)
        context = {
            "list_name": list_name,
            "action": request.url.path,
            "preferences_url": self._link("preferences", subject),
        }
        return self.site.render(request, "unsubscribe.html", context, headers=PRIVATE)

    async def unsubscribe(self, request: Request) -> Response:
        """RFC 8058 one-click: whatever the body says (List-Unsubscribe=One-Click, urlencoded
        or multipart), the signed token is the proof; no cookie, no CSRF token, no redirect."""
        await limited_body(request, self.limit)
        subject = self._subject(request, "unsubscribe")
        if subject is None:
            return self._bad_link(request)
        list_name = await run_in_threadpool(self._unsubscribe, subject, self._ip(request))
        context = {
            "list_name": list_name,
            "preferences_url": self._link("preferences", subject),
        }
        return self.site.render(request, "unsubscribed.html", context, headers=PRIVATE)

    def _unsubscribe(self, subject: TokenSubject, ip: str | None) -> str:
        with claim_transaction(self.site.sessions) as session:
            preferences.unsubscribe(
                session,
                subject.subscriber_id,
                subject.list_id,
                now=self.site.now(),
                method="email",
                wording=ONE_CLICK_WORDING,
                ip_address=ip,
            )
            return _list_name(session, subject.list_id)

    # ----------------------------------------------------------------------- preferences

    async def preferences_page(self, request: Request) -> Response:
        subject = self._subject(request, "preferences")
        if subject is None:
            return self._bad_link(request)
        return await self._preferences(request, subject)

    async def _preferences(
        self,
        request: Request,
        subject: TokenSubject,
        notice: str | None = None,
        errors: Mapping[str, str] | None = None,
    ) -> Response:
        offered = [lst.slug for lst in self.site.settings.lists]

        def read() -> preferences.Preferences | None:
            with self.site.sessions() as session:
                return preferences.preferences_of(session, subject.subscriber_id, offered)

        prefs = await run_in_threadpool(read)
        if prefs is None:
            return self._forgotten(request)
        context = {
            "prefs": prefs,
            "topics": topics_on_offer(self.site.settings),
            "wording": self.site.settings.readers.consent_wording,
            "notice": notice,
            "errors": errors or {},
            "base": request.url.path.rstrip("/"),
        }
        status = 400 if errors else 200
        return self.site.render(
            request, "preferences.html", context, status_code=status, headers=PRIVATE
        )

    async def save_preferences(self, request: Request) -> Response:
        form, subject = await self._token_form(request)
        if subject is None:
            return self._bad_link(request)
        offered = await run_in_threadpool(self._offered_lists)
        offered_slugs = [lst.slug for lst in offered]

        def read() -> preferences.Preferences | None:
            with self.site.sessions() as session:
                return preferences.preferences_of(session, subject.subscriber_id, offered_slugs)

        prefs = await run_in_threadpool(read)
        if prefs is None:
            return self._forgotten(request)
        # The lists the page showed: those on offer and the reader's own, even one no longer
        # offered (taken out of config.yaml), which they may keep but nobody may join.
        shown = {choice.slug: choice.list_id for choice in prefs.lists}
        try:
            name = clean_name(_text(form, "name"))
            zone = clean_timezone(_text(form, "timezone"))
            topics = chosen(_texts(form, "topics"), topics_on_offer(self.site.settings), "topics")
            slugs = chosen(_texts(form, "lists"), list(shown), "lists")
        except FormProblem as problem:
            errors = {problem.field: problem.message}
            return await self._preferences(request, subject, errors=errors)
        readers = self.site.settings.readers

        def save() -> None:
            with claim_transaction(self.site.sessions) as session:
                preferences.update_preferences(
                    session,
                    subject.subscriber_id,
                    name=name,
                    timezone=zone,
                    topics=topics,
                    list_ids={shown[slug] for slug in slugs},
                    offered_list_ids={lst.id for lst in offered},
                    now=self.site.now(),
                    wording=readers.consent_wording,
                    ip_address=self._ip(request),
                )

        await run_in_threadpool(save)
        return await self._preferences(request, subject, notice="Your preferences are saved.")

    async def leave(self, request: Request) -> Response:
        _form, subject = await self._token_form(request)
        if subject is None:
            return self._bad_link(request)

        def leave_all() -> int:
            with claim_transaction(self.site.sessions) as session:
                return preferences.leave_everything(
                    session,
                    subject.subscriber_id,
                    now=self.site.now(),
                    wording="Leave everything (the button of the preferences page)",
                    ip_address=self._ip(request),
                )

        await run_in_threadpool(leave_all)
        return await self._preferences(
            request, subject, notice="You have left every list: nothing more will be sent."
        )

    async def export(self, request: Request) -> Response:
        _form, subject = await self._token_form(request)
        if subject is None:
            return self._bad_link(request)

        def gather() -> dict[str, Any] | None:
            with self.site.sessions() as session:
                data = preferences.export_data(session, subject.subscriber_id)
                if data is not None:
                    data.update(self.site.other_data(session, subject.subscriber_id))
                return data

        data = await run_in_threadpool(gather)
        if data is None:
            return self._forgotten(request)
        body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
        return Response(
            body.encode("utf-8"),
            media_type="application/json",
            headers={**PRIVATE, "Content-Disposition": 'attachment; filename="my-data.json"'},
        )

    async def erase(self, request: Request) -> Response:
        form, subject = await self._token_form(request)
        if subject is None:
            return self._bad_link(request)
        if form.get("sure") != "yes":
            return await self._preferences(
                request, subject, errors={"erase": "Tick the box to say you are sure."}
            )

        def forget() -> bool:
            with claim_transaction(self.site.sessions) as session:
                return preferences.erase(session, subject.subscriber_id)

        await run_in_threadpool(forget)
        return self._message(
            request,
            "Erased",
            "Everything we held about you is erased: your address, your name, your choices, "
            "your consent records and what we sent you. Nothing more will be sent.",
        )

    # ---------------------------------------------------------------------------- shared

    async def _token_form(self, request: Request) -> tuple[FormData, TokenSubject | None]:
        form = await limited_form(request, self.limit)
        self.site.check_csrf(request, form)
        return form, self._subject(request, "preferences")

    def _subject(self, request: Request, purpose: Purpose) -> TokenSubject | None:
        token = str(request.path_params["token"])
        if len(token) > 500:
            return None
        if purpose == "confirm":
            max_age = timedelta(days=self.site.settings.readers.confirm_token_days)
            return self.site.signer.verify(purpose, token, now=self.site.now(), max_age=max_age)
        return self.site.signer.verify(purpose, token)

    def _link(self, purpose: Purpose, subject: TokenSubject) -> str:
        token = self.site.signer.sign(purpose, subject)
        prefix = {"preferences": "/p/", "unsubscribe": "/u/"}[purpose]
        return prefix + token

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
            return _list_name(session, list_id)

    def _bad_link(self, request: Request) -> Response:
        return self._message(
            request,
            "This link does not work",
            "This link is not valid: it may have been cut short. Use the link at the bottom "
            "of the latest digest you received.",
            status_code=400,
        )

    def _forgotten(self, request: Request) -> Response:
        return self._message(
            request,
            "Nothing stored",
            "We hold nothing about this address any more.",
            status_code=404,
        )

    def _message(
        self, request: Request, title: str, message: str, status_code: int = 200
    ) -> Response:
        return self.site.render(
            request,
            "message.html",
            {"title": title, "message": message},
            status_code=status_code,
            headers=PRIVATE,
        )


def _list_name(session: Session, list_id: int) -> str:
    return session.scalar(select(MailingList.name).where(MailingList.id == list_id)) or "this list"


def _text(form: FormData, field: str) -> str:
    value = form.get(field)
    return value if isinstance(value, str) else ""


def _texts(form: FormData, field: str) -> list[str]:
    return [v for v in form.getlist(field) if isinstance(v, str)]
