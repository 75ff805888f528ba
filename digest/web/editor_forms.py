"""What every editor action shares: the signed-in, CSRF-checked POST; the ids and fields it
reads; one change applied to the issue of the URL, flashed, and back to the issue's page."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from digest.errors import DigestError, NotFoundError
from digest.web.auth import editor_required
from digest.web.csrf import checked_form
from digest.web.sessions import flash
from digest.web.state import web_state

T = TypeVar("T")
Action = Callable[[Request, str, FormData], Awaitable[Response]]


def editor_action(handler: Action) -> Callable[[Request], Awaitable[Response]]:
    """A POST by a signed-in editor (else 403) from our own form (CSRF-checked, else 403)."""

    @functools.wraps(handler)
    async def checked(request: Request, editor: str) -> Response:
        form = await checked_form(request, web_state(request).settings)
        return await handler(request, editor, form)

    return editor_required(checked)


async def change(
    request: Request, done: str, apply: Callable[[int], object], anchor: str = ""
) -> Response:
    """Apply one change to the issue of the URL; flash what happened; back to its page, at
    the part the editor was working on (anchor: an element's id)."""
    issue = issue_id_of(request)
    try:
        await run_in_threadpool(apply, issue)
    except NotFoundError as exc:
        raise HTTPException(404, exc.message) from None
    except DigestError as exc:
        flash(request, exc.message, "error")
    else:
        flash(request, done)
    return back_to_issue(issue, anchor)


def back_to_issue(issue: int, anchor: str = "") -> Response:
    """The issue's page, scrolled to the element with the id anchor (if given)."""
    fragment = f"#{anchor}" if anchor else ""
    return RedirectResponse(f"/editor/issues/{issue}{fragment}", status_code=303)


async def or_404(work: Awaitable[T]) -> T:
    try:
        return await work
    except NotFoundError as exc:
        raise HTTPException(404, exc.message) from None


def issue_id_of(request: Request) -> int:
    return int(request.path_params["issue_id"])


def article_id_of(request: Request) -> int:
    return int(request.path_params["article_id"])


def form_text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def step(form: FormData, what: str) -> tuple[str, int]:
    """The form's direction ("up" or "down") and its offset in a list (-1 or 1); 400 else."""
    direction = form_text(form, "direction")
    if direction not in ("up", "down"):
        raise HTTPException(400, f"Move {what} up or down.")
    return direction, -1 if direction == "up" else 1
