"""page_metadata rules: the headline without the site's name, a byline's name, a day that no
time zone moves."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from digest.collect.extract import extract_article
from digest.collect.page_metadata import author_name, headline, page_time, published_at


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Port reopens | Coastal Courier", "Port reopens"),
        ("Coastal Courier - Port reopens", "Port reopens"),
        ("Port reopens — Coastal Daily", "Port reopens"),  # holds the host's name
        ("Port reopens: what changes for traders", "Port reopens: what changes for traders"),
        ("Port reopens", "Port reopens"),
        ("Port reopens | World News", "Port reopens | World News"),  # "news." is no site name
    ],
)
def test_headline_drops_the_site_name(title: str, expected: str) -> None:
    url = "https://news.coastal.org/a"
    assert headline(title, url, ("Coastal Courier",)) == expected


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        # The section's path between the headline and the site's name.
        ("Port reopens after six months » Local » News » Coastal Courier",
         "Port reopens after six months"),
        ("Port reopens after six months | Business | Coastal Courier",
         "Port reopens after six months"),
        # A part that is no shorter than the headline is not a section.
        ("Review | The Night Manager | Coastal Courier", "Review | The Night Manager"),
        # Only the site's own separator chains sections.
        ("Port reopens - a first | Coastal Courier", "Port reopens - a first"),
    ],
)  # fmt: skip
def test_headline_drops_the_section_path_before_the_site_name(title: str, expected: str) -> None:
    assert headline(title, "https://news.coastal.org/a", ("Coastal Courier",)) == expected


def test_a_double_hyphen_separates_the_site_name_too() -> None:
    assert headline("Port reopens -- Coastal.net", "https://coastal.net/a") == "Port reopens"


@pytest.mark.parametrize(
    ("title", "heading", "expected"),
    [
        # The site's name glued on without spaces, in a script that does not need them.
        ("港口重新开放全面恢复运营-海岸网", "港口重新开放全面恢复运营", "港口重新开放全面恢复运营"),
        # A name that neither the host nor og:site_name gives.
        ("Port reopens after six months | Courier Online", "Port reopens after six months",
         "Port reopens after six months"),
        # The same headline in other quotes: the page's own.
        ("Port's second quay reopens", "Port’s second quay reopens", "Port’s second quay reopens"),
        # A subtitle longer than the heading is the title's own.
        ("Port reopens: what the new quay changes for traders", "Port reopens",
         "Port reopens: what the new quay changes for traders"),
    ],
)  # fmt: skip
def test_headline_is_the_page_heading_when_the_title_adds_only_a_short_tail(
    title: str, heading: str, expected: str
) -> None:
    assert headline(title, "https://www.example.org/a", (), heading) == expected


def test_a_site_logo_in_the_heading_is_not_taken_for_the_headline() -> None:
    title = "Courier - Port reopens after six months of works"
    assert headline(title, "https://www.example.org/a", (), "Courier") == (
        "Courier - Port reopens after six months of works"
    )


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("View all posts by Amina Diallo", "Amina Diallo"),
        ("By Amina Diallo", "Amina Diallo"),
        ("https://www.facebook.com/courier", None),
        ("  ", None),
        ("Amina Diallo; Kofi Mensah", "Amina Diallo; Kofi Mensah"),
    ],
)
def test_author_name(byline: str, expected: str | None) -> None:
    assert author_name(byline) == expected


def test_a_date_alone_stays_on_its_day_in_every_zone() -> None:
    when = page_time("2026-11-18")
    assert when == datetime(2026, 11, 18, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    "value", ["2026-11-18T00:00:00+02:00", "2026-11-18T00:00:00", "2026-11-18T00:00:00-05:00"]
)
def test_a_day_written_as_its_local_midnight_stays_on_its_day(value: str) -> None:
    # CMSs write a date without a time as midnight in the site's zone: in UTC that is the
    # day before east of Greenwich, and a reader west of it would see the day before too.
    assert page_time(value) == datetime(2026, 11, 18, 12, tzinfo=UTC)


def test_a_time_of_day_is_converted_to_utc() -> None:
    assert page_time("2026-11-18T01:30:00+02:00") == datetime(2026, 11, 17, 23, 30, tzinfo=UTC)


def test_the_page_time_is_kept_when_htmldate_agrees_else_the_day() -> None:
    timed = page_time("2026-11-18T08:30:00+01:00")
    assert published_at(timed, page_time("2026-11-18")) == timed
    assert published_at(timed, None) == timed
    assert published_at(timed, page_time("2026-11-17")) == page_time("2026-11-17")


def test_extract_article_reads_the_byline_and_date_a_page_gives() -> None:
    page = b"""<html><head><title>Port reopens | Coastal Courier</title>
    <meta property="og:site_name" content="Coastal Courier">
    <meta property="article:published_time" content="2026-11-18">
    </head><body><article><h1>Port reopens</h1>
    <p class="byline"><a rel="author" href="/author/amina/">View all posts by Amina Diallo</a></p>
    <p>The port of Lome reopened its second quay on Monday after six months of works on the
    breakwater, the harbour office said, and the first ships were unloaded the same day.</p>
    </article></body></html>"""
    article = extract_article(page, "https://www.coastal.example.org/2026/11/18/port/")
    assert article.title == "Port reopens"
    assert article.author == "Amina Diallo"
    assert article.published_at == datetime(2026, 11, 18, 12, tzinfo=UTC)


def _page(head: str, body: str = "") -> bytes:
    paragraph = (
        "<p>The port of Lome reopened its second quay on Monday after six months of works on"
        " the breakwater, the harbour office said, and the first ships were unloaded the same"
        " day.</p>"
    )
    page = f"<html><head>{head}</head><body>{body}<article>{paragraph}</article></body></html>"
    return page.encode()


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        # The site's name beside the authors: the publisher, not an author.
        ('<meta property="og:site_name" content="Coastal Courier">'
         '<meta name="author" content="Amina Diallo; Coastal Courier">', "Amina Diallo"),
        ('<meta name="author" content="Amina Diallo; coastal-courier">', "Amina Diallo"),
        # Alone it stays: a personal blog's author gives the site its name.
        ('<meta property="og:site_name" content="Coastal Courier">'
         '<meta name="author" content="Coastal Courier">', "Coastal Courier"),
        ('<meta name="author" content="Amina Diallo">', "Amina Diallo"),
    ],
)  # fmt: skip
def test_the_site_beside_the_authors_is_not_one(head: str, expected: str | None) -> None:
    url = "https://www.coastal-courier.example/2026/11/18/port/"
    assert extract_article(_page(head), url).author == expected


@pytest.mark.parametrize(
    ("crumbs", "expected"),
    [
        ("Startseite|Wirtschaft", "Wirtschaft"),  # "Home" in other languages
        ("Start|Inicio|Accueil|Home page", None),
        ("Politik|2026|11", "Politik"),  # a date's parts are no section
        ("Nachrichten|06/2026", "Nachrichten"),
    ],
)
def test_the_breadcrumb_section_is_neither_home_nor_a_date(
    crumbs: str, expected: str | None
) -> None:
    links = "".join(f'<a href="/{i}/">{step}</a> › ' for i, step in enumerate(crumbs.split("|")))
    page = _page("", f'<nav class="breadcrumbs">{links}</nav>')
    assert extract_article(page, "https://www.example.org/a").section == expected
