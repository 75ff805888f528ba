"""/c/WHO/TOKEN: a counted story link. It answers 302 to the story's article (UTM added)
and counts one click for (issue, story). No cookie is set and no address or user agent is
stored; only with analytics.per_reader is the reader (WHO, signed) recorded as well.

Not counted: HEAD requests (link checkers), links of previews and of drafts, the same story
again from the same client within analytics.scanner_window_seconds, and a link scanner's
clicks (digest/click_rules.py). A token that is not ours, or names a story the issue does not
hold, is a 404: the redirect never goes anywhere an issue does not link to."""

from __future__ import annotations

from prometheus_client import Counter
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from digest.web.state import web_state
from subscribers import reader_urls
from subscribers.reader_words import Words
from subscribers.refusals import Refusal

# Kept by each process; /metrics sums every process's (PROMETHEUS_MULTIPROC_DIR) or shows its own.
FOLLOWED = Counter(
    "digest_story_links_followed",
    "Counted story links followed, by outcome: counted, repeat, scanner, head, preview, "
    "unrecorded (the database failed: the reader was still sent on), not_found.",
    ["outcome"],
    registry=None,
)
TAKEN_BACK = Counter(
    "digest_story_clicks_taken_back",
    "Clicks counted, then taken back when their client proved a link scanner.",
    registry=None,
)
UNCOUNTED_WHO = {reader_urls.CLICK_PREVIEW}
ANONYMOUS_WHO = {reader_urls.CLICK_MAIL, reader_urls.CLICK_WEB}


async def follow(request: Request) -> Response:
    state = web_state(request)
    signer = state.rt.signer.clicks
    link = signer.story_of(request.path_params["token"])
    who = request.path_params["who"]
    reader: int | None = None
    if link is not None and who not in UNCOUNTED_WHO | ANONYMOUS_WHO:
        reader = signer.reader_of(who, link.issue_id)
        if reader is None:
            link = None
    target = await state.clicks.target(*link[:2]) if link is not None else None
    if link is None or target is None:
        FOLLOWED.labels("not_found").inc()
        raise Refusal(404, Words("This link is not one of ours, or no longer leads anywhere."))
    stories = link.stories or target.stories  # in the mail the link was in, or the issue
    outcome = await _count(request, link[:2], stories, target.sent, who, reader)
    FOLLOWED.labels(outcome).inc()
    return RedirectResponse(
        target.url,
        status_code=302,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


async def _count(
    request: Request,
    story: tuple[int, int],
    stories: int,
    sent: bool,
    who: str,
    reader: int | None,
) -> str:
    state = web_state(request)
    if request.method == "HEAD":
        return "head"
    if who in UNCOUNTED_WHO or not sent:
        return "preview"
    counter = state.clicks
    client = counter.client(
        request.client.host if request.client else None, request.headers.get("user-agent", "")
    )
    if not state.settings.analytics.per_reader:
        reader = None
    judgement = counter.judge(client, *story, stories, reader)
    if judgement.taken_back:
        TAKEN_BACK.inc(len(judgement.taken_back))
    stored = await counter.store(*story, judgement, reader)
    return judgement.reason if stored else "unrecorded"


def routes() -> list[Route]:
    return [Route(reader_urls.click_route(), follow, methods=["GET", "HEAD"], name="story_link")]
