"""What the signed session cookie holds: the signed-in editor, the CSRF token, a flash message."""

from __future__ import annotations

import secrets
from typing import Literal

from starlette.requests import HTTPConnection

from digest.config import Settings

FlashKind = Literal["ok", "error"]

_EDITOR = "editor"
_CSRF = "csrf"
_FLASH = "flash"


def signed_in_editor(connection: HTTPConnection, settings: Settings) -> str | None:
    """The editor of this session, if that account is still in the config."""
    username = connection.session.get(_EDITOR)
    if not isinstance(username, str):
        return None
    if all(account.username != username for account in settings.web.editors):
        return None  # the account was removed from config.yaml since: its sessions end too
    return username


def sign_in(connection: HTTPConnection, username: str) -> None:
    # A fresh session (and CSRF token) on every sign-in: nothing planted before it survives.
    connection.session.clear()
    connection.session[_EDITOR] = username
    connection.session[_CSRF] = secrets.token_urlsafe(32)


def sign_out(connection: HTTPConnection) -> None:
    connection.session.clear()


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
