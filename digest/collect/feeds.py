"""Feed bytes -> entries (RSS and Atom through feedparser); pure: no network, no clock."""

from __future__ import annotations

import calendar
import html
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

import feedparser

from digest.errors import CollectError
from digest.links import is_http_url


@dataclass(frozen=True)
class FeedEntry:
    guid: str | None
    link: str | None  # absolute, resolved against the feed's own URL
    title: str
    author: str | None
    published_at: datetime | None
    summary_html: str  # the feed's description/summary (often a teaser)
    content_html: str  # the full content when the feed carries it, else ""
    categories: tuple[str, ...]
    image_url: str | None = None  # media:content, media:thumbnail or an image enclosure


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    entries: tuple[FeedEntry, ...]


def parse_feed(data: bytes, url: str) -> ParsedFeed:
    """Parse feed bytes fetched from url; raise CollectError when they hold no feed at all."""
    if not isinstance(data, bytes):
        # feedparser treats a str that is not XML as a path or URL to open: never give it one.
        raise TypeError("parse_feed takes the raw bytes of the feed")
    # feedparser resolves relative links (xml:base) against content-location, but mangles
    # file: URLs; those are resolved by urljoin in _entry instead.
    headers = {"content-location": url} if url.startswith(("http://", "https://")) else {}
    parsed = feedparser.parse(data, response_headers=headers)
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        detail = f": {reason}" if reason else ""
        raise CollectError(
            f"{url}: not an RSS or Atom feed{detail}",
            hint="check that the source url points at the feed itself (often /feed/ or /rss)",
        )
    entries = tuple(_entry(raw, url) for raw in parsed.entries)
    feed = parsed.get("feed", {})
    return ParsedFeed(title=feed.get("title", ""), link=feed.get("link"), entries=entries)


def _entry(raw: feedparser.FeedParserDict, feed_url: str) -> FeedEntry:
    link = raw.get("link")
    content = ""
    for part in raw.get("content", []) or []:
        if part.get("value"):
            content = part["value"]
            break
    summary = raw.get("summary", "") or ""
    if content.strip() == summary.strip():
        # RSS without content:encoded puts the description in both; it is not full content.
        content = ""
    categories = tuple(
        term.strip() for tag in raw.get("tags", []) or [] if (term := tag.get("term") or "").strip()
    )
    return FeedEntry(
        guid=(raw.get("id") or "").strip() or None,
        link=urljoin(feed_url, link.strip()) if link else None,
        title=plain_title(raw.get("title") or ""),
        author=(raw.get("author") or "").strip() or None,
        published_at=_when(raw.get("published_parsed") or raw.get("updated_parsed")),
        summary_html=summary,
        content_html=content,
        categories=categories,
        image_url=_image(raw, feed_url),
    )


def _image(raw: feedparser.FeedParserDict, feed_url: str) -> str | None:
    candidates = [
        m.get("url")
        for m in raw.get("media_content", []) or []
        if m.get("medium") == "image" or str(m.get("type", "")).startswith("image/")
    ]
    candidates += [m.get("url") for m in raw.get("media_thumbnail", []) or []]
    candidates += [
        e.get("href")
        for e in raw.get("enclosures", []) or []
        if str(e.get("type", "")).startswith("image/")
    ]
    for candidate in candidates:
        if candidate:
            absolute = urljoin(feed_url, candidate.strip())
            if is_http_url(absolute):
                return absolute
    return None


_TAG = re.compile(r"<[^>]*>")


def plain_title(title: str) -> str:
    """A title as a reader sees it: markup dropped, entities (often escaped twice) decoded."""
    text = _TAG.sub("", title)
    for _ in range(2):
        text = html.unescape(text)
    return " ".join(text.split())


def _when(parsed: time.struct_time | None) -> datetime | None:
    if parsed is None:
        return None
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
