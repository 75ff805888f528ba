"""The web app factory: one app per Settings, holding one pipeline runtime while it serves."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from http import HTTPStatus

from anyio import CapacityLimiter
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount

from digest.config import Settings
from digest.errors import DigestError
from digest.pipeline import article_listing, open_runtime
from digest.secret_key import api_keys, session_key
from digest.web import (
    archive,
    audience,
    auth,
    clicks,
    editor,
    editors_admin,
    health,
    issue_edits,
    issue_sending,
    metrics,
    readers_admin,
    sources_admin,
)
from digest.web.body_guard import BodyGuard
from digest.web.click_counter import ClickCounter
from digest.web.headers import SecurityHeaders
from digest.web.pages import Pages
from digest.web.passwords import Editors
from digest.web.readers import ApiConfirmationMailer, WebReaderSite
from digest.web.sessions import signed_in_editor
from digest.web.state import Clock, WebState, web_state
from subscribers.api import BODY_MAX as API_BODY_MAX
from subscribers.api import ApiContext, SendConfirmation, create_api
from subscribers.api_models import ArticleOut, ArticlePage
from subscribers.fields import offered_topics
from subscribers.reader_page import shared_language
from subscribers.reader_pages import ReaderPages
from subscribers.reader_words import Words
from subscribers.refusals import Refusal

log = logging.getLogger("digest.web")

SESSION_COOKIE = "digest_session"
# Logins hashing at the same time; each scrypt needs 16 MiB (see passwords.py).
CONCURRENT_PASSWORD_CHECKS = 4


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
    send_confirmation: SendConfirmation | None = None,
) -> Starlette:
    """The app for these settings; the clock (the real one by default) is what "now" means.

    Raises ConfigError at once for a missing template folder, secret or editor password."""
    state = WebState(
        settings=settings,
        clock=clock or _utc_now,
        pages=Pages(settings),
        editors=Editors(settings, environ),
    )

    reader_pages = ReaderPages(WebReaderSite(state))
    collections = sources_admin.BackgroundCollections()

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        state.hashing = CapacityLimiter(CONCURRENT_PASSWORD_CHECKS)
        state.runtime = await run_in_threadpool(open_runtime, settings, state.now())
        state.click_counter = ClickCounter(state.runtime)
        try:
            yield
        finally:
            # After the server stopped taking requests: every click it answered is stored.
            await state.click_counter.close()
            await collections.close()  # the admins' "collect now" runs on the runtime
            await reader_pages.close()
            runtime, state.runtime = state.runtime, None
            if runtime is not None:
                runtime.close()

    app = Starlette(
        routes=[
            *auth.routes(),
            *editor.routes(),
            *issue_edits.routes(),
            *issue_sending.routes(),
            *audience.routes(),
            *readers_admin.routes(),
            *sources_admin.routes(),
            *editors_admin.routes(),
            *archive.routes(),
            *health.routes(),
            *clicks.routes(),
            *metrics.routes(),
            *reader_pages.routes(),
            *_api_routes(state, environ, send_confirmation),
            Mount("/static", state.pages.static_files(), name="static"),
        ],
        middleware=[
            Middleware(SecurityHeaders),
            # Outside the session and every handler: no body is buffered past these bounds.
            Middleware(
                BodyGuard,
                max_bytes=settings.readers.max_body_bytes,
                timeout=settings.web.body_timeout_seconds,
                larger={"/api": API_BODY_MAX},
            ),
            Middleware(
                SessionMiddleware,
                secret_key=session_key(settings),
                session_cookie=SESSION_COOKIE,
                max_age=settings.web.session_max_age_seconds,
                same_site="strict",
                https_only=settings.web.secure_cookies,
            ),
        ],
        exception_handlers={HTTPException: _error_page, DigestError: _failure_page},
        lifespan=lifespan,
    )
    app.state.web = state
    app.state.collections = collections
    return app


async def _error_page(request: Request, exc: Exception) -> Response:
    """A refusal a reader may meet (Refusal, or an address that leads nowhere) is said in its
    list's language, else in the one every list shares; an editor's page's (a plain
    HTTPException, its detail in English) in English."""
    assert isinstance(exc, HTTPException)
    state = web_state(request)
    detail: Words | str = exc.words if isinstance(exc, Refusal) else exc.detail
    language = "en"
    if isinstance(exc, Refusal):
        language = exc.language or shared_language(state.settings)
    elif exc.status_code == 404 and exc.detail == NOT_FOUND:
        language = shared_language(state.settings)
    if exc.status_code == 404:
        return state.pages.render(
            request,
            "not_found.html",
            {"detail": detail, "language": language},
            status_code=404,
        )
    title = _TITLES.get(exc.status_code, Words("Error"))
    return state.pages.render(
        request,
        "message.html",
        {"title": title, "message": detail, "language": language},
        status_code=exc.status_code,
        headers=exc.headers,
    )


async def _failure_page(request: Request, exc: Exception) -> Response:
    """A step failed (a broken template, the database): editors see why, others only that."""
    assert isinstance(exc, DigestError)
    state = web_state(request)
    log.error("%s %s failed: %s (%s)", request.method, request.url.path, exc.message, exc.hint)
    editor = signed_in_editor(request, state.settings)
    if editor:
        message: Words | str = f"{exc.message}. Hint: {exc.hint}"
        language = "en"
    else:
        message, language = Words("Please try again later."), shared_language(state.settings)
    return state.pages.render(
        request,
        "message.html",
        {"title": Words("Something went wrong"), "message": message, "language": language},
        status_code=500,
    )


NOT_FOUND = HTTPStatus.NOT_FOUND.phrase  # Starlette's detail for an address no route serves
_TITLES = {
    400: Words("Bad request"),
    403: Words("Refused"),
    405: Words("Not allowed"),
    413: Words("Too large"),
    415: Words("Refused"),
}


def _api_routes(
    state: WebState,
    environ: Mapping[str, str] | None,
    send_confirmation: SendConfirmation | None,
) -> list[Mount]:
    """The subscribers API at /api, only when API keys are set (else /api is a 404)."""
    keys = api_keys(state.settings, environ)
    if not keys:
        return []
    context = ApiContext(
        engine=lambda: state.rt.engine,
        clock=state.now,
        keys=keys,
        offered_topics=offered_topics(state.settings),
        send_confirmation=send_confirmation or ApiConfirmationMailer(state),
        page_size_max=state.settings.api.page_size_max,
        articles=lambda after, limit: _article_page(state, after, limit),
    )
    return [Mount("/api", app=create_api(context))]


def _article_page(state: WebState, after: int, limit: int) -> ArticlePage:
    rows = article_listing.articles_after(state.rt, after, limit)
    items = [ArticleOut.model_validate(r, from_attributes=True) for r in rows]
    return ArticlePage(items=items, next_after=items[-1].id if len(items) == limit else None)


def _utc_now() -> datetime:
    return datetime.now(UTC)
