"""Arbitrary bytes into the feed parser and the extractor: a result or our own error, never a
crash (property-based, hypothesis; example counts kept modest so the suite stays fast)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.collect.extract import ExtractedArticle, extract_article, html_to_text
from digest.collect.feeds import ParsedFeed, discover_feeds, parse_feed
from digest.errors import CollectError

HERE = Path(__file__).resolve().parent
SEEDS = [
    p.read_bytes()
    for p in sorted((HERE / "feeds").rglob("*"))
    if p.suffix in (".xml", ".json", ".atom")
]
PAGES = [p.read_bytes() for p in sorted((HERE / "pages").glob("*.html"))]

quick = settings(
    max_examples=120,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@st.composite
def mangled(draw: st.DrawFn, corpus: list[bytes]) -> bytes:
    """A real document cut, spliced with random bytes or truncated: close to what breaks."""
    data = draw(st.sampled_from(corpus))
    start = draw(st.integers(0, len(data)))
    end = draw(st.integers(start, len(data)))
    return data[:start] + draw(st.binary(max_size=64)) + data[end:]


def _parse(data: bytes) -> ParsedFeed | None:
    try:
        return parse_feed(data, "https://feeds.example.org/feed.xml")
    except CollectError as exc:
        assert exc.message.startswith("https://feeds.example.org/feed.xml")
        return None


@quick
@given(st.binary(max_size=4096))
def test_the_feed_parser_never_crashes_on_random_bytes(data: bytes) -> None:
    result = _parse(data)
    assert result is None or isinstance(result, ParsedFeed)


@quick
@given(mangled(SEEDS))
def test_the_feed_parser_never_crashes_on_mangled_feeds(data: bytes) -> None:
    result = _parse(data)
    if result is not None:
        for entry in result.entries:
            assert isinstance(entry.title, str)
            assert entry.link is None or entry.link.startswith(("http://", "https://"))


@quick
@given(st.binary(max_size=4096) | mangled(PAGES))
def test_the_extractor_never_crashes(data: bytes) -> None:
    page = extract_article(data, "https://news.example.org/a/")
    assert isinstance(page, ExtractedArticle)
    assert isinstance(page.text, str) and "\n\n\n" not in page.text


@quick
@given(st.text(max_size=2000))
def test_feed_html_to_text_never_crashes(fragment: str) -> None:
    assert isinstance(html_to_text(fragment), str)


# Hostile values met in the wild or by review: none of them may crash the whole collection.
_EDGE_DATES = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-05:00"]


def _rss_item(inner: str) -> bytes:
    return (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>t</title>"
        f"<item><title>Edge</title><link>https://news.example.org/a/</link>{inner}</item>"
        "</channel></rss>"
    ).encode()


def _json_feed(item: str, extra: str = "") -> bytes:
    return (
        '{"version": "https://jsonfeed.org/version/1.1", "title": "t"' + extra + ","
        ' "items": [{"id": "1", "title": "Edge", "url": "https://news.example.org/a/"'
        + item
        + "}]}"
    ).encode()


@pytest.mark.parametrize("when", _EDGE_DATES)
def test_an_rss_date_outside_what_utc_holds_is_no_date(when: str) -> None:
    feed = parse_feed(_rss_item(f"<pubDate>{when}</pubDate>"), "https://news.example.org/f")
    assert [e.published_at for e in feed.entries] == [None]


@pytest.mark.parametrize("when", _EDGE_DATES)
def test_a_json_feed_date_outside_what_utc_holds_is_no_date(when: str) -> None:
    feed = parse_feed(_json_feed(f', "date_published": "{when}"'), "https://news.example.org/f")
    assert [e.published_at for e in feed.entries] == [None]


@pytest.mark.parametrize("when", _EDGE_DATES)
def test_a_page_date_outside_what_utc_holds_is_no_date(when: str) -> None:
    page = extract_article(
        f'<html><head><meta property="article:published_time" content="{when}">'
        "</head><body><p>Text.</p></body></html>",
        "https://news.example.org/a/",
    )
    assert page.published_at is None


def test_a_broken_url_in_a_feed_or_page_is_dropped_not_fatal() -> None:
    json_feed = parse_feed(_json_feed(', "image": "http://[bad/"'), "https://news.example.org/f")
    assert [e.image_url for e in json_feed.entries] == [None]
    page = extract_article(
        '<html><head><link rel="canonical" href="http://[bad/">'
        '<meta property="og:image" content="http://[bad/"></head>'
        "<body><p>Text.</p></body></html>",
        "https://news.example.org/a/",
    )
    assert (page.canonical_url, page.image_url) == (None, None)
    found = discover_feeds(
        b'<html><head><link rel="alternate" type="application/rss+xml" href="http://[bad/">'
        b"</head></html>",
        "https://news.example.org/",
    )
    assert found == ["https://news.example.org/feed/"]


def test_a_json_number_longer_than_python_reads_is_our_error() -> None:
    with pytest.raises(CollectError, match="not a JSON Feed"):
        parse_feed(_json_feed("", ', "n": ' + "9" * 5000), "https://news.example.org/f")


# C0 (but tab and line breaks), DEL, C1 and U+FFFE/U+FFFF: nothing a reader should see.
_CONTROLS = ("Ports\x00 re\x7fopen\x9b after\ufffe the\x07 strike", "Ports reopen after the strike")
# U+202E (right-to-left override) turns what follows it around until a U+202C: in a title it
# would flip the rest of a subject line or a row of the email ("Trojan Source",
# CVE-2021-42574). The digest sets each story's direction itself (dir="rtl"/"ltr"), so
# embeddings, overrides and isolates are dropped; the marks (U+200E, U+200F, U+061C), which
# reorder nothing beyond themselves, are kept.
_BIDI = (
    "Prix \u202egnp.exe\u202c du \u2067blé\u2069 en hausse\u200f",
    "Prix gnp.exe du blé en hausse\u200f",
)


@pytest.mark.parametrize(("hostile", "shown"), [_CONTROLS, _BIDI], ids=["controls", "bidi"])
def test_feeds_and_pages_drop_the_same_unshown_characters(hostile: str, shown: str) -> None:
    feed = parse_feed(
        _json_feed("").replace(b'"title": "Edge"', b'"title": ' + json.dumps(hostile).encode()),
        "https://news.example.org/f",
    )
    page = extract_article(
        f"<html><body><article><p>{hostile}, traders said on Monday.</p></article></body></html>",
        "https://news.example.org/a/",
        "article",
    )
    assert [e.title for e in feed.entries] == [shown]
    assert page.text == f"{shown}, traders said on Monday."


def test_bidi_overrides_written_as_character_references_are_dropped_too() -> None:
    # The page's bytes are cleaned before they are parsed: "&#x202E;" only becomes U+202E
    # after, in the title, the text and a feed's summary (escaped twice in RSS).
    page = extract_article(
        "<html><head><title>Safe &#x202E;exe.txt</title></head><body><article>"
        "<h1>Safe &#x202E;exe.txt</h1><p>Ports reopen &#8238;after the strike, traders said on"
        " Monday.</p></article></body></html>",
        "https://news.example.org/a/",
    )
    assert page.title == "Safe exe.txt"
    assert "\u202e" not in page.text and "Ports reopen after the strike" in page.text
    assert html_to_text("<p>Summary &amp;#x202E;reversed</p>") == "Summary reversed"
