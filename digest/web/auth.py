"""Sign-in for editors: the login and logout pages (throttled), and the guard of editor pages."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from anyio import to_thread
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from digest.errors import StorageError
from digest.web import throttle
from digest.web.csrf import checked_form
from digest.web.sessions import flash, resolve_editor, sign_in, sign_out
from digest.web.state import WebState, web_state

EditorHandler = Callable[[Request, str], Awaitable[Response]]
Handler = Callable[[Request], Awaitable[Response]]


def editor_required(handler: EditorHandler) -> Handler:
    """Editor pages: anonymous GETs go to the login page, anything else is refused (403)."""

    @functools.wraps(handler)
    async def guarded(request: Request) -> Response:
        editor = await resolve_editor(request, web_state(request).settings)
        if editor is None:
            if request.method in ("GET", "HEAD"):
                return RedirectResponse(login_url(request), status_code=303)
            raise HTTPException(403, "Refused: sign in first.")
        return await handler(request, editor)

    return guarded


def login_url(request: Request) -> str:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return f"/login?next={quote(here, safe='/')}"


def _safe_next(value: object) -> str:
    """Only a path on this site: never //other.site or a full URL (an open redirect)."""
    if (
        isinstance(value, str)
        and value.startswith("/")
        and not value.startswith("//")
        # Browsers read "\\" as "/" and drop tabs and newlines: "/\\evil" or "/\t/evil" leave.
        and not any(c == "\\" or ord(c) < 0x20 for c in value)
    ):
        return value
    return "/editor"


async def login_page(request: Request) -> Response:
    state = web_state(request)
    target = _safe_next(request.query_params.get("next"))
    if await resolve_editor(request, state.settings):
        return RedirectResponse(target, status_code=303)
    return state.pages.render(request, "login.html", {"next": target, "error": None})


async def login(request: Request) -> Response:
    state = web_state(request)
    form = await checked_form(request, state.settings)
    username = str(form.get("username") or "").strip()
    password = str(form.get("password") or "")
    target = _safe_next(form.get("next"))
    rules = throttle.Rules.of(state.settings.web)
    attempt = throttle.Attempt.of(username, request.client.host if request.client else None)
    now = state.now()
    with _storage_errors():
        locked_until = await to_thread.run_sync(
            throttle.begin, state.rt.sessions, rules, attempt, now
        )
    if locked_until is not None:
        # Refused before the password is read: a lock answers alike for right and wrong ones.
        return _locked_page(request, state, target, username, locked_until, now)
    accepted = bool(username and password) and await to_thread.run_sync(
        state.editors.check, username, password, limiter=state.hashing
    )
    if not accepted:
        error = (
            "No editor accounts are configured (web.editors in config.yaml)."
            if not state.editors
            else "Wrong username or password."
        )
        context = {"next": target, "error": error, "username": username}
        return state.pages.render(request, "login.html", context, status_code=401)
    with _storage_errors():
        await to_thread.run_sync(throttle.succeeded, state.rt.sessions, rules, attempt)
        await sign_in(request, username)
    flash(request, f"Signed in as {username}.")
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    state = web_state(request)
    await checked_form(request, state.settings)
    await sign_out(request)
    flash(request, "Signed out.")
    return RedirectResponse("/login", status_code=303)


def _locked_page(
    request: Request,
    state: WebState,
    target: str,
    username: str,
    locked_until: datetime,
    now: datetime,
) -> Response:
    seconds = throttle.retry_after_seconds(locked_until, now)
    minutes = -(-seconds // 60)
    # Rounded up to the minute: trying again at the time shown always works.
    shown = locked_until.astimezone(UTC).replace(second=0, microsecond=0)
    if shown < locked_until:
        shown += timedelta(minutes=1)
    error = (
        f"Too many failed sign-ins. Try again after {shown:%Y-%m-%d %H:%M} UTC "
        f"(in {minutes} minute{'s' if minutes != 1 else ''})."
    )
    return state.pages.render(
        request,
        "login.html",
        {"next": target, "error": error, "username": username},
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


@contextmanager
def _storage_errors() -> Iterator[None]:
    try:
        yield
    except SQLAlchemyError as exc:
        raise StorageError(f"sign-in: the database failed: {exc}") from None


def routes() -> list[Route]:
    return [
        Route("/login", login_page, methods=["GET"], name="login_page"),
        Route("/login", login, methods=["POST"], name="login"),
        Route("/logout", logout, methods=["POST"], name="logout"),
    ]
