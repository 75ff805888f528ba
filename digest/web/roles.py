"""Roles of the signed-in: admins run readers, sources and editors; editors run issues only."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from digest.web.auth import editor_required
from digest.web.csrf import checked_form
from digest.web.sessions import role_of
from digest.web.state import web_state

AdminPage = Callable[[Request, str], Awaitable[Response]]
AdminAction = Callable[[Request, str, FormData], Awaitable[Response]]
Handler = Callable[[Request], Awaitable[Response]]


def admin_required(handler: AdminPage) -> Handler:
    """An admin's page: signed-out GETs go to the login page (else 403), editors get 403."""

    @functools.wraps(handler)
    async def guarded(request: Request, username: str) -> Response:
        if role_of(web_state(request).settings, username) != "admin":
            raise HTTPException(403, "Refused: this page is for admins; ask one for the role.")
        return await handler(request, username)

    return editor_required(guarded)


def admin_action(handler: AdminAction) -> Handler:
    """An admin's POST from our own form: role checked first, then the CSRF token (else 403)."""

    @functools.wraps(handler)
    async def checked(request: Request, username: str) -> Response:
        form = await checked_form(request, web_state(request).settings)
        return await handler(request, username, form)

    return admin_required(checked)
