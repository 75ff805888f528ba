"""JSON Feed dates written as RFC 822, and root-relative links in feeds read from files."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from digest.collect.feeds import parse_feed


def json_feed(**item: str) -> bytes:
    return json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "Ridge Radio",
            "home_page_url": "https://ridge-radio.example.org/",
            "items": [{"id": "7", "title": "Water board", "content_text": "x", **item}],
        }
    ).encode()


def test_a_json_feed_date_written_as_rfc_822_is_read() -> None:
    data = json_feed(date_published="Mon, 23 Nov 2026 07:00:00 +0100")
    entry = parse_feed(data, "https://ridge-radio.example.org/feed.json").entries[0]
    assert entry.published_at == datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def test_a_json_feed_date_in_iso_8601_is_still_read_and_junk_is_none() -> None:
    iso = json_feed(date_published="2026-11-23T07:00:00+01:00")
    assert parse_feed(iso, "https://r.example.org/f.json").entries[0].published_at == datetime(
        2026, 11, 23, 6, 0, tzinfo=UTC
    )
    junk = json_feed(date_published="last Tuesday")
    assert parse_feed(junk, "https://r.example.org/f.json").entries[0].published_at is None


def test_root_relative_links_of_a_json_feed_file_take_its_home_page() -> None:
    data = json_feed(url="/p/7", image="/img/7.jpg")
    entry = parse_feed(data, "file:///srv/feeds/ridge.json").entries[0]
    assert entry.link == "https://ridge-radio.example.org/p/7"
    assert entry.image_url == "https://ridge-radio.example.org/img/7.jpg"


def test_root_relative_links_of_an_rss_file_take_the_feeds_own_link() -> None:
    data = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title>'
        b"<link>https://desk.example.org/news/</link>"
        b"<item><title>One</title><link>/2026/11/one</link></item>"
        b"<item><title>Two</title><link>../pages/two.html</link></item>"
        b"</channel></rss>"
    )
    one, two = parse_feed(data, "file:///srv/site/feeds/desk.xml").entries
    assert one.link == "https://desk.example.org/2026/11/one"
    # A link relative to the file itself still names the file beside it (local pages).
    assert two.link == "file:///srv/site/pages/two.html"
