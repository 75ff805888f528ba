"""Every reader-facing URL: where each reader page lives, and its link from a base URL."""

from __future__ import annotations

from typing import Literal

# The pages a reader reaches through a signed token, each at its own prefix. A prefix alone,
# without a token, is the page that tells a reader to use the link in their email.
ReaderLink = Literal["unsubscribe", "preferences", "confirm"]
PREFIXES: dict[ReaderLink, str] = {
    "unsubscribe": "/u",
    "preferences": "/p",
    "confirm": "/confirm",
}
ARCHIVE = "/archive"
# Counted story links: /c/WHO/TOKEN. TOKEN names the issue and story; WHO is where the link
# was (a mail, the web version, a preview: only the first two are counted) or, with
# analytics.per_reader, the reader's own signed part. WHO comes first so that log redaction,
# which cuts the segment after the prefix, removes a reader's part.
CLICK = "/c"
CLICK_MAIL, CLICK_WEB, CLICK_PREVIEW = "m", "w", "p"


def reader_path(page: ReaderLink, token: str) -> str:
    """The path of a reader's page for this token: /u/TOKEN, /p/TOKEN, /confirm/TOKEN."""
    return f"{PREFIXES[page]}/{token}"


def reader_url(base_url: str, page: ReaderLink, token: str) -> str:
    """The absolute link a mail carries to a reader's page for this token."""
    return base_url + reader_path(page, token)


def tokenless_path(page: ReaderLink) -> str:
    """The page's prefix alone: a link that works for no one (the web version's links)."""
    return PREFIXES[page]


def tokenless_url(base_url: str, page: ReaderLink) -> str:
    return base_url + tokenless_path(page)


def token_of(url: str) -> str:
    """The token at the end of a reader link."""
    return url.rpartition("/")[2]


def route(page: ReaderLink, action: str = "") -> str:
    """The web route's path of a reader page, or of one of its actions (/p/{token}/leave)."""
    return reader_path(page, "{token}") + (f"/{action}" if action else "")


def archive_list_path(slug: str) -> str:
    return f"{ARCHIVE}/{slug}"


def archive_feed_path(slug: str) -> str:
    """The list's archive as an Atom feed."""
    return f"{ARCHIVE}/{slug}/feed.xml"


def archive_url(base_url: str, slug: str, number: int) -> str:
    """The web version of a list's issue."""
    return f"{base_url}{archive_list_path(slug)}/{number}"


def click_url(base_url: str, who: str, token: str) -> str:
    """A counted story link."""
    return f"{base_url}{CLICK}/{who}/{token}"


def click_route() -> str:
    return CLICK + "/{who}/{token}"
