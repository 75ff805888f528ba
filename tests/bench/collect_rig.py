"""For the collection benchmarks: many seed-shaped feeds and pages served, slowly, by a local
HTTP server in its own process (its memory and CPU are not the collector's)."""

from __future__ import annotations

import multiprocessing
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from multiprocessing.connection import Connection
from typing import Any

from tests.servers import FixtureHTTPServer, Route

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
WORDS = [
    "harbour",
    "council",
    "traders",
    "farmers",
    "ministry",
    "water",
    "solar",
    "cotton",
    "market",
    "region",
    "school",
    "bridge",
    "budget",
    "port",
    "festival",
    "workers",
    "prices",
    "rain",
    "harvest",
    "railway",
    "clinic",
    "hospital",
    "fishermen",
    "road",
    "exports",
    "cooperative",
    "engineers",
    "officials",
    "residents",
    "province",
    "tender",
    "investors",
    "loans",
    "youth",
]


def paragraph(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(28, 45))]
    return " ".join(words).capitalize() + "."


def page(feed: int, item: int) -> bytes:
    """An article page in the seed's shape: breadcrumb, badges, the lead twice, a "Read Also"
    list, a rating and comment widget, related posts."""
    rng = random.Random(f"{feed}/{item}")
    body = [paragraph(rng) for _ in range(9)]
    paragraphs = [body[0], *body]  # the lead printed twice
    paragraphs.insert(5, "<strong>Read Also:</strong>")
    links = "".join(
        f'<p><a href="https://site{feed}.example.org/other-{i}/">'
        f"https://site{feed}.example.org/other-{i}/</a></p>"
        for i in range(3)
    )
    content = "".join(f"<p>{p}</p>" for p in paragraphs[:6]) + links
    content += "".join(f"<p>{p}</p>" for p in paragraphs[6:])
    title = f"Story {item} of desk {feed}: " + " ".join(rng.choice(WORDS) for _ in range(6))
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{title}</title>
<link rel="canonical" href="https://site{feed}.example.org/story-{item}/">
<meta property="og:title" content="{title}">
<meta property="article:section" content="Region {feed % 7}">
<meta property="article:tag" content="Economy">
</head><body><header><nav><a href="/">Home</a> <a href="/economy/">Economy</a></nav></header>
<main><nav class="breadcrumb"><a href="/">Home</a> › <a href="/region/">Region {feed % 7}</a></nav>
<article><h1>{title}</h1><div class="post-badges">(3 minutes read) (Economy)</div>
<div class="entry-content">{content}</div></article>
<div class="wpd-post-rating"><span>0</span> <span>0</span> votes <div>Article Rating</div></div>
<div id="comments"><div>Notify of</div><div>guest</div><div>0 Comments</div></div>
<section class="related-posts"><h2>Related posts</h2><ul>
<li><a href="/a/">An older story about the harbour</a></li></ul></section></main>
<aside>{"".join(f"<p>{paragraph(rng)}</p>" for _ in range(3))}</aside>
</body></html>""".encode()


def feed_xml(base: str, feed: int, items: int) -> bytes:
    entries = "".join(
        f"<item><title>Story {i} of desk {feed}</title>"
        f"<link>{base}/pages/{feed}/{i}.html</link>"
        f'<guid isPermaLink="false">desk-{feed}-{i}</guid>'
        f"<pubDate>{format_datetime(NOW - timedelta(hours=i + 1))}</pubDate>"
        f"<category>Economy</category><description>A teaser of story {i}.</description></item>"
        for i in range(items)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Desk {feed}</title><link>https://site{feed}.example.org/</link>"
        f"{entries}</channel></rss>"
    ).encode()


def _serve(feeds: int, items: int, delay: float, conn: Connection) -> None:
    server = FixtureHTTPServer()
    for f in range(feeds):
        server.routes[f"/feeds/{f}.xml"] = Route(
            feed_xml(server.base, f, items),
            delay=delay,
            etag=f'"f{f}"',
            headers={"ETag": f'"f{f}"'},
        )
        for i in range(items):
            server.routes[f"/pages/{f}/{i}.html"] = Route(
                page(f, i), delay=delay, content_type="text/html; charset=utf-8"
            )
    server.start()
    conn.send(server.base)
    conn.recv()  # until told to stop
    server.stop()


class SlowSite:
    """The server process: `feeds` feeds of `items` teasers each, every answer `delay` late."""

    def __init__(self, feeds: int, items: int, delay: float) -> None:
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process: Any = context.Process(
            target=_serve, args=(feeds, items, delay, child), daemon=True
        )
        self.feeds, self.items = feeds, items

    def __enter__(self) -> SlowSite:
        self._process.start()
        self.base: str = self._conn.recv()
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.send("stop")
        self._process.join(10)

    def feed_urls(self) -> list[str]:
        return [f"{self.base}/feeds/{f}.xml" for f in range(self.feeds)]

    def page_urls(self) -> list[str]:
        return [
            f"{self.base}/pages/{f}/{i}.html" for f in range(self.feeds) for i in range(self.items)
        ]
