"""The home page, the public archive of sent issues (the "view in browser" pages) and the
token-less link pages."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from digest import pipeline
from digest.config import ListSettings
from digest.errors import NotFoundError
from digest.pipeline.archive_feed import archive_feed
from digest.web.headers import WEB_VERSION_POLICY
from digest.web.ids import row_id
from digest.web.state import web_state
from subscribers.reader_page import shared_language
from subscribers.reader_urls import archive_feed_path, archive_list_path, tokenless_path
from subscribers.reader_words import Words
from subscribers.refusals import Refusal


async def home(request: Request) -> Response:
    """The site's front door: each list, with its sign-up link and its archive."""
    state = web_state(request)
    lists = [
        {
            "list": lst,
            "subscribe_url": f"/subscribe?{urlencode({'list': lst.slug})}",
            "archive_url": archive_list_path(lst.slug),
            "feed_url": archive_feed_path(lst.slug),
        }
        for lst in state.settings.lists
    ]
    context = {"lists": lists, "language": shared_language(state.settings)}
    return state.pages.render(request, "home.html", context)


async def archive_list(request: Request) -> Response:
    state = web_state(request)
    lst = _configured_list(request)
    issues = await run_in_threadpool(pipeline.archive, state.rt, lst.slug)
    context = {
        "list": lst,
        "issues": issues,
        "feed_url": archive_feed_path(lst.slug),
        "language": lst.language,
    }
    return state.pages.render(request, "archive_list.html", context)


async def web_version(request: Request) -> Response:
    """A sent issue as anyone may see it: the same for everyone, with no one's data or token."""
    state = web_state(request)
    lst = _configured_list(request)
    number = int(request.path_params["number"])
    try:
        html_out = await run_in_threadpool(pipeline.web_version, state.rt, lst.slug, number)
    except NotFoundError:
        raise Refusal(
            404,
            Words("%(list)s has no sent issue #%(number)s.", list=lst.name, number=number),
            language=lst.language,
        ) from None
    return HTMLResponse(html_out, headers={"Content-Security-Policy": WEB_VERSION_POLICY})


async def feed(request: Request) -> Response:
    """The list's sent issues as Atom: what a feed reader follows instead of the mails."""
    state = web_state(request)
    lst = _configured_list(request)
    body = await run_in_threadpool(archive_feed, state.rt, lst.slug)
    return Response(body, media_type="application/atom+xml; charset=utf-8")


def _configured_list(request: Request) -> ListSettings:
    slug = request.path_params["slug"]
    for lst in web_state(request).settings.lists:
        if lst.slug == slug:
            return lst
    raise Refusal(404, Words("There is no list “%(slug)s”.", slug=slug))


async def unsubscribe_help(request: Request) -> Response:
    """/u without a token: the web version's footer links here, on purpose working for no one."""
    message = Words(
        "To unsubscribe, use the link at the bottom of any digest email you received: it is "
        "made for your address alone."
    )
    return _link_help(request, Words("Unsubscribe"), message)


async def preferences_help(request: Request) -> Response:
    message = Words(
        "To change your preferences, use the link at the bottom of any digest email you "
        "received: it is made for your address alone."
    )
    return _link_help(request, Words("Your preferences"), message)


def _link_help(request: Request, title: Words, message: Words) -> Response:
    """In the language every list shares: the link names no one, so no list."""
    state = web_state(request)
    context = {"title": title, "message": message, "language": shared_language(state.settings)}
    return state.pages.render(request, "message.html", context)


def routes() -> list[Route]:
    return [
        Route("/", home, methods=["GET"], name="home"),
        Route(archive_list_path("{slug}"), archive_list, methods=["GET"], name="archive_list"),
        Route(archive_feed_path("{slug}"), feed, methods=["GET"], name="archive_feed"),
        Route(
            f"{archive_list_path('{slug}')}/{row_id('number')}",
            web_version,
            methods=["GET"],
            name="web_version",
        ),
        # The web version's links, which carry no one's token, lead here.
        Route(
            tokenless_path("unsubscribe"),
            unsubscribe_help,
            methods=["GET"],
            name="unsubscribe_help",
        ),
        Route(
            tokenless_path("preferences"),
            preferences_help,
            methods=["GET"],
            name="preferences_help",
        ),
    ]
