"""The admins' Readers pages: each list's readers searched and filtered, a reader's history,
a confirmation sent again, a suppression by hand or lifted, the list as CSV."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator

from starlette.concurrency import iterate_in_threadpool, run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from digest.config import ListSettings
from digest.errors import DigestError, NotFoundError
from digest.pipeline import reader_admin
from digest.web.ids import ROW_ID_MAX, row_id
from digest.web.roles import admin_action, admin_required
from digest.web.sessions import flash
from digest.web.state import web_state
from subscribers import membership, reader_search
from subscribers.states import ReaderState

# Private pages: a reader's address never waits in a shared cache.
PRIVATE = {"Cache-Control": "no-store"}
_CSV_CHUNK = 64 * 1024
_CSV_IN_MEMORY = 1024 * 1024  # beyond this the export is spooled to a temporary file


@admin_required
async def lists_page(request: Request, admin: str) -> Response:
    state = web_state(request)

    def gather() -> list[tuple[ListSettings, dict[ReaderState, int]]]:
        with state.rt.sessions() as session:
            ids = [membership.get_list(session, lst.slug).id for lst in state.settings.lists]
            return [
                (lst, reader_search.count_by_state(session, list_id))
                for lst, list_id in zip(state.settings.lists, ids, strict=True)
            ]

    counted = await run_in_threadpool(gather)
    return state.pages.render(
        request,
        "admin_readers.html",
        {"counted": counted, "states": list(ReaderState)},
        headers=PRIVATE,
    )


@admin_required
async def list_page(request: Request, admin: str) -> Response:
    state = web_state(request)
    lst = _list(request)
    query = request.query_params.get("q", "")[: reader_search.QUERY_MAX]
    chosen = request.query_params.get("state") or None
    if chosen is not None and chosen not in ReaderState.__members__.values():
        raise HTTPException(400, f"No reader state {chosen!r}: choose one of the list.")
    reader_state = None if chosen is None else ReaderState(chosen)
    after = _after(request)

    def gather() -> tuple[reader_search.ReaderPage, dict[ReaderState, int]]:
        with state.rt.sessions() as session:
            list_id = membership.get_list(session, lst.slug).id
            page = reader_search.search_readers(
                session, list_id, query=query, state=reader_state, after=after
            )
            return page, reader_search.count_by_state(session, list_id)

    page, counts = await run_in_threadpool(gather)
    context = {
        "lst": lst,
        "page": page,
        "counts": counts,
        "query": query,
        "chosen": chosen or "",
        "states": list(ReaderState),
        "after": after,
    }
    return state.pages.render(request, "admin_reader_list.html", context, headers=PRIVATE)


@admin_required
async def reader_page(request: Request, admin: str) -> Response:
    state = web_state(request)
    lst = _list(request)
    reader_id = int(request.path_params["reader_id"])
    try:
        history = await run_in_threadpool(
            reader_admin.reader_history, state.rt, lst.slug, reader_id
        )
    except NotFoundError as exc:
        raise HTTPException(404, exc.message) from None
    return state.pages.render(
        request, "admin_reader.html", {"lst": lst, "reader": history}, headers=PRIVATE
    )


@admin_required
async def export(request: Request, admin: str) -> Response:
    """The list as CSV, written off the event loop to a spooled file, then streamed."""
    state = web_state(request)
    lst = _list(request)
    spool = tempfile.SpooledTemporaryFile(  # noqa: SIM115 (closed when the stream ends)
        max_size=_CSV_IN_MEMORY, mode="w+", encoding="utf-8", newline=""
    )
    try:
        await run_in_threadpool(reader_admin.export_list, state.rt, lst.slug, spool)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise

    def chunks() -> Iterator[str]:
        with spool:
            while chunk := spool.read(_CSV_CHUNK):
                yield chunk

    name = f"{lst.slug}-readers-{state.now():%Y-%m-%d}.csv"
    return StreamingResponse(
        iterate_in_threadpool(chunks()),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}"', **PRIVATE},
    )


@admin_action
async def resend(request: Request, admin: str, form: FormData) -> Response:
    state = web_state(request)
    lst, reader_id = _list(request), int(request.path_params["reader_id"])
    try:
        report = await run_in_threadpool(
            reader_admin.resend_confirmation, state.rt, lst.slug, reader_id, state.now()
        )
    except NotFoundError as exc:
        raise HTTPException(404, exc.message) from None
    if report.sent:
        flash(request, "Confirmation mail sent again.")
    elif report.too_soon:
        minutes = state.settings.readers.resend_confirmation_minutes
        flash(request, f"Not sent: one went out less than {minutes} minutes ago.", "error")
    elif report.failed:
        flash(request, f"Not sent: {report.failed[0].split(': ', 1)[-1]}", "error")
    else:
        shown = next(iter(report.not_pending.values()), "not pending")
        flash(request, f"Not sent: this reader is {shown}, not waiting to confirm.", "error")
    return _back(lst, reader_id)


@admin_action
async def suppress(request: Request, admin: str, form: FormData) -> Response:
    state = web_state(request)
    lst, reader_id = _list(request), int(request.path_params["reader_id"])
    try:
        done = await run_in_threadpool(
            reader_admin.suppress_by_hand, state.rt, lst.slug, reader_id, admin, state.now()
        )
    except NotFoundError as exc:
        raise HTTPException(404, exc.message) from None
    flash(
        request,
        "Suppressed: no mail goes to this address until the suppression is lifted."
        if done
        else "This address was already suppressed.",
    )
    return _back(lst, reader_id)


@admin_action
async def lift(request: Request, admin: str, form: FormData) -> Response:
    state = web_state(request)
    lst, reader_id = _list(request), int(request.path_params["reader_id"])
    try:
        await run_in_threadpool(reader_admin.lift_suppression, state.rt, lst.slug, reader_id)
    except NotFoundError as exc:
        flash(request, exc.message, "error")
    except DigestError as exc:
        flash(request, f"{exc.message}: {exc.hint}", "error")
    else:
        flash(request, "Suppression lifted: the reader's subscriptions are as they were.")
    return _back(lst, reader_id)


def _list(request: Request) -> ListSettings:
    slug = request.path_params["slug"]
    for lst in web_state(request).settings.lists:
        if lst.slug == slug:
            return lst
    raise HTTPException(404, f"No list {slug!r}.")


def _after(request: Request) -> int:
    value = request.query_params.get("after", "0")
    if not value.isdigit() or len(value) > 10 or int(value) > ROW_ID_MAX:
        raise HTTPException(400, "after: expected a reader's position from the Next link.")
    return int(value)


def _back(lst: ListSettings, reader_id: int) -> Response:
    return RedirectResponse(f"/admin/readers/{lst.slug}/{reader_id}", status_code=303)


def routes() -> list[Route]:
    one = "/admin/readers/{slug}/" + row_id("reader_id")
    return [
        Route("/admin/readers", lists_page, methods=["GET"], name="admin_readers"),
        Route("/admin/readers/{slug}", list_page, methods=["GET"], name="admin_reader_list"),
        Route("/admin/readers/{slug}/export.csv", export, methods=["GET"], name="admin_export"),
        Route(one, reader_page, methods=["GET"], name="admin_reader"),
        Route(one + "/resend", resend, methods=["POST"]),
        Route(one + "/suppress", suppress, methods=["POST"]),
        Route(one + "/lift", lift, methods=["POST"]),
    ]
