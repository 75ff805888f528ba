"""An article page's title, author, date, categories and tags, for items whose feed lacks them;
pure: trafilatura's metadata (htmldate for the date) where it is better, the page's own tags
where they say more. No clock: a date is the page's, never today's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from urllib.parse import urlsplit

from lxml import etree
from trafilatura.metadata import extract_metadata

from digest.collect.dates import iso_datetime

# "View all posts by Jane", "Posts by Jane", "By Jane": an author link's words, not a name.
_AUTHOR_NOISE = re.compile(
    r"^\s*(view all posts by|all posts by|more posts by|posts by|articles by|by)\s+", re.I
)
# What separates a headline from the site's name in <title> and og:title.
_SEPARATORS = r"\s+[|\-–—:·•»]\s+"
# A date-only value is kept as noon UTC: the same calendar day from UTC-12 to UTC+11, where a
# reader's zone would turn midnight UTC into the day before.
_DATE_ONLY_AT = time(12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class PageMetadata:
    title: str | None = None
    author: str | None = None
    published_at: datetime | None = None  # UTC
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    site_name: str | None = None


def page_metadata(tree: etree._Element, url: str) -> PageMetadata:
    """trafilatura's reading of the page's metadata; empty when it gives up on the tree."""
    try:
        found = extract_metadata(tree, default_url=url, extensive=False)
    except (ValueError, TypeError, etree.LxmlError, RecursionError):
        return PageMetadata()
    return PageMetadata(
        title=_spaced(found.title),
        author=author_name(found.author),
        published_at=page_time(found.date),
        categories=tuple(c for c in (_spaced(c) for c in found.categories or []) if c),
        tags=tuple(t for t in (_spaced(t) for t in found.tags or []) if t),
        site_name=_spaced(found.sitename),
    )


def headline(title: str | None, url: str, site_names: tuple[str | None, ...] = ()) -> str | None:
    """The title without the site's name before or after it ("Story | Site", "Site - Story"):
    a part is the site's name when it is one of site_names or holds the host's name."""
    title = _spaced(title)
    if not title:
        return None
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    host_label = host.split(".")[0] if host else ""
    names = {_letters(n) for n in site_names if n}
    parts = re.split(f"({_SEPARATORS})", title)
    if len(parts) < 3:
        return title

    def is_site(part: str) -> bool:
        letters = _letters(part)
        if not letters or len(part.split()) > 5:
            return False
        return letters in names or (len(host_label) >= 3 and host_label in letters)

    if is_site(parts[-1]):
        kept = "".join(parts[:-2]).strip()
    elif is_site(parts[0]):
        kept = "".join(parts[2:]).strip()
    else:
        return title
    return kept or title


def author_name(value: str | None) -> str | None:
    """A byline's name: "View all posts by …" and "By …" words cut, links and e-mail refused."""
    value = _spaced(value)
    if not value:
        return None
    value = _AUTHOR_NOISE.sub("", value).strip()
    if not value or re.search(r"https?://|www\.|@|\.(com|org|net)\b", value, re.I):
        return None
    return value


def published_at(page_time: datetime | None, page_date: datetime | None) -> datetime | None:
    """The page's own timestamp when htmldate's day agrees with it (or found none), else
    htmldate's day; a date-only value is never moved to another day by a time zone."""
    if page_date is None:
        return page_time
    if page_time is not None and page_time.date() == page_date.date():
        return page_time
    return page_date


def page_time(value: str | None) -> datetime | None:
    """An ISO date or time from a page in UTC; a date alone at noon UTC (_DATE_ONLY_AT)."""
    if not value:
        return None
    if len(value.strip()) == 10:  # YYYY-MM-DD
        try:
            return datetime.combine(date.fromisoformat(value.strip()), _DATE_ONLY_AT)
        except ValueError:
            return None
    return iso_datetime(value)


def _letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _spaced(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None
