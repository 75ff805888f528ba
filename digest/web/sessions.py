"""What the signed session cookie holds: the editor's session token, the CSRF token, a flash
message. The editor's session itself lives in the database (session_store), so it can end."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection

from digest.config import Settings
from digest.web import session_store

if TYPE_CHECKING:
    from digest.web.state import WebState

log = logging.getLogger("digest.web")

FlashKind = Literal["ok", "error"]

_SESSION = "editor_session"  # the token of the editor's session row
_CSRF = "csrf"
_FLASH = "flash"
# Where a request keeps the editor its cookie was found to belong to: looked up once.
_RESOLVED = "digest.editor"


async def resolve_editor(connection: HTTPConnection, settings: Settings) -> str | None:
    """The editor of this session, looked up off the event loop (use this in handlers; pages
    rendered afterwards reuse the answer)."""
    if _RESOLVED not in connection.scope:
        connection.scope[_RESOLVED] = await run_in_threadpool(_look_up, connection)
    return signed_in_editor(connection, settings)


def signed_in_editor(connection: HTTPConnection, settings: Settings) -> str | None:
    """The editor of this session, if it has not ended and that account is still in the
    config. Looked up here, blocking, only when no handler did it first (resolve_editor)."""
    if _RESOLVED not in connection.scope:
        connection.scope[_RESOLVED] = _look_up(connection)
    username = connection.scope[_RESOLVED]
    if not isinstance(username, str):
        return None
    if all(account.username != username for account in settings.web.editors):
        return None  # the account was removed from config.yaml since: its sessions end too
    return username


def role_of(settings: Settings, username: str | None) -> str | None:
    """The account's role in config.yaml (web.editors[].role); None for no such account."""
    for account in settings.web.editors:
        if account.username == username:
            return account.role
    return None


async def sign_in(connection: HTTPConnection, username: str) -> None:
    state = _web(connection)
    previous = _token(connection)
    token = await run_in_threadpool(
        session_store.open_session,
        state.rt.sessions,
        username,
        state.now(),
        _lifetime(state),
        previous,
    )
    # A fresh session (and CSRF token) on every sign-in: nothing planted before it survives.
    connection.session.clear()
    connection.session[_SESSION] = token
    connection.session[_CSRF] = secrets.token_urlsafe(32)
    connection.scope[_RESOLVED] = username


async def sign_out(connection: HTTPConnection) -> None:
    """End the session on the server: a copy of the cookie signs nobody in, in any process."""
    token = _token(connection)
    if token is not None:
        await run_in_threadpool(session_store.close_session, _web(connection).rt.sessions, token)
    connection.session.clear()
    connection.scope[_RESOLVED] = None


def _look_up(connection: HTTPConnection) -> str | None:
    token = _token(connection)
    if token is None:
        return None  # anonymous: no database read
    state = _web(connection)
    try:
        return session_store.session_editor(state.rt.sessions, token, state.now(), _lifetime(state))
    except SQLAlchemyError as exc:
        # Signed out while the database is away: this also runs for the error page itself.
        log.warning("editor session not checked, treated as signed out: %s", exc)
        return None


def _token(connection: HTTPConnection) -> str | None:
    token = connection.session.get(_SESSION)
    return token if isinstance(token, str) and token else None


def _lifetime(state: WebState) -> timedelta:
    return timedelta(seconds=state.settings.web.session_max_age_seconds)


def _web(connection: HTTPConnection) -> WebState:
    # Not web_state(): digest.web.state imports this module (through pages).
    web: WebState = connection.app.state.web
    return web


def csrf_token(connection: HTTPConnection) -> str:
    """This session's CSRF token, created on first use."""
    token = connection.session.get(_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        connection.session[_CSRF] = token
    return token


def stored_csrf_token(connection: HTTPConnection) -> str | None:
    token = connection.session.get(_CSRF)
    return token if isinstance(token, str) and token else None


def flash(connection: HTTPConnection, text: str, kind: FlashKind = "ok") -> None:
    """A short message shown once, on the next page."""
    connection.session[_FLASH] = {"kind": kind, "text": text}


def pop_flash(connection: HTTPConnection) -> dict[str, str] | None:
    message = connection.session.pop(_FLASH, None)
    if not isinstance(message, dict):
        return None
    return {"kind": str(message.get("kind", "ok")), "text": str(message.get("text", ""))}
