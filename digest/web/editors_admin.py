"""The admins' Editors page: who may sign in, with which role (accounts live in config.yaml)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from digest.web.roles import admin_required
from digest.web.state import web_state


@admin_required
async def editors_page(request: Request, admin: str) -> Response:
    state = web_state(request)
    accounts = [(a.username, a.role) for a in state.settings.web.editors]
    return state.pages.render(request, "admin_editors.html", {"accounts": accounts})


def routes() -> list[Route]:
    return [Route("/admin/editors", editors_page, methods=["GET"], name="admin_editors")]
