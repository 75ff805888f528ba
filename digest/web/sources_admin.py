"""The admins' Sources page: each source's health, add, edit, disable or enable one, and
collect one now, in the background (the page answers at once; its health shows the result)."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field

from anyio import to_thread
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from digest import pipeline
from digest.errors import NotFoundError
from digest.pipeline import source_admin
from digest.pipeline.runtime import Runtime
from digest.pipeline.sources import SourceState, source_states
from digest.web.ids import row_id
from digest.web.roles import admin_action, admin_required
from digest.web.sessions import flash
from digest.web.state import Clock, web_state

log = logging.getLogger("digest.web")


@dataclass
class BackgroundCollections:
    """Collections an admin started from the Sources page, one per source at a time, each in a
    worker thread: the event loop keeps answering while the feeds are fetched."""

    running: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    # The last outcome of each source's collection started here, as the page says it.
    outcomes: dict[str, str] = field(default_factory=dict)

    def start(self, rt: Runtime, name: str, now_of: Clock) -> bool:
        """Start collecting the source; False when its collection is running already."""
        if name in self.running:
            return False
        task = asyncio.get_running_loop().create_task(self._collect(rt, name, now_of))
        self.running[name] = task
        return True

    async def _collect(self, rt: Runtime, name: str, now_of: Clock) -> None:
        try:
            report = await to_thread.run_sync(lambda: pipeline.collect(rt, now_of(), only=[name]))
            source = report.sources[0] if report.sources else None
            if source is None:
                self.outcomes[name] = "not collected: the source is disabled"
            elif source.error:
                self.outcomes[name] = f"failed: {source.error}"
            elif source.skipped:
                self.outcomes[name] = f"skipped: {source.skipped}"
            else:
                self.outcomes[name] = f"{source.new_articles} new article(s)"
        except Exception as exc:
            log.exception("collect now of %s failed", name)
            self.outcomes[name] = f"failed: {type(exc).__name__}: {exc}"
        finally:
            self.running.pop(name, None)

    async def close(self) -> None:
        """Wait for the collections running (before the runtime closes under them)."""
        await asyncio.gather(*self.running.values(), return_exceptions=True)


def collections(request: Request) -> BackgroundCollections:
    found = getattr(request.app.state, "collections", None)
    assert isinstance(found, BackgroundCollections), "create_app sets app.state.collections"
    return found


@admin_required
async def sources_page(request: Request, admin: str) -> Response:
    state = web_state(request)
    context = await _sources_context(request, source_admin.SourceInput("", ""), None)
    return state.pages.render(request, "admin_sources.html", context)


async def _sources_context(
    request: Request, form: source_admin.SourceInput, error: str | None
) -> dict[str, object]:
    rows = await run_in_threadpool(source_states, web_state(request).rt)
    running = collections(request)
    return {
        "sources": rows,
        "running": set(running.running),
        "outcomes": running.outcomes,
        "form": form,
        "error": error,
    }


@admin_required
async def source_page(request: Request, admin: str) -> Response:
    state = web_state(request)
    row = await _state_of(request)
    form = source_admin.SourceInput(
        row.name, row.url, row.region, ", ".join(row.tags), row.selector or ""
    )
    context = {"source": row, "form": form, "error": None}
    return state.pages.render(request, "admin_source.html", context)


@admin_action
async def add(request: Request, admin: str, form: FormData) -> Response:
    state = web_state(request)
    given = _input(form)
    try:
        await run_in_threadpool(source_admin.add_source, state.rt, given)
    except source_admin.SourceInputError as exc:
        context = await _sources_context(request, given, f"{exc.message}. {exc.hint}")
        return state.pages.render(request, "admin_sources.html", context, status_code=400)
    flash(request, f"Source {given.name.strip()} added; collect it now or wait for the schedule.")
    return RedirectResponse("/admin/sources", status_code=303)


@admin_action
async def edit(request: Request, admin: str, form: FormData) -> Response:
    state = web_state(request)
    source_id = int(request.path_params["source_id"])
    given = _input(form)
    try:
        await run_in_threadpool(source_admin.edit_source, state.rt, source_id, given)
    except NotFoundError as exc:
        raise HTTPException(404, exc.message) from None
    except source_admin.SourceInputError as exc:
        row = await _state_of(request)
        form_back = source_admin.SourceInput(
            row.name, given.url, given.region, given.tags, given.selector
        )
        context = {"source": row, "form": form_back, "error": f"{exc.message}. {exc.hint}"}
        return state.pages.render(request, "admin_source.html", context, status_code=400)
    flash(request, "Source saved: config.yaml no longer changes it.")
    return RedirectResponse("/admin/sources", status_code=303)


@admin_action
async def disable(request: Request, admin: str, form: FormData) -> Response:
    return await _switch(request, enabled=False)


@admin_action
async def enable(request: Request, admin: str, form: FormData) -> Response:
    return await _switch(request, enabled=True)


@admin_action
async def collect_now(request: Request, admin: str, form: FormData) -> Response:
    state = web_state(request)
    source_id = int(request.path_params["source_id"])
    row = await _state_of(request)
    if not row.enabled:
        flash(request, f"{row.name} is disabled: enable it to collect it.", "error")
    elif collections(request).start(state.rt, row.name, state.now):
        flash(request, f"Collecting {row.name} now; reload to see its health.")
    else:
        flash(request, f"{row.name} is being collected already.", "error")
    return RedirectResponse(f"/admin/sources#source-{source_id}", status_code=303)


async def _switch(request: Request, *, enabled: bool) -> Response:
    state = web_state(request)
    source_id = int(request.path_params["source_id"])
    try:
        name = await run_in_threadpool(source_admin.set_enabled, state.rt, source_id, enabled)
    except NotFoundError as exc:
        raise HTTPException(404, exc.message) from None
    flash(request, f"{name} {'enabled' if enabled else 'disabled: it is no longer collected'}.")
    return RedirectResponse(f"/admin/sources#source-{source_id}", status_code=303)


async def _state_of(request: Request) -> SourceState:
    state = web_state(request)
    source_id = int(request.path_params["source_id"])
    rows = await run_in_threadpool(source_states, state.rt)
    for row in rows:
        if row.id == source_id:
            return row
    raise HTTPException(404, f"No source {source_id}.")


def _input(form: FormData) -> source_admin.SourceInput:
    def text(name: str) -> str:
        value = form.get(name)
        return value if isinstance(value, str) else ""

    return source_admin.SourceInput(
        text("name"), text("url"), text("region"), text("tags"), text("selector")
    )


def routes() -> list[Route]:
    one = "/admin/sources/" + row_id("source_id")
    return [
        Route("/admin/sources", sources_page, methods=["GET"], name="admin_sources"),
        Route("/admin/sources", add, methods=["POST"], name="admin_source_add"),
        Route(one, source_page, methods=["GET"], name="admin_source"),
        Route(one, edit, methods=["POST"], name="admin_source_edit"),
        Route(one + "/disable", disable, methods=["POST"]),
        Route(one + "/enable", enable, methods=["POST"]),
        Route(one + "/collect", collect_now, methods=["POST"]),
    ]
