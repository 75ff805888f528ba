"""An article page's title, author, date, categories and tags, for items whose feed lacks them;
pure: trafilatura's metadata (htmldate for the date) where it is better, the page's own tags
where they say more. No clock: a date is the page's, never today's."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from trafilatura.metadata import extract_metadata

from digest.collect.dates import iso_datetime
from digest.collect.feeds import absolute_link
from digest.collect.text import language_tag, without_control_chars
from digest.links import is_http_url

# "View all posts by Jane", "Posts by Jane", "By Jane": an author link's words, not a name.
_AUTHOR_NOISE = re.compile(
    r"^\s*(view all posts by|all posts by|more posts by|posts by|articles by|by)\s+", re.I
)
# What separates a headline from the site's name in <title> and og:title.
_SEPARATORS = r"\s+(?:--|[|\-–—:·•»])\s+"
# The same, after the page's own heading: spaces are optional there ("Story-新华网").
_TAIL = re.compile(r"^\s*(?:--|[|\-–—:·•»])\s*(\S.*)$")
# A tail after the heading is the site's name when it is this short (words), and shorter than
# the heading: a site's logo in <h1> ("Courier") does not take the headline's place.
_TAIL_WORDS = 5
# A breadcrumb's first step in several languages: the site's home page, no section. Steps
# without a letter ("2026", "06/2026") are an archive's date, no section either.
_HOME = {
    "home", "home page", "homepage", "front page", "start", "startseite", "accueil",
    "inicio", "início", "главная", "首页", "ホーム", "trang chủ", "anasayfa",
}  # fmt: skip
# The images of the article's body; from each image up, where a search down from every
# element with a class took twice the time.
_ARTICLE_IMAGES = etree.XPath(
    "//img[ancestor::article or ancestor::*[contains(@class,'entry-content')]]"
)
_HEADINGS = etree.XPath("//h1")
# Elements found by an attribute, searched for from the attributes up (//@class[...]/..): the
# same elements in the same order as //*[...class...], in a third of the time.
_BREADCRUMBS = etree.XPath(
    "//@class[contains(., 'crumb')]/.. | //@aria-label[. = 'Breadcrumb' or . = 'breadcrumb']/.."
)
_AUTHOR_LINKS = etree.XPath(
    "//@rel[. = 'author']/.. | //@class[contains(., 'author')]/..//*[@class='fn']"
)
# A section's name in a title's path ("Story » Local » News » Site") is this short (words).
_SECTION_WORDS = 3
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


def article_metadata(
    tree: lxml.html.HtmlElement, url: str, *, with_trafilatura: bool = True
) -> dict[str, Any]:
    """ExtractedArticle's metadata fields: the page's own tags, and trafilatura's reading
    (page_metadata) unless with_trafilatura is False."""
    metas = _meta_index(tree)
    image_url, image_alt = _lead_image(tree, metas, url)
    found = page_metadata(tree, url) if with_trafilatura else PageMetadata()
    heading = _first_text(tree, _HEADINGS)
    site_names = (_meta(metas, "og:site_name"), found.site_name)
    title = headline(_meta(metas, "og:title") or found.title or heading, url, site_names, heading)
    return {
        "title": title,
        "canonical_url": _canonical(tree, url),
        "section": _breadcrumb_section(tree) or _meta(metas, "article:section"),
        "tags": tuple(_metas(metas, "article:tag")) or found.tags,
        "categories": found.categories,
        "image_count": len(_ARTICLE_IMAGES(tree)),
        "image_url": image_url,
        "image_alt": image_alt,
        "author": not_the_site(found.author or _author(tree, metas), url, site_names),
        "published_at": published_at(_published(tree, metas), found.published_at),
        "language": _language(tree, metas),
    }


def page_metadata(tree: etree._Element, url: str) -> PageMetadata:
    """trafilatura's reading of the page's metadata; empty when it gives up on the tree."""
    try:
        found = extract_metadata(tree, default_url=url)
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


def headline(
    title: str | None,
    url: str,
    site_names: tuple[str | None, ...] = (),
    heading: str | None = None,
) -> str | None:
    """The title without the site's name before or after it ("Story | Site", "Site - Story"):
    a part is the site's name when it is one of site_names or holds the host's name. The
    page's heading (its first <h1>) when the title is that heading in other quotes, or that
    heading and a short tail ("Story-新华网", "Story | A Name No Tag Gives")."""
    title = _spaced(title)
    if not title:
        return None
    if (own := _own_heading(title, _spaced(heading))) is not None:
        return own
    # The site's own label of its host ("cnn" of edition.cnn.com), not a subdomain ("news").
    labels = (urlsplit(url).hostname or "").split(".")
    host_label = labels[-2] if len(labels) >= 2 else ""
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
        kept = "".join(_without_sections(parts[:-2], parts[-2])).strip()
    elif is_site(parts[0]):
        kept = "".join(parts[2:]).strip()
    else:
        return title
    return kept or title


def _without_sections(parts: list[str], separator: str) -> list[str]:
    """A title's parts (split with their separators) less the section's path at their end
    ("Story » Local » News" before "» Site"): parts after the site's own separator, of at most
    _SECTION_WORDS words and fewer than what comes before them."""
    while len(parts) >= 3 and parts[-2].strip() == separator.strip():
        section, rest = parts[-1].split(), "".join(parts[:-2]).split()
        if len(section) > _SECTION_WORDS or len(section) >= len(rest):
            break
        parts = parts[:-2]
    return parts


def _own_heading(title: str, heading: str | None) -> str | None:
    if not heading:
        return None
    if _letters(title) == _letters(heading):
        return heading
    if not title.startswith(heading):
        return None
    tail = _TAIL.match(title[len(heading) :])
    if tail and len(tail[1].split()) <= _TAIL_WORDS and len(tail[1]) < len(heading):
        return heading
    return None


def not_the_site(author: str | None, url: str, site_names: tuple[str | None, ...]) -> str | None:
    """A byline less the names in it that are the site's own (its og:site_name, its host's
    name: "Jane Doe; CNN" on cnn.com): the publisher beside the authors. A site's name alone
    stays: on a personal blog the author and the site have one name."""
    if not author:
        return None
    host = (urlsplit(url).hostname or "").removeprefix("www.")
    labels = host.split(".")
    sites = {_letters(n) for n in site_names if n} | {_letters(host)}
    if len(labels) >= 2 and len(labels[-2]) >= 3:
        sites.add(_letters(labels[-2]))
    sites.discard("")
    names = [n for n in (part.strip() for part in author.split(";")) if n]
    kept = [n for n in names if _letters(n) not in sites]
    return "; ".join(kept) if kept else author


def author_name(value: str | None) -> str | None:
    """A byline's name: "View all posts by …" and "By …" words cut, links and e-mail refused."""
    value = _spaced(value)
    if not value:
        return None
    value = _AUTHOR_NOISE.sub("", value).strip()
    if not value or re.search(r"https?://|www\.|@|\.(com|org|net)\b", value, re.I):
        return None
    return value


def published_at(timestamp: datetime | None, day: datetime | None) -> datetime | None:
    """The page's own timestamp when htmldate's day agrees with it (or found none), else
    htmldate's day; a date-only value is never moved to another day by a time zone."""
    if day is None:
        return timestamp
    if timestamp is not None and timestamp.date() == day.date():
        return timestamp
    return day


def page_time(value: str | None) -> datetime | None:
    """An ISO date or time from a page in UTC; a date alone at noon UTC (_DATE_ONLY_AT), and so
    a date written as its midnight ("2026-11-18T00:00:00+02:00", how CMSs write a day without
    a time), which UTC would put on the day before."""
    if not value or not value.strip():
        return None
    text = value.strip()
    try:
        if len(text) == 10:  # YYYY-MM-DD
            return datetime.combine(date.fromisoformat(text), _DATE_ONLY_AT)
        local = datetime.fromisoformat(text)
    except ValueError:
        return None
    when = iso_datetime(text)  # None when UTC cannot hold it
    if when is not None and local.time() == time(0):
        return datetime.combine(local.date(), _DATE_ONLY_AT)
    return when


def _letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def _spaced(value: str | None) -> str | None:
    # The page's bytes were cleaned before parsing: a "&#x202E;" in a tag is only read now.
    text = " ".join(without_control_chars(value or "").split())
    return text or None


Metas = dict[str, list[str]]  # a meta tag's property or name -> the contents it gives


def _meta_index(tree: lxml.html.HtmlElement) -> Metas:
    """Every <meta> with content, by property and by name, in page order: read once, where a
    search of the page per tag asked for took a tenth of the extraction's own time."""
    index: Metas = {}
    for meta in tree.iter("meta"):
        content = " ".join((meta.get("content") or "").split())
        if content:
            for key in {meta.get("property"), meta.get("name")} - {None}:
                index.setdefault(key, []).append(content)
    return index


def _meta(metas: Metas, prop: str) -> str | None:
    values = metas.get(prop)
    return values[0] if values else None


def _metas(metas: Metas, prop: str) -> list[str]:
    return metas.get(prop, [])


def _first_text(tree: lxml.html.HtmlElement, xpath: etree.XPath) -> str | None:
    for el in xpath(tree):
        text = " ".join(el.text_content().split())
        if text:
            return text
    return None


def _canonical(tree: lxml.html.HtmlElement, url: str) -> str | None:
    for href in tree.xpath("//link[@rel='canonical']/@href"):
        href = href.strip()
        if href:
            absolute = absolute_link(url, href)
            if absolute and is_http_url(absolute):
                return absolute
    return None


def _lead_image(
    tree: lxml.html.HtmlElement, metas: Metas, url: str
) -> tuple[str | None, str | None]:
    """og:image with its alt text (og:image:alt, else the alt of the same image in the page)."""
    src = _meta(metas, "og:image")
    if not src:
        return None, None
    absolute = absolute_link(url, src)
    if not absolute or not is_http_url(absolute):
        return None, None
    alt = _meta(metas, "og:image:alt")
    if not alt:
        stem = absolute.rsplit("/", 1)[-1].split("-")[0]
        for img in tree.xpath("//img[@alt]"):
            if stem and stem in (img.get("src") or "") and img.get("alt", "").strip():
                alt = " ".join(img.get("alt").split())
                break
    return absolute, alt


def _breadcrumb_section(tree: lxml.html.HtmlElement) -> str | None:
    """The last step of the breadcrumb before the article itself ("Home › Northern Africa")."""
    for nav in _BREADCRUMBS(tree):
        steps = [" ".join(a.text_content().split()) for a in nav.xpath(".//a")]
        steps = [s for s in steps if s.casefold() not in _HOME and any(c.isalpha() for c in s)]
        if steps:
            return steps[-1]
    return None


def _author(tree: lxml.html.HtmlElement, metas: Metas) -> str | None:
    return author_name(
        _meta(metas, "author") or _meta(metas, "article:author") or _first_text(tree, _AUTHOR_LINKS)
    )


def _published(tree: lxml.html.HtmlElement, metas: Metas) -> datetime | None:
    candidates = _metas(metas, "article:published_time") + [
        v.strip() for v in tree.xpath("//time[@datetime]/@datetime")
    ]
    for value in candidates:
        if (when := page_time(value)) is not None:
            return when
    return None


def _language(tree: lxml.html.HtmlElement, metas: Metas) -> str | None:
    lang = (tree.get("lang") or "").strip() or (_meta(metas, "og:locale") or "").replace("_", "-")
    if not lang:
        found = tree.xpath("//meta[@http-equiv='content-language']/@content")
        lang = found[0].strip() if found else ""
    return language_tag(lang)
