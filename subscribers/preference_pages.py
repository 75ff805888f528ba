"""The reader's own pages behind a token: unsubscribe, preferences, export and erasure."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from digest.db import claim_transaction
from subscribers import preferences
from subscribers.fields import zone_names
from subscribers.form_body import limited_body
from subscribers.leaving_pages import LeavingPages
from subscribers.models import Subscription
from subscribers.reader_input import (
    FormProblem,
    chosen,
    clean_name,
    clean_timezone,
    topics_on_offer,
)
from subscribers.reader_page import PRIVATE, ReaderPage, form_text, form_texts, list_name_of
from subscribers.reader_site import ReaderSite
from subscribers.reader_words import Words
from subscribers.states import SubscriptionStatus
from subscribers.tokens import TokenSubject

ONE_CLICK_WORDING = "List-Unsubscribe=One-Click (the unsubscribe link or button of a digest)"


def as_typed(prefs: preferences.Preferences, form: FormData) -> preferences.Preferences:
    """The reader's choices as they typed them (a refused save shows them back, not the stored
    ones: nothing typed is lost). Shown escaped, as every value on a page is."""
    ticked = set(form_texts(form, "lists"))
    return replace(
        prefs,
        name=form_text(form, "name")[:200] or None,
        timezone=form_text(form, "timezone")[:64] or None,
        topics=tuple(form_texts(form, "topics")),
        lists=tuple(replace(choice, subscribed=choice.slug in ticked) for choice in prefs.lists),
    )


class PreferencePages(ReaderPage):
    def __init__(self, site: ReaderSite) -> None:
        super().__init__(site)
        self.leaving = LeavingPages(site)

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
            "language": await run_in_threadpool(self._language, subject.list_id),
        }
        return self.site.render(request, "unsubscribe.html", context, headers=PRIVATE)

    async def unsubscribe(self, request: Request) -> Response:
        """RFC 8058 one-click: whatever the body says (List-Unsubscribe=One-Click, urlencoded
        or multipart), the signed token is the proof; no cookie, no CSRF token, no redirect.
        The page offers the undo (and asks why) when this request ended a confirmed
        subscription."""
        async with self._refusals_in_links_language(request, "unsubscribe"):
            await limited_body(request, self.limit)
        subject = self._subject(request, "unsubscribe")
        if subject is None:
            return self._bad_link(request)
        now = self.site.now()
        list_name, left = await run_in_threadpool(
            self._unsubscribe, subject, now, self._ip(request)
        )
        token = self.site.signer.sign("left", subject, issued_at=now) if left else None
        language = await run_in_threadpool(self._language, subject.list_id)
        return self.leaving.unsubscribed_page(request, subject, list_name, token, language=language)

    def _unsubscribe(
        self, subject: TokenSubject, now: datetime, ip: str | None
    ) -> tuple[str, bool]:
        """The list's name, and whether this ended a confirmed subscription."""
        with claim_transaction(self.site.sessions) as session:
            was = session.scalar(
                select(Subscription.status).where(
                    Subscription.subscriber_id == subject.subscriber_id,
                    Subscription.list_id == subject.list_id,
                )
            )
            ended = preferences.unsubscribe(
                session,
                subject.subscriber_id,
                subject.list_id,
                now=now,
                method="email",
                wording=ONE_CLICK_WORDING,
                ip_address=ip,
            )
            left = ended and was == SubscriptionStatus.CONFIRMED
            return list_name_of(session, subject.list_id), left

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
        notice: Words | None = None,
        errors: Mapping[str, Words] | None = None,
        typed: FormData | None = None,
    ) -> Response:
        """The reader's page; after a refused save (typed), with what they typed kept."""
        offered = [lst.slug for lst in self.site.settings.lists]

        def read() -> preferences.Preferences | None:
            with self.site.sessions() as session:
                return preferences.preferences_of(session, subject.subscriber_id, offered)

        prefs = await run_in_threadpool(read)
        if prefs is None:
            return await self._forgotten(request, subject)
        language = await run_in_threadpool(self._language, subject.list_id)
        if typed is not None:
            prefs = as_typed(prefs, typed)
        context = {
            "prefs": prefs,
            "zones": zone_names(),
            "topics": topics_on_offer(self.site.settings),
            "wording": self._consent(),
            # Readers are told when the stories they follow are recorded as theirs.
            "clicks_per_reader": self.site.settings.analytics.per_reader,
            "notice": notice,
            "errors": errors or {},
            "base": request.url.path.rstrip("/"),
            "language": language,
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
            return await self._forgotten(request, subject)
        # The lists the page showed: those on offer and the reader's own, even one no longer
        # offered (taken out of config.yaml), which they may keep but nobody may join.
        shown = {choice.slug: choice.list_id for choice in prefs.lists}
        try:
            name = clean_name(form_text(form, "name"))
            zone = clean_timezone(form_text(form, "timezone"))
            topics = chosen(
                form_texts(form, "topics"), topics_on_offer(self.site.settings), "topics"
            )
            slugs = chosen(form_texts(form, "lists"), list(shown), "lists")
        except FormProblem as problem:
            errors = {problem.field: problem.message}
            return await self._preferences(request, subject, errors=errors, typed=form)
        # What the reader read beside the button, kept word for word in their consent record.
        wording = self._consent_shown(await run_in_threadpool(self._language, subject.list_id))

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
                    wording=wording,
                    ip_address=self._ip(request),
                )

        await run_in_threadpool(save)
        return await self._preferences(
            request, subject, notice=Words("Your preferences are saved.")
        )

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
            request,
            subject,
            notice=Words("You have left every list: nothing more will be sent."),
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
            return await self._forgotten(request, subject)
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
                request, subject, errors={"erase": Words("Tick the box to say you are sure.")}
            )

        def forget() -> bool:
            with claim_transaction(self.site.sessions) as session:
                return preferences.erase(session, subject.subscriber_id)

        # Asked before the erasure: the list stays, the reader's link to it does not.
        language = await run_in_threadpool(self._language, subject.list_id)
        await run_in_threadpool(forget)
        return self._message(
            request,
            Words("Erased"),
            Words(
                "Everything we held about you is erased: your address, your name, your choices, "
                "your consent records and what we sent you. Nothing more will be sent."
            ),
            language=language,
        )
