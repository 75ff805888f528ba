"""Arbitrary bytes into the feed parser and the extractor: a result or our own error, never a
crash (property-based, hypothesis; example counts kept modest so the suite stays fast)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.collect.extract import ExtractedArticle, extract_article, html_to_text
from digest.collect.feeds import ParsedFeed, parse_feed
from digest.errors import CollectError

HERE = Path(__file__).resolve().parent
SEEDS = [p.read_bytes() for p in sorted((HERE / "feeds").iterdir()) if p.suffix != ".md"]
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
