"""A list's archive as an Atom feed (RFC 4287), from values: no database, no clock."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from html import escape

from feedgen.feed import FeedGenerator

# What XML 1.0 cannot hold (lxml refuses the whole document for one of them): dropped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class ArchiveEntry:
    url: str  # the web version: also the entry's id, the same on every run
    title: str
    summary: str
    updated: datetime


@dataclass(frozen=True)
class ArchiveFeed:
    title: str
    author: str  # RFC 4287 asks every feed for an author: the newsletter
    page_url: str  # the archive page (the feed's alternate link, and its id)
    feed_url: str  # the feed itself (its self link)
    # When nothing has been sent yet, the feed's updated; else its newest entry's.
    created: datetime
    entries: Sequence[ArchiveEntry]  # newest first


def atom_feed(feed: ArchiveFeed) -> bytes:
    """The feed as UTF-8 Atom. Every text is escaped by the XML writer; characters XML cannot
    hold are dropped rather than failing the feed."""
    generator = FeedGenerator()
    generator.id(feed.page_url)
    generator.title(_xml_text(feed.title))
    generator.author({"name": _xml_text(feed.author)})
    generator.link(href=feed.feed_url, rel="self", type="application/atom+xml")
    generator.link(href=feed.page_url, rel="alternate", type="text/html")
    generator.updated(max((e.updated for e in feed.entries), default=feed.created))
    for item in feed.entries:
        entry = generator.add_entry(order="append")
        entry.id(item.url)
        entry.title(_xml_text(item.title) or "(no subject)")
        entry.updated(item.updated)
        entry.published(item.updated)
        entry.link(href=item.url, rel="alternate", type="text/html")
        summary = _xml_text(item.summary)
        entry.summary(summary)
        link = escape(item.url)
        entry.content(
            f'<p>{escape(summary)}</p><p><a href="{link}">Read this issue</a></p>', type="html"
        )
    return bytes(generator.atom_str(pretty=True))


def _xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)
