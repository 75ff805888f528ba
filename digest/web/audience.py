"""The editor's Audience page: the sign-up form other sites may embed, and why readers left."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from digest.render.language import direction
from digest.web.auth import editor_required
from digest.web.state import web_state
from subscribers import leaving
from subscribers.embed import embed_snippet
from subscribers.reader_input import REASON_LABELS
from subscribers.reader_page import consent_words


@dataclass(frozen=True)
class Snippet:
    list_name: str
    html: str


@editor_required
async def audience(request: Request, editor: str) -> Response:
    state = web_state(request)
    settings = state.settings

    def gather() -> tuple[list[leaving.ReasonCount], list[leaving.LeavingNote]]:
        with state.rt.sessions() as session:
            return leaving.reason_counts(session), leaving.latest_notes(session)

    counts, notes = await run_in_threadpool(gather)
    snippets = [
        Snippet(
            lst.name,
            # In the list's language, as its sign-up page (the consent sentence included).
            embed_snippet(
                settings.newsletter.base_url,
                lst.slug,
                lst.name,
                consent_words(settings),
                say=partial(state.pages.say, language=lst.language),
                language=lst.language,
                direction=direction(lst.language),
            ),
        )
        for lst in settings.lists
    ]
    context = {
        "snippets": snippets,
        "embed_origins": settings.readers.embed_origins,
        "counts": counts,
        "notes": notes,
        "labels": REASON_LABELS,
    }
    return state.pages.render(request, "editor_audience.html", context)


def routes() -> list[Route]:
    return [Route("/editor/audience", audience, methods=["GET"], name="editor_audience")]
