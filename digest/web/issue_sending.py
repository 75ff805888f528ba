"""Sending an issue from its page: a confirmation step that counts its readers, the start (now,
or at a time in the list's zone), and its progress and figures while and after it sends.

Starting only enqueues: the delivery worker (`digest serve` runs one) sends, so no request
waits on SMTP and the event loop is never held.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from digest.errors import DigestError
from digest.pipeline import editor_actions, send_start
from digest.web.auth import editor_required
from digest.web.editor_forms import (
    back_to_issue,
    change,
    editor_action,
    form_text,
    issue_id_of,
    or_404,
)
from digest.web.ids import row_id
from digest.web.sessions import flash
from digest.web.state import web_state

# The progress frame reloads itself this often while the issue sends (pages run no script).
REFRESH_SECONDS = 2
# The editor's pages frame it; nobody else may.
FRAME_POLICY = (
    "default-src 'none'; style-src 'self'; form-action 'none'; frame-ancestors 'self'; "
    "base-uri 'none'"
)


class BadTime(ValueError):
    pass


def send_time(text: str, zone: str, now: datetime) -> datetime | None:
    """The editor's "send at" (a datetime-local value, in the list's zone) in UTC; None for
    "now" (blank). A time gone by, or no time at all, is BadTime with what to fix."""
    text = text.strip()
    if not text:
        return None
    try:
        local = datetime.fromisoformat(text)
    except ValueError:
        raise BadTime(f"{text[:40]!r} is not a date and time (YYYY-MM-DD HH:MM)") from None
    if local.tzinfo is not None:
        raise BadTime("give the time without a zone: it is read in the list's zone")
    at = local.replace(tzinfo=ZoneInfo(zone))
    if at <= now:
        raise BadTime(f"{local:%Y-%m-%d %H:%M} {zone} has already passed")
    return at


@editor_required
async def confirm_page(request: Request, editor: str) -> Response:
    """The step before sending: how many readers get it, and when; nothing is sent yet."""
    state = web_state(request)
    issue_id = issue_id_of(request)
    issue = await or_404(run_in_threadpool(editor_actions.editor_issue, state.rt, issue_id))
    lst = state.settings.mailing_list(issue.ref.list_slug)
    when = request.query_params.get("at", "")
    error = None
    try:
        at = send_time(when, lst.timezone, state.now())
    except BadTime as exc:
        at, error = None, str(exc)
    readers = await run_in_threadpool(send_start.readers_now, state.rt, issue_id)
    context = {
        "issue": issue,
        "list": lst,
        "readers": readers,
        "when": when,
        "at": at.astimezone(ZoneInfo(lst.timezone)) if at else None,
        "error": error,
    }
    status = 400 if error else 200
    return state.pages.render(request, "editor_send.html", context, status_code=status)


@editor_action
async def start(request: Request, editor: str, form: FormData) -> Response:
    state = web_state(request)
    issue_id = issue_id_of(request)
    when = form_text(form, "at")

    def go() -> str:
        issue = editor_actions.editor_issue(state.rt, issue_id)
        zone = state.settings.mailing_list(issue.ref.list_slug).timezone
        try:
            at = send_time(when, zone, state.now())
        except BadTime as exc:
            raise DigestError(str(exc), hint="choose a time to come") from None
        send_start.start_send(state.rt, issue_id, state.now(), at=at)
        if at is None:
            return "Sending: the delivery worker is sending it now."
        return f"It will be sent at {at:%Y-%m-%d %H:%M} ({zone})."

    try:
        done = await or_404(run_in_threadpool(go))
    except DigestError as exc:
        flash(request, f"Not sent: {exc.message}", "error")
    else:
        flash(request, done)
    return back_to_issue(issue_id, "sending")


@editor_action
async def cancel(request: Request, editor: str, form: FormData) -> Response:
    state = web_state(request)
    return await change(
        request,
        "The chosen send time is cancelled.",
        lambda issue_id: send_start.cancel_scheduled(state.rt, issue_id),
        "sending",
    )


@editor_required
async def progress(request: Request, editor: str) -> Response:
    """The send's figures as JSON, for whatever polls them."""
    state = web_state(request)
    issue_id = issue_id_of(request)
    figures = await or_404(run_in_threadpool(send_start.send_figures, state.rt, issue_id))
    body = asdict(figures)
    body["done"] = figures.done
    body["send_at"] = figures.send_at.isoformat() if figures.send_at else None
    return JSONResponse(body)


@editor_required
async def progress_frame(request: Request, editor: str) -> Response:
    """The figures as a small page the issue's page frames: it reloads itself while sending."""
    state = web_state(request)
    issue_id = issue_id_of(request)
    figures = await or_404(run_in_threadpool(send_start.send_figures, state.rt, issue_id))
    response = state.pages.render(
        request, "editor_send_progress.html", {"figures": figures, "refresh": REFRESH_SECONDS}
    )
    response.headers["Content-Security-Policy"] = FRAME_POLICY
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    return response


def routes() -> list[Route]:
    issue = "/editor/issues/" + row_id("issue_id")
    return [
        Route(issue + "/send", confirm_page, methods=["GET"], name="editor_send_confirm"),
        Route(issue + "/send", start, methods=["POST"], name="editor_send"),
        Route(issue + "/send/cancel", cancel, methods=["POST"], name="editor_send_cancel"),
        Route(issue + "/send/progress", progress, methods=["GET"], name="editor_send_progress"),
        Route(
            issue + "/send/progress.html",
            progress_frame,
            methods=["GET"],
            name="editor_send_progress_frame",
        ),
    ]
