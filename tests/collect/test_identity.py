"""canonical_link and article_identity: the same article is recognised however it is linked."""

from __future__ import annotations

import re

import pytest

from digest.collect.identity import (
    TitleIndex,
    article_identity,
    canonical_link,
    near_identical_titles,
)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://news.example.net/2026/03/ferry/?utm_source=newsletter&utm_medium=email"
            "&utm_campaign=weekly",
            "https://news.example.net/2026/03/ferry/",
        ),
        (
            "https://news.example.net/2026/03/ferry/#comments",
            "https://news.example.net/2026/03/ferry/",
        ),
        (
            "https://news.example.net/story?id=7&utm_source=x&page=2#top",
            "https://news.example.net/story?id=7&page=2",
        ),
        (
            "https://news.example.net/story?UTM_Content=banner&id=7",
            "https://news.example.net/story?id=7",
        ),
        (
            "https://news.example.net/story?fbclid=IwAR0abc&gclid=xyz&id=7",
            "https://news.example.net/story?id=7",
        ),
        ("HTTPS://News.Example.NET/Story/Path", "https://news.example.net/Story/Path"),
        ("https://news.example.net", "https://news.example.net/"),
        ("  https://news.example.net/a  ", "https://news.example.net/a"),
    ],
)
def test_canonical_link(url: str, expected: str) -> None:
    assert canonical_link(url) == expected


FEED = "https://news.example.net/feed/"


def test_canonical_link_keeps_other_parameters_in_order_and_blank_values() -> None:
    url = "https://news.example.net/search?q=cocoa&utm_term=a&lang=fr&empty="

    assert canonical_link(url) == "https://news.example.net/search?q=cocoa&lang=fr&empty="


def test_canonical_link_is_idempotent() -> None:
    once = canonical_link("https://News.example.net/a?b=1&utm_medium=x#frag")

    assert canonical_link(once) == once


def test_guid_is_preferred_over_link_and_content() -> None:
    identity = article_identity(
        "tag:news.example.net,2026:42",
        "https://news.example.net/a?utm_source=x",
        "Title",
        "Text",
        feed_url=FEED,
    )

    assert identity == "guid:news.example.net:tag:news.example.net,2026:42"


def test_same_guid_different_links_is_the_same_article() -> None:
    a = article_identity("post-42", "https://news.example.net/a", "Title", "Text", feed_url=FEED)
    b = article_identity(
        "post-42", "https://mirror.example.org/b", "Other title", "Other text", feed_url=FEED
    )

    assert a == b


def test_a_guid_that_is_no_url_is_scoped_by_its_feeds_host() -> None:
    # "1" from one site and "1" from another are two articles.
    ours = article_identity("1", None, "T", "x", feed_url="https://News.example.net/feed/")
    theirs = article_identity("1", None, "T", "x", feed_url="http://other.example.org/rss")
    assert (ours, theirs) == ("guid:news.example.net:1", "guid:other.example.org:1")
    # A GUID that is an address is unique on its own, whichever feed carries it.
    link = "https://news.example.net/?p=42"
    assert article_identity(link, None, "T", "x", feed_url="http://other.example.org/rss") == (
        f"guid:{link}"
    )


def test_link_is_used_without_guid_and_tracking_does_not_matter() -> None:
    plain = article_identity(
        None, "https://news.example.net/2026/03/ferry/", "T", "x", feed_url=FEED
    )
    tracked = article_identity(
        None, "https://News.Example.net/2026/03/ferry/?utm_source=mail#top", "T", "y", feed_url=FEED
    )

    assert plain == "url:https://news.example.net/2026/03/ferry/"
    assert tracked == plain


@pytest.mark.parametrize("guid", [None, ""])
def test_empty_guid_falls_back_to_the_link(guid: str | None) -> None:
    assert article_identity(guid, "https://news.example.net/a", "T", "x", feed_url=FEED).startswith(
        "url:"
    )


def test_hash_fallback_is_stable_and_depends_on_title_and_text() -> None:
    first = article_identity(
        None, None, "Ferry doubles crossings", "The ferry now runs twice.", feed_url=FEED
    )
    again = article_identity(
        None, None, "Ferry doubles crossings", "The ferry now runs twice.", feed_url=FEED
    )
    other_text = article_identity(
        None, None, "Ferry doubles crossings", "The ferry runs once.", feed_url=FEED
    )
    other_title = article_identity(
        None, None, "Ferry halves crossings", "The ferry now runs twice.", feed_url=FEED
    )

    assert first == again
    assert re.fullmatch(r"hash:[0-9a-f]{64}", first)
    assert len({first, other_text, other_title}) == 3


def test_hash_fallback_is_a_known_value() -> None:
    # The value must not change between releases, or stored articles would be collected again:
    # sha256 of title, newline, text.
    identity = article_identity(
        None, None, "Ferry doubles crossings", "The ferry now runs twice.", feed_url=FEED
    )

    assert identity == "hash:8057109b1d4e581ce22057fdfeb310b01f147efe24d79e48d9d481820fd34bc1"


def test_identity_is_bounded_in_length() -> None:
    long_guid = "g" * 2000
    long_link = "https://news.example.net/" + "a" * 2000

    assert len(article_identity(long_guid, None, "T", "x", feed_url=FEED)) <= 512
    assert len(article_identity(None, long_link, "T", "x", feed_url=FEED)) <= 512


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        (
            "Port of Misrata reopens its container terminal",
            "Port of Misrata re-opens its container terminal!",
            True,
        ),
        ("Tea growers and the new auction rules", "TEA GROWERS AND THE NEW AUCTION RULES", True),
        (
            "Floods: 3 killed in Mombasa as rivers burst",
            "Floods: 5 killed in Mombasa as rivers burst",
            False,
        ),
        ("Story number 1", "Story number 2", False),
        ("Ferry fares cut", "Ferry fares cuts", False),  # too short to tell
        (
            "Dakar coding school opens a second campus",
            "Port of Misrata reopens its container terminal",
            False,
        ),
    ],
)
def test_near_identical_titles(a: str, b: str, same: bool) -> None:
    assert near_identical_titles(a, b) is same


def test_the_title_index_finds_a_near_identical_title_among_many() -> None:
    index = TitleIndex()
    for n in range(500):
        index.add(n, f"Council approves budget number {n} for the harbour district")
    index.add(999, "Port of Misrata reopens its container terminal")
    assert index.matches("Port of Misrata re-opens its container terminal") == [999]
    assert index.matches("Council approves budget number 7 for the harbour district!") == [7]
    assert index.matches("Dakar coding school opens a second campus") == []
