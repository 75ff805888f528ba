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
from subscribers.reader_page import PRIVATE, ReaderPage, form_text, list_name_of
from subscribers.reader_urls import reader_path
from subscribers.tokens import TokenSubject

UNDO_WORDING = "Undo (the button of the page shown after unsubscribing)"
# A left token older than this is not merely expired: it was never ours.
_EVER = timedelta(days=3650)


class LeavingPages(ReaderPage):
    def unsubscribed_page(
        self,
        request: Request,
        subject: TokenSubject,
        list_name: str,
        left_token: str | None,
        *,
        errors: Mapping[str, str] | None = None,
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
            "undo_hours": _hours(self.site.settings.readers.undo_unsubscribe_hours),
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
            return self._too_late(request, "undo this")

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
        if outcome == "gone":
            return self._message(
                request,
                "This cannot be undone any more",
                f"Your subscription to {list_name} has changed since. To receive it again, "
                "subscribe on the sign-up page: a confirmation mail will be sent.",
                status_code=409,
            )
        return self._message(
            request,
            "You are subscribed again",
            f"{list_name} will be sent to you again, as before (the same topics and time zone).",
        )

    async def why(self, request: Request) -> Response:
        form, subject, left = await self._left_form(request)
        if subject is None:
            return self._bad_link(request)
        if left is None:
            return self._too_late(request, "answer")
        values = {"reason": form_text(form, "reason"), "detail": form_text(form, "detail")}
        try:
            detail = clean_detail(values["detail"])
            if not values["reason"] and detail is None:
                return self._thanks(request)  # nothing chosen, nothing typed: nothing to keep
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
        return self._thanks(request)

    async def _left_form(
        self, request: Request
    ) -> tuple[FormData, TokenSubject | None, TokenSubject | None]:
        """The form, the subject of the page's unsubscribe token (None: a bad link) and that of
        its left token (None: expired). A left token that is forged, of another purpose or of
        another reader or list is a bad link."""
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
            if signer.verify("left", token, now=now, max_age=_EVER) != subject:
                return form, None, None
            return form, subject, None
        if left != subject:
            return form, None, None
        return form, subject, left

    def _too_late(self, request: Request, action: str) -> Response:
        hours = _hours(self.site.settings.readers.undo_unsubscribe_hours)
        return self._message(
            request,
            "Too late",
            f"It is more than {hours} hours since you unsubscribed, too late to {action} here. "
            "To receive the list again, subscribe on the sign-up page: a confirmation mail "
            "will be sent.",
            status_code=400,
        )

    def _thanks(self, request: Request) -> Response:
        return self._message(request, "Thank you", "Your answer helps us make a better newsletter.")


def _hours(value: float) -> str:
    return f"{value:g}"
