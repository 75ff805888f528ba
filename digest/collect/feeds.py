"""Feed bytes -> entries (RSS, Atom through feedparser; JSON Feed); pure: no network, no clock."""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from urllib.parse import urljoin

import feedparser
import lxml.html
from feedparser.sgml import sgmllib  # the fallback parser feedparser ships with
from lxml import etree

from digest.collect.dates import feed_datetime, struct_datetime
from digest.collect.feed_xml import CheckedXml, checked_xml
from digest.collect.text import language_tag, without_control_chars
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
    language: str | None = None  # the item's dc:language or xml:lang, as declared


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    entries: tuple[FeedEntry, ...]
    language: str | None = None


# The defaults of collect.max_entries and collect.max_bytes, for callers without settings.
MAX_ENTRIES = 1000
MAX_EXPANSION = 5_000_000


def parse_feed(
    data: bytes,
    url: str,
    *,
    max_entries: int = MAX_ENTRIES,
    max_expansion: int = MAX_EXPANSION,
    content_type: str = "",
) -> ParsedFeed:
    """Parse feed bytes fetched from url (with content_type, its HTTP Content-Type, if any);
    raise CollectError when they hold no feed at all, or one that breaks the bounds (entries,
    entity expansion) or the parser."""
    if not isinstance(data, bytes):
        # feedparser treats a str that is not XML as a path or URL to open: never give it one.
        raise TypeError("parse_feed takes the raw bytes of the feed")
    if is_json_feed(data):
        return parse_json_feed(data, url, max_entries=max_entries)
    checked = checked_xml(
        data, url, max_entries=max_entries, max_expansion=max_expansion, content_type=content_type
    )
    return parse_checked(checked, url)


def is_json_feed(data: bytes) -> bool:
    return data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")


def parse_checked(checked: CheckedXml, url: str) -> ParsedFeed:
    """The feed in XML that checked_xml let through."""
    # No content-location: feedparser would resolve a GUID such as "harbour-1" against the
    # feed's URL, and the article's identity would change when the feed moves. Links left
    # relative (after any absolute xml:base) are resolved by urljoin in _entry instead.
    try:
        parsed = feedparser.parse(checked.xml)
    except (ValueError, LookupError, sgmllib.SGMLParseError, RecursionError) as exc:
        # Bytes that make feedparser or its fallback parser (sgmllib) raise: this feed's error.
        raise CollectError(
            f"{url}: the feed parser failed on this feed ({type(exc).__name__}: {exc})"[:500],
            hint="the feed is broken; ask the site to fix it",
        ) from None
    if not parsed.get("version") and not parsed.entries:
        reason = parsed.get("bozo_exception")
        detail = f": {reason}" if reason else ""
        raise CollectError(
            f"{url}: not an RSS or Atom feed{detail}",
            hint="check that the source url points at the feed itself (often /feed/ or /rss)",
        )
    feed = parsed.get("feed", {})
    site = home_site(url, feed.get("link"))
    entries = tuple(without_controls(_entry(raw, url, site)) for raw in parsed.entries)
    return ParsedFeed(
        title=without_control_chars(plain_title(feed.get("title", "") or "")),
        link=feed.get("link"),
        entries=entries,
        language=language_tag(feed.get("language")),
    )


def home_site(feed_url: str, home: str | None) -> str | None:
    """For a feed read from a file, the site it names as its own (its link, a JSON Feed's
    home_page_url), which its root-relative links ("/2026/11/story") are on: on disk they
    name nothing. None for a feed fetched over HTTP, whose own URL resolves them."""
    if feed_url.lower().startswith("file:") and home and is_http_url(home.strip()):
        return home.strip()
    return None


def _entry(raw: feedparser.FeedParserDict, feed_url: str, site: str | None) -> FeedEntry:
    link = raw.get("link")
    content = ""
    for part in raw.get("content", []) or []:
        if part.get("value"):
            content = part["value"]
            break
    content = unescaped_markup(content)
    summary = unescaped_markup(raw.get("summary", "") or "")
    if content.strip() == summary.strip():
        # RSS without content:encoded puts the description in both; it is not full content.
        content = ""
    categories = tuple(
        term.strip() for tag in raw.get("tags", []) or [] if (term := tag.get("term") or "").strip()
    )
    return FeedEntry(
        guid=(raw.get("id") or "").strip() or None,
        link=absolute_link(feed_url, link, site),
        title=plain_title(raw.get("title") or ""),
        author=(raw.get("author") or "").strip() or None,
        # dict.get, not raw.get: feedparser maps a missing published_parsed to updated_parsed
        # with a DeprecationWarning.
        published_at=struct_datetime(
            dict.get(raw, "published_parsed") or dict.get(raw, "updated_parsed")
        ),
        summary_html=summary,
        content_html=content,
        categories=categories,
        image_url=_image(raw, feed_url, site),
        language=language_tag(raw.get("language") or _declared_language(raw)),
    )


def _declared_language(raw: feedparser.FeedParserDict) -> str | None:
    """The xml:lang of the item's content, summary or title (Atom), inherited or its own."""
    parts = [*(raw.get("content", []) or []), raw.get("summary_detail"), raw.get("title_detail")]
    for part in parts:
        if part and part.get("language"):
            return str(part["language"])
    return None


def _image(raw: feedparser.FeedParserDict, feed_url: str, site: str | None) -> str | None:
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
        absolute = absolute_link(feed_url, candidate, site)
        if absolute and is_http_url(absolute):
            return absolute
    return None


def absolute_link(base: str, link: str | None, site: str | None = None) -> str | None:
    """link resolved against base (a root-relative one against site, when given: see
    home_site); None unless http(s) (or file: in a local feed file): javascript:, data: and
    mistyped schemes never become an article's link."""
    if not link or not link.strip():
        return None
    link = link.strip()
    if site and link.startswith("/") and not link.startswith("//"):
        base = site
    try:
        joined = urljoin(base, link)
    except ValueError:  # "https://[host/…": not a URL at all
        return None
    scheme = joined.split(":", 1)[0].lower()
    allowed = ("http", "https", "file") if base.lower().startswith("file:") else ("http", "https")
    return joined if scheme in allowed and "://" in joined[:10] else None


_TAG = re.compile(r"<[^>]*>")
_ESCAPED_TAG = re.compile(r"&lt;/?(?:p|a|br|div|span|img|em|strong|b|i|ul|ol|li|h[1-6])\b", re.I)
_REAL_TAG = re.compile(r"<(?:/?[A-Za-z][A-Za-z0-9]*)\b")


def unescaped_markup(fragment: str) -> str:
    """An HTML fragment a feed escaped twice (its tags arrive as "&lt;p&gt;" text, and a
    reader would see the markup) unescaped once; any other fragment as it is."""
    if _ESCAPED_TAG.search(fragment) and not _REAL_TAG.search(fragment):
        return html.unescape(fragment)
    return fragment


def without_controls(entry: FeedEntry) -> FeedEntry:
    """The entry with control characters removed from every text it carries; a tag, GUID or
    link left empty by that is dropped."""

    def clean(value: str | None) -> str | None:
        return without_control_chars(value) if value else value

    return replace(
        entry,
        guid=clean(entry.guid) or None,
        link=clean(entry.link) or None,
        title=clean(entry.title) or "",
        author=clean(entry.author) or None,
        summary_html=clean(entry.summary_html) or "",
        content_html=clean(entry.content_html) or "",
        categories=tuple(c for c in (clean(c) for c in entry.categories) if c and c.strip()),
        image_url=clean(entry.image_url) or None,
        language=language_tag(entry.language),
    )


def plain_title(title: str) -> str:
    """A title as a reader sees it: markup dropped, entities (often escaped twice) decoded."""
    text = _TAG.sub("", title)
    for _ in range(2):
        text = html.unescape(text)
    return " ".join(text.split())


_JSON_FEED = "https://jsonfeed.org/version/"


def parse_json_feed(data: bytes, url: str, *, max_entries: int = MAX_ENTRIES) -> ParsedFeed:
    """A JSON Feed (1.0 or 1.1) as the same entries RSS and Atom give."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    # ValueError also covers a number longer than int() reads (4300 digits).
    except (ValueError, RecursionError) as exc:
        raise CollectError(f"{url}: not a JSON Feed: {exc}") from None
    if not isinstance(doc, dict) or not str(doc.get("version", "")).startswith(_JSON_FEED):
        raise CollectError(
            f"{url}: JSON without a JSON Feed version ({_JSON_FEED}1.1)",
            hint="check that the source url points at the feed itself",
        )
    base = _text(doc.get("feed_url")) or url
    site = home_site(url, _text(doc.get("home_page_url")))
    items = doc.get("items")
    if isinstance(items, list) and len(items) > max_entries:
        raise CollectError(
            f"{url}: more than collect.max_entries ({max_entries}) entries in one feed",
            hint="raise collect.max_entries if this feed really carries that many",
        )
    entries = tuple(
        without_controls(_json_entry(item, base, site, doc))
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict)
    )
    return ParsedFeed(
        title=without_control_chars(plain_title(_text(doc.get("title")))),
        link=_text(doc.get("home_page_url")) or None,
        entries=entries,
        language=language_tag(_text(doc.get("language"))),
    )


def _json_entry(
    item: dict[str, object], base: str, site: str | None, doc: dict[str, object]
) -> FeedEntry:
    link = _text(item.get("url")) or _text(item.get("external_url"))
    content = unescaped_markup(_text(item.get("content_html")))
    if not content and _text(item.get("content_text")):
        paragraphs = _text(item.get("content_text")).split("\n\n")
        content = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs if p.strip())
    summary = html.escape(_text(item.get("summary")))
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    if not authors:
        authors = doc.get("authors") or ([doc["author"]] if doc.get("author") else [])
    names = (
        [_text(a.get("name")) for a in authors if isinstance(a, dict)]
        if isinstance(authors, list)
        else []
    )
    tags = item.get("tags")
    image = _text(item.get("image")) or _text(item.get("banner_image"))
    image_url = absolute_link(base, image, site)
    guid = _text(item.get("id"))
    return FeedEntry(
        guid=guid or None,
        link=absolute_link(base, link, site),
        title=plain_title(_text(item.get("title"))),
        author=", ".join(n for n in names if n) or None,
        published_at=feed_datetime(
            _text(item.get("date_published")) or _text(item.get("date_modified"))
        ),
        summary_html=summary or content,
        content_html=content if summary else "",
        categories=tuple(
            t.strip()
            for t in (tags if isinstance(tags, list) else [])
            if isinstance(t, str) and t.strip()
        ),
        image_url=image_url if image_url and is_http_url(image_url) else None,
        language=language_tag(_text(item.get("language"))),
    )


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


_FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/json",
    "application/rdf+xml",
    "application/xml",
    "text/xml",
)


def looks_like_html(data: bytes) -> bool:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html")) or b"<html" in head


def discover_feeds(page: bytes, url: str) -> list[str]:
    """The feeds a site's page announces (<link rel="alternate">), then WordPress's guesses:
    the category feed (this URL + feed/) and the site's /feed/."""
    found: list[str] = []
    try:
        tree = lxml.html.document_fromstring(page)
    except (etree.ParserError, ValueError):
        tree = None
    if tree is not None:
        for link in tree.xpath("//link[@href]"):
            rel = (link.get("rel") or "").lower().split()
            kind = (link.get("type") or "").lower().split(";")[0].strip()
            absolute = absolute_link(url, link.get("href"))
            if "alternate" in rel and kind in _FEED_TYPES and absolute:
                found.append(absolute)
    if url.startswith(("http://", "https://")):
        path = url.split("?")[0].split("#")[0]
        found.append(path.rstrip("/") + "/feed/")
        found.append(absolute_link(url, "/feed/") or "")
    return list(dict.fromkeys(u for u in found if is_http_url(u) or u.startswith("file:")))
