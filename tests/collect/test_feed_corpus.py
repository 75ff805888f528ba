"""The feed corpus (tests/collect/feeds/): every form of feed met in the wild, each with the
entries it must give; XML bombs and external entities never expand."""

from __future__ import annotations

import time
from datetime import datetime
from pathlib import Path

import pytest

from digest.collect.feeds import discover_feeds, looks_like_html, parse_feed
from digest.errors import CollectError

CORPUS = Path(__file__).resolve().parent / "feeds"

# file -> (feed title, [(guid, link, title, published UTC), …]), written out by hand.
EXPECTED: dict[str, tuple[str, list[tuple[str | None, str | None, str, str | None]]]] = {
    "atom03.xml": (
        "Oasis Observer",
        [
            (
                "tag:oasis-observer.example.org,2026:palms",
                "https://oasis-observer.example.org/2026/11/palms",
                "Date palm growers form a co-operative",
                "2026-11-22T08:00:00+00:00",
            ),
        ],
    ),
    "atom10-xml-base.xml": (
        "Savanna Times",
        [
            (
                "tag:savanna-times.example.org,2026:grazing",
                "https://savanna-times.example.org/news/2026/11/grazing-routes",
                "Herders & farmers agree on grazing routes",
                "2026-11-22T09:00:00+00:00",
            ),
            (
                "tag:savanna-times.example.org,2026:market",
                "https://savanna-times.example.org/archive/market-day",
                "Market day moves to Thursday",
                "2026-11-21T08:00:00+00:00",
            ),
        ],
    ),
    "feed-1.0.json": (
        "Ridge Radio",
        [
            (
                "7",
                "https://ridge-radio.example.org/p/7",
                "Water board meets on Monday",
                "2026-11-18T09:00:00+00:00",
            ),
        ],
    ),
    "feed-1.1.json": (
        "Lakeside Ledger",
        [
            (
                "ledger-501",
                "https://lakeside-ledger.example.org/2026/11/ferry",
                "Ferry fares cut for students",
                "2026-11-21T03:00:00+00:00",
            ),
            (
                "ledger-502",
                "https://lakeside-ledger.example.org/2026/11/fish-prices",
                "Tilapia prices fall",
                None,
            ),
        ],
    ),
    "rss091-latin1.xml": (
        "Café du Port",
        [
            (
                None,
                "https://cafe-du-port.example.org/joutes.html",
                "Fête de la Saint-Louis : les joutes reprennent",
                None,
            ),
            (
                None,
                "https://cafe-du-port.example.org/marche.html",
                "Marché aux poissons : horaires d'été",
                None,
            ),
        ],
    ),
    "rss092.xml": (
        "Valley Radio Notes",
        [
            (
                None,
                "https://valley-radio.example.org/notes/morning-show",
                "Morning show moves to 6am",
                None,
            ),
            (None, None, "", None),
        ],
    ),
    "rss10-rdf.xml": (
        "Delta Gazette",
        [
            (
                "https://delta-gazette.example.org/2026/11/rice-harvest",
                "https://delta-gazette.example.org/2026/11/rice-harvest",
                "Rice harvest beats forecasts",
                "2026-11-20T07:00:00+00:00",
            ),
            (
                "https://delta-gazette.example.org/2026/11/bridge",
                "https://delta-gazette.example.org/2026/11/bridge",
                "New bridge opens to traffic",
                "2026-11-19T16:30:00+00:00",
            ),
        ],
    ),
    "rss20-bom.xml": (
        "Harbour Post",
        [
            (
                "harbour-1",
                "https://harbour-post.example.org/crane-three",
                "Crane number three back in service",
                "2026-11-21T12:00:00+00:00",
            ),
        ],
    ),
    "rss20-html-entities.xml": (
        "Coast Courier",
        [
            (
                "courier-77",
                "https://coast-courier.example.org/terraces?a=1&b=2",
                "Café owners – and the new terrace rules",
                "2026-11-19T09:00:00+00:00",
            ),
        ],
    ),
    "rss20-iso8859-1-undeclared.xml": (
        "Écho des Hauts-Plateaux",
        [
            (
                "https://echo-plateaux.example.org/?p=901",
                "https://echo-plateaux.example.org/2026/11/orge",
                "Sétif : la récolte d'orge dépasse les prévisions",
                "2026-11-20T06:15:00+00:00",
            ),
        ],
    ),
    "rss20-leading-whitespace.xml": (
        "Harbour Post",
        [
            (
                "harbour-1",
                "https://harbour-post.example.org/crane-three",
                "Crane number three back in service",
                "2026-11-21T12:00:00+00:00",
            ),
        ],
    ),
    "rss20-missing-dates-guids.xml": (
        "Hill Station Notes",
        [
            (
                None,
                "https://hill-notes.example.org/tea-pickers",
                "Tea estate hires forty pickers",
                None,
            ),
            (None, None, "Road to the falls resurfaced", None),
            (
                "https://hill-notes.example.org/?p=12",
                "https://hill-notes.example.org/?p=12",
                "",
                None,
            ),
        ],
    ),
    "rss20-windows1251-declared.xml": (
        "Волжские вести",
        [
            (
                "volga-2026-101",
                "https://volga-vesti.example.org/news/most",
                "Новый мост через Волгу открыт для движения",
                "2026-11-23T07:00:00+00:00",
            ),
            (
                "volga-2026-102",
                "https://volga-vesti.example.org/news/kvoty",
                "Рыбаки региона получили новые квоты на вылов судака",
                "2026-11-22T15:30:00+00:00",
            ),
        ],
    ),
}
# file -> why the feed is its source's error: what it declares is never expanded nor read.
REFUSED = {
    "xml-bomb.xml": "declares entity 'b', whose value refers to another entity",
    "xml-external-entity.xml": 'declares an external entity (secret, SYSTEM "file:///etc/hostname")',
}
# The same feed with its encoding left undeclared must read exactly as the declared one.
EXPECTED["rss20-windows1251-undeclared.xml"] = EXPECTED["rss20-windows1251-declared.xml"]


def test_every_corpus_file_has_its_expectation() -> None:
    files = {p.name for p in CORPUS.iterdir() if p.suffix in (".xml", ".json")}
    assert files == set(EXPECTED) | set(REFUSED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_feed_gives_its_expected_entries(name: str) -> None:
    title, entries = EXPECTED[name]
    feed = parse_feed((CORPUS / name).read_bytes(), f"https://feeds.example.org/{name}")

    assert feed.title == title
    got = [
        (
            e.guid,
            e.link,
            e.title,
            e.published_at.isoformat() if isinstance(e.published_at, datetime) else None,
        )
        for e in feed.entries
    ]
    assert got == entries


def test_html_entities_in_xml_are_decoded_in_text() -> None:
    feed = parse_feed((CORPUS / "rss20-html-entities.xml").read_bytes(), "https://f.example/")
    assert feed.entries[0].summary_html == "Owners have until\xa0March…"


def test_json_feed_carries_content_authors_tags_and_image() -> None:
    feed = parse_feed((CORPUS / "feed-1.1.json").read_bytes(), "https://f.example/feed.json")
    first, second = feed.entries
    assert feed.language == "en-KE"
    assert first.content_html.startswith("<p>Students pay half from December.</p>")
    assert first.summary_html == "Half price from December."
    assert (first.author, first.categories) == ("Achieng Otieno", ("Transport", "Education"))
    assert first.image_url == "https://lakeside-ledger.example.org/img/ferry.jpg"
    # content_text becomes paragraphs; the feed's authors stand in for the item's.
    assert second.summary_html == "<p>Prices fell by a fifth.</p><p>Traders blame imports.</p>"
    assert second.author == "Ledger desk"


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_a_feed_declaring_nested_or_external_entities_is_refused_unexpanded(name: str) -> None:
    started = time.monotonic()
    with pytest.raises(CollectError) as refused:
        parse_feed((CORPUS / name).read_bytes(), "https://f.example/")
    assert time.monotonic() - started < 1
    assert refused.value.message.startswith("https://f.example/: the feed " + REFUSED[name])
    hostname = Path("/etc/hostname")
    secret = hostname.read_text().strip() if hostname.exists() else ""
    assert not secret or secret not in refused.value.message  # the external entity was not read


def test_a_site_page_announces_its_feeds_and_wordpress_guesses_follow() -> None:
    page = (
        b"<!DOCTYPE html><html><head>"
        b'<link rel="alternate" type="application/rss+xml" href="/feed/">'
        b'<link rel="alternate" type="application/atom+xml" href="https://x.example/atom">'
        b'<link rel="alternate" type="application/feed+json" href="feed.json">'
        b'<link rel="alternate" hreflang="fr" href="/fr/">'
        b'<link rel="stylesheet" type="text/css" href="/style.css">'
        b"</head><body></body></html>"
    )
    assert looks_like_html(page)
    assert discover_feeds(page, "https://x.example/category/coast/") == [
        "https://x.example/feed/",
        "https://x.example/atom",
        "https://x.example/category/coast/feed.json",
        "https://x.example/category/coast/feed/",
    ]
    assert not looks_like_html((CORPUS / "rss092.xml").read_bytes())
