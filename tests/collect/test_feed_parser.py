"""Feeds parsed within bounds: in a child process that gives back the same entries, or is
stopped at its deadline or memory cap."""

from __future__ import annotations

import asyncio
import time
from typing import Any

from digest.collect.feed_parser import FeedParser
from digest.collect.feeds import ParsedFeed, parse_feed
from digest.config import CollectSettings
from tests.test_pipeline import full_item, rss

URL = "https://desk.example.org/feed.xml"


def parse(data: bytes, **settings: Any) -> ParsedFeed:
    return asyncio.run(FeedParser(CollectSettings(**settings)).parse(data, URL))


def test_a_large_feed_parsed_in_a_child_gives_the_same_entries() -> None:
    data = rss([full_item(n) for n in range(120)])
    started = time.perf_counter()
    feed = parse(data)
    assert time.perf_counter() - started < 10
    assert feed == parse_feed(data, URL)
    assert len(feed.entries) == 120 and feed.entries[7].title == "Story number 7"


def test_many_feeds_at_once_are_each_parsed() -> None:
    feeds = [rss([full_item(n + 1000 * k) for n in range(120)]) for k in range(4)]

    async def all_of_them() -> list[ParsedFeed]:
        parser = FeedParser(CollectSettings())
        return await asyncio.gather(*(parser.parse(data, URL) for data in feeds))

    parsed = asyncio.run(all_of_them())
    assert [f.entries[0].title for f in parsed] == [f"Story number {1000 * k}" for k in range(4)]
