"""The page after an unsubscribe, with its two forms: undo (for readers.undo_unsubscribe_hours)
and the one optional question, why they left. Neither is needed to be unsubscribed.

The page answers the one-click POST, which sets no cookie (a mail client sends it), so its
forms cannot carry the session's CSRF token. Each carries instead the signed "left" token of
that one unsubscribe, which only the page's reader was shown and no other site can make, and a
post that the browser says came from another site is refused as well."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from digest.db import claim_transaction
from subscribers import leaving
from subscribers.form_body import limited_form
from subscribers.reader_input import (
    DETAIL_MAX,
    REASON_LABELS,
    FormProblem,
    clean_detail,
    clean_leave_reason,
)
from subscribers.reader_page import EVER, PRIVATE, ReaderPage, form_text, list_name_of
from subscribers.reader_urls import reader_path
from subscribers.reader_words import Words
from subscribers.tokens import TokenSubject

UNDO_WORDING = "Undo (the button of the page shown after unsubscribing)"


class LeavingPages(ReaderPage):
    def unsubscribed_page(
        self,
        request: Request,
        subject: TokenSubject,
        list_name: str,
        left_token: str | None,
        *,
        errors: Mapping[str, Words] | None = None,
        values: Mapping[str, str] | None = None,
        status_code: int = 200,
        language: str = "en",
    ) -> Response:
        """The answer to an unsubscribe; with its undo and question when left_token is given
        (an unsubscribe this request made from a confirmed subscription)."""
        here = reader_path("unsubscribe", self.site.signer.sign("unsubscribe", subject))
        context: dict[str, Any] = {
            "list_name": list_name,
            "preferences_url": self._link("preferences", subject),
            "left": left_token,
            "undo_action": here + "/undo",
            "why_action": here + "/why",
            "undo_hours": self._undo_hours(),
            "reasons": list(REASON_LABELS.items()),
            "detail_max": DETAIL_MAX,
            "errors": errors or {},
            "values": {"reason": "", "detail": "", **(values or {})},
            "language": language,
        }
        return self.site.render(
            request, "unsubscribed.html", context, status_code=status_code, headers=PRIVATE
        )

    async def undo(self, request: Request) -> Response:
        _form, subject, left = await self._left_form(request)
        if subject is None:
            return self._bad_link(request)
        if left is None:
            return await self._too_late(
                request,
                subject,
                Words(
                    "It is more than %(hours)s hours since you unsubscribed, too late to undo "
                    "this here. To receive the list again, subscribe on the sign-up page: a "
                    "confirmation mail will be sent.",
                    hours=self._undo_hours(),
                ),
            )

        def restore() -> tuple[leaving.Undone, str]:
            with claim_transaction(self.site.sessions) as session:
                outcome = leaving.undo_unsubscribe(
                    session,
                    left,
                    now=self.site.now(),
                    wording=UNDO_WORDING,
                    ip_address=self._ip(request),
                )
                return outcome, list_name_of(session, left.list_id)

        outcome, list_name = await run_in_threadpool(restore)
        language = await run_in_threadpool(self._language, left.list_id)
        if outcome == "gone":
            return self._message(
                request,
                Words("This cannot be undone any more"),
                Words(
                    "Your subscription to %(list)s has changed since. To receive it again, "
                    "subscribe on the sign-up page: a confirmation mail will be sent.",
                    list=list_name,
                ),
                status_code=409,
                language=language,
            )
        return self._message(
            request,
            Words("You are subscribed again"),
            Words(
                "%(list)s will be sent to you again, as before (the same topics and time zone).",
                list=list_name,
            ),
            language=language,
        )

    async def why(self, request: Request) -> Response:
        form, subject, left = await self._left_form(request)
        if subject is None:
            return self._bad_link(request)
        if left is None:
            return await self._too_late(
                request,
                subject,
                Words(
                    "It is more than %(hours)s hours since you unsubscribed, too late to answer "
                    "here. To receive the list again, subscribe on the sign-up page: a "
                    "confirmation mail will be sent.",
                    hours=self._undo_hours(),
                ),
            )
        values = {"reason": form_text(form, "reason"), "detail": form_text(form, "detail")}
        try:
            detail = clean_detail(values["detail"])
            if not values["reason"] and detail is None:
                return await self._thanks(
                    request, left
                )  # nothing chosen, nothing typed: nothing to keep
            reason = clean_leave_reason(values["reason"] or "other")
        except FormProblem as problem:
            list_name = await run_in_threadpool(self._list_name, left.list_id)
            token = form_text(form, "left")
            return self.unsubscribed_page(
                request,
                subject,
                list_name,
                token,
                language=await run_in_threadpool(self._language, left.list_id),
                errors={problem.field: problem.message},
                values=values,
                status_code=400,
            )

        def keep() -> None:
            for attempt in range(2):
                try:
                    with claim_transaction(self.site.sessions) as session:
                        leaving.record_answer(session, left, reason, detail, now=self.site.now())
                    return
                except IntegrityError:
                    # The same answer sent twice at once: the second pass replaces the first.
                    if attempt == 1:
                        raise

        await run_in_threadpool(keep)
        return await self._thanks(request, left)

    async def _left_form(
        self, request: Request
    ) -> tuple[FormData, TokenSubject | None, TokenSubject | None]:
        """The form, the subject of the page's unsubscribe token (None: a bad link) and that of
        its left token (None: expired). A left token that is forged, of another purpose or of
        another reader or list is a bad link."""
        async with self._refusals_in_links_language(request, "unsubscribe"):
            self.site.check_same_site(request)  # before the body is read
            form = await limited_form(request, self.limit)
        subject = self._subject(request, "unsubscribe")
        token = form_text(form, "left")
        if subject is None or not token or len(token) > 500:
            return form, None, None
        signer, now = self.site.signer, self.site.now()
        hours = self.site.settings.readers.undo_unsubscribe_hours
        left = signer.verify("left", token, now=now, max_age=timedelta(hours=hours))
        if left is None:
            if signer.verify("left", token, now=now, max_age=EVER) != subject:
                return form, None, None
            return form, subject, None
        if left != subject:
            return form, None, None
        return form, subject, left

    def _undo_hours(self) -> str:
        return _hours(self.site.settings.readers.undo_unsubscribe_hours)

    async def _too_late(self, request: Request, subject: TokenSubject, message: Words) -> Response:
        return await self._list_message(
            request, subject, Words("Too late"), message, status_code=400
        )

    async def _thanks(self, request: Request, left: TokenSubject) -> Response:
        return await self._list_message(
            request,
            left,
            Words("Thank you"),
            Words("Your answer helps us make a better newsletter."),
        )


def _hours(value: float) -> str:
    return f"{value:g}"
