"""The editor's pages: lists and their issues, an issue's preview, edits, test send, approval."""

from __future__ import annotations

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from digest import pipeline
from digest.config import ListSettings
from digest.errors import DigestError, NotFoundError
from digest.pipeline import editor_actions, rendering
from digest.pipeline.clicks import StoryCount, story_counts
from digest.pipeline.composing import IssueRef
from digest.pipeline.runtime import Runtime
from digest.pipeline.sources import SourceHealth, source_health
from digest.render.checks import Check
from digest.render.email import personalise
from digest.states import DeliveryStatus, IssueStatus
from digest.web.auth import editor_required
from digest.web.editor_forms import (
    article_id_of,
    back_to_issue,
    change,
    editor_action,
    form_text,
    issue_id_of,
    or_404,
    step,
)
from digest.web.headers import EMAIL_PREVIEW_POLICY
from digest.web.ids import row_id
from digest.web.sessions import flash
from digest.web.state import web_state

# The widths the preview shows side by side: the common email column, and a small phone.
PREVIEW_WIDTHS = {"desktop": 600, "mobile": 375}

# ----------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class ListOverview:
    settings: ListSettings
    issues: list[IssueRef]

    @property
    def zone(self) -> ZoneInfo:
        """The list's zone, in which its send times are chosen and shown."""
        return ZoneInfo(self.settings.timezone)


@editor_required
async def home(request: Request, editor: str) -> Response:
    state = web_state(request)

    def gather() -> tuple[list[ListOverview], list[SourceHealth]]:
        rt = state.rt
        lists = [
            ListOverview(lst, editor_actions.issues_of_list(rt, lst.slug))
            for lst in rt.settings.lists
        ]
        return lists, source_health(rt)

    lists, health = await run_in_threadpool(gather)
    return state.pages.render(
        request,
        "editor_home.html",
        {"lists": lists, "sources_with_failed_fetch": _last_fetch_failed(health)},
    )


@dataclass(frozen=True)
class IssuePage:
    issue: editor_actions.EditorIssue
    list_name: str
    checks: list[Check]
    text: str
    sources_with_failed_fetch: list[SourceHealth]
    # Once sent: deliveries sent, and each story's clicks by article id.
    delivered: int = 0
    clicks: dict[int, StoryCount] = field(default_factory=dict)
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))  # the list's: send times


@editor_required
async def issue_page(request: Request, editor: str) -> Response:
    state = web_state(request)
    issue_id = issue_id_of(request)

    def gather() -> IssuePage:
        rt = state.rt
        issue = editor_actions.editor_issue(rt, issue_id)
        delivered, counts = 0, list[StoryCount]()
        if issue.ref.status != IssueStatus.DRAFT:
            with rt.sessions() as session:
                delivered, counts = story_counts(session, issue_id)
        return IssuePage(
            issue=issue,
            list_name=rt.settings.mailing_list(issue.ref.list_slug).name,
            checks=pipeline.checks(rt, issue_id),
            text=_sample_copy(rt, issue_id)[1],
            sources_with_failed_fetch=_last_fetch_failed(source_health(rt)),
            delivered=delivered,
            clicks={count.article_id: count for count in counts},
            zone=ZoneInfo(rt.settings.mailing_list(issue.ref.list_slug).timezone),
        )

    page = await or_404(run_in_threadpool(gather))
    context = {
        "page": page,
        "issue": page.issue,
        "sources_with_failed_fetch": page.sources_with_failed_fetch,
        "widths": PREVIEW_WIDTHS,
    }
    return state.pages.render(request, "editor_issue.html", context)


@editor_required
async def issue_email(request: Request, editor: str) -> Response:
    """The issue's HTML as a sample reader gets it, for the sandboxed preview frames; once
    its send has started, the web version stored then (what the archive shows)."""
    state = web_state(request)
    issue_id = issue_id_of(request)
    stored = await or_404(run_in_threadpool(rendering.stored_web_version, state.rt, issue_id))
    if stored is not None:
        html_out = stored
    else:
        html_out, _text = await or_404(run_in_threadpool(_sample_copy, state.rt, issue_id))
    return HTMLResponse(
        html_out,
        headers={"Content-Security-Policy": EMAIL_PREVIEW_POLICY, "X-Frame-Options": "SAMEORIGIN"},
    )


def _sample_copy(rt: Runtime, issue_id: int) -> tuple[str, str]:
    """(html, text) of the issue for a sample reader, whose links carry no one's token."""
    return personalise(pipeline.render(rt, issue_id), rendering.sample_reader(rt.settings))


def _last_fetch_failed(health: list[SourceHealth]) -> list[SourceHealth]:
    return [source for source in health if source.last_fetch_failed]


# ----------------------------------------------------------------------------- actions


@editor_action
async def prepare_issue(request: Request, editor: str, form: FormData) -> Response:
    """Compose this week's issue of a list (or refresh the draft with new articles)."""
    state = web_state(request)
    slug = request.path_params["slug"]
    if all(lst.slug != slug for lst in state.settings.lists):
        raise HTTPException(404, f"No list {slug!r}.")
    try:
        ref = await run_in_threadpool(pipeline.compose, state.rt, slug, state.now())
    except DigestError as exc:
        flash(request, exc.message, "error")
        return RedirectResponse("/editor", status_code=303)
    if ref is None:
        flash(request, f"No new articles for {slug}: there is no issue to prepare this week.")
        return RedirectResponse("/editor", status_code=303)
    if ref.status == IssueStatus.DRAFT:
        flash(request, f"Issue #{ref.number} is ready: {ref.article_count} article(s), draft.")
    else:
        flash(request, f"This week's issue (#{ref.number}) has already gone out: {ref.status}.")
    return RedirectResponse(f"/editor/issues/{ref.id}", status_code=303)


@editor_action
async def change_subject(request: Request, editor: str, form: FormData) -> Response:
    state = web_state(request)
    subject = form_text(form, "subject")
    return await change(
        request,
        "Subject saved.",
        lambda issue_id: editor_actions.edit_issue(
            state.rt, issue_id, editor=editor, now=state.now(), subject=subject
        ),
        "wording",
    )


@editor_action
async def change_intro(request: Request, editor: str, form: FormData) -> Response:
    state = web_state(request)
    intro = form_text(form, "intro")
    return await change(
        request,
        "Introduction saved.",
        lambda issue_id: editor_actions.edit_issue(
            state.rt, issue_id, editor=editor, now=state.now(), intro=intro
        ),
        "intro",
    )


@editor_action
async def remove_article(request: Request, editor: str, form: FormData) -> Response:
    state = web_state(request)
    article_id = article_id_of(request)
    return await change(
        request,
        "Article removed; composing again will not bring it back.",
        lambda issue_id: editor_actions.remove_article(
            state.rt, issue_id, article_id, editor=editor, now=state.now()
        ),
        "articles",
    )


@editor_action
async def move_article(request: Request, editor: str, form: FormData) -> Response:
    state = web_state(request)
    article_id = article_id_of(request)
    direction, offset = step(form, "an article")
    return await change(
        request,
        f"Article moved {direction}.",
        lambda issue_id: editor_actions.move_article(
            state.rt, issue_id, article_id, offset, editor=editor, now=state.now()
        ),
        f"article-{article_id}",
    )


@editor_action
async def send_test(request: Request, editor: str, form: FormData) -> Response:
    state = web_state(request)
    issue_id = issue_id_of(request)
    address = form_text(form, "address").strip()
    try:
        result = await run_in_threadpool(
            editor_actions.send_test, state.rt, issue_id, address, state.now()
        )
    except NotFoundError as exc:
        raise HTTPException(404, exc.message) from None
    except DigestError as exc:
        flash(request, f"Test not sent: {exc.message}", "error")
    else:
        if result.outcome == DeliveryStatus.SENT:
            flash(request, f"Test sent to {address} (subject marked [TEST]): {result.reply}")
        else:
            flash(request, f"Test to {address} {result.outcome}: {result.reply}", "error")
    return back_to_issue(issue_id, "test-send")


@editor_action
async def approve(request: Request, editor: str, form: FormData) -> Response:
    state = web_state(request)
    return await change(
        request,
        f"Approved by {editor}: it goes out with the next send.",
        lambda issue_id: editor_actions.approve(state.rt, issue_id, editor=editor, now=state.now()),
        "decision",
    )


@editor_action
async def hold(request: Request, editor: str, form: FormData) -> Response:
    state = web_state(request)
    return await change(
        request,
        "Held: it will not be sent until an editor approves it.",
        lambda issue_id: editor_actions.hold(state.rt, issue_id, editor=editor, now=state.now()),
        "decision",
    )


def routes() -> list[Route]:
    issue = "/editor/issues/" + row_id("issue_id")
    article = issue + "/articles/" + row_id("article_id")
    return [
        Route("/editor", home, methods=["GET"], name="editor_home"),
        Route("/editor/lists/{slug}/compose", prepare_issue, methods=["POST"]),
        Route(issue, issue_page, methods=["GET"], name="editor_issue"),
        Route(issue + "/email.html", issue_email, methods=["GET"], name="editor_issue_email"),
        Route(issue + "/subject", change_subject, methods=["POST"]),
        Route(issue + "/intro", change_intro, methods=["POST"]),
        Route(article + "/remove", remove_article, methods=["POST"]),
        Route(article + "/move", move_article, methods=["POST"]),
        Route(issue + "/test", send_test, methods=["POST"]),
        Route(issue + "/approve", approve, methods=["POST"]),
        Route(issue + "/hold", hold, methods=["POST"]),
    ]
