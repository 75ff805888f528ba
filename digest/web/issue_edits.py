"""The editor's changes to an issue's content: a story's title and summary, its section, the
lead story, the sections' order, a story added by its URL. Each returns to where it was made."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from digest.pipeline import added_stories, editor_actions
from digest.web.editor_forms import article_id_of, change, editor_action, form_text, step
from digest.web.ids import row_id
from digest.web.state import web_state


@editor_action
async def edit_story(request: Request, editor: str, form: FormData) -> Response:
    state = web_state(request)
    article_id = article_id_of(request)
    title, summary = form_text(form, "title"), form_text(form, "summary")
    return await change(
        request,
        "Story saved for this issue; the collected article is unchanged.",
        lambda issue_id: editor_actions.edit_story(
            state.rt,
            issue_id,
            article_id,
            title=title,
            summary=summary,
            editor=editor,
            now=state.now(),
        ),
        f"article-{article_id}",
    )


@editor_action
async def move_to_section(request: Request, editor: str, form: FormData) -> Response:
    state = web_state(request)
    article_id = article_id_of(request)
    section = form_text(form, "section")
    return await change(
        request,
        f"Story moved to {' '.join(section.split())}.",
        lambda issue_id: editor_actions.move_to_section(
            state.rt, issue_id, article_id, section, editor=editor, now=state.now()
        ),
        f"article-{article_id}",
    )


@editor_action
async def choose_lead(request: Request, editor: str, form: FormData) -> Response:
    """Make a story the lead; an empty choice lets the first story lead again."""
    state = web_state(request)
    choice = form_text(form, "article_id").strip()
    if choice and not choice.isdigit():
        raise HTTPException(400, "Choose a story of this issue.")
    article_id = int(choice) if choice else None
    return await change(
        request,
        "Lead story chosen." if article_id else "The first story leads.",
        lambda issue_id: editor_actions.set_lead(
            state.rt, issue_id, article_id, editor=editor, now=state.now()
        ),
        f"article-{article_id}" if article_id else "articles",
    )


@editor_action
async def move_section(request: Request, editor: str, form: FormData) -> Response:
    state = web_state(request)
    section = form_text(form, "section")
    direction, offset = step(form, "a section")
    return await change(
        request,
        f"Section {section} moved {direction}.",
        lambda issue_id: editor_actions.move_section(
            state.rt,
            issue_id,
            section,
            offset,
            editor=editor,
            now=state.now(),
        ),
        "sections",
    )


@editor_action
async def add_story(request: Request, editor: str, form: FormData) -> Response:
    """Collect one page by its URL, through collection's guarded fetcher, into this issue."""
    state = web_state(request)
    url = form_text(form, "url").strip()
    return await change(
        request,
        "Story added at the end of its section.",
        lambda issue_id: added_stories.add_story(
            state.rt, issue_id, url, editor=editor, now=state.now()
        ),
        "add-story",
    )


def routes() -> list[Route]:
    issue = "/editor/issues/" + row_id("issue_id")
    article = issue + "/articles/" + row_id("article_id")
    return [
        Route(article + "/story", edit_story, methods=["POST"], name="editor_edit_story"),
        Route(article + "/section", move_to_section, methods=["POST"], name="editor_story_section"),
        Route(issue + "/lead", choose_lead, methods=["POST"], name="editor_lead"),
        Route(issue + "/sections/move", move_section, methods=["POST"], name="editor_sections"),
        Route(issue + "/stories", add_story, methods=["POST"], name="editor_add_story"),
    ]
