"""Collection of real-world feeds end to end: each article's own language, undeclared legacy
encodings, a feed cut mid-document shown as its source's failure."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from digest import pipeline
from digest.models import Article
from digest.pipeline.sources import source_health
from tests.servers import FixtureHTTPServer, Route

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)

FRENCH = (
    "<p>Le conseil municipal a voté mardi soir le nouveau plan de circulation du centre-ville, "
    "après trois heures de débat et malgré l'opposition des commerçants du port.</p>"
) * 4
ARABIC = (
    "<p>صوّت المجلس البلدي مساء الثلاثاء على خطة السير الجديدة لوسط المدينة بعد نقاش دام "
    "ثلاث ساعات رغم معارضة تجار الميناء.</p>"
) * 4


def feed(
    language: str, items: list[tuple[str, str]], site: str = "https://desk.example.org"
) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<channel><title>Desk</title><link>https://desk.example.org/</link>"
        f"<language>{language}</language>"
    ]
    for n, (title, body) in enumerate(items):
        parts.append(
            f"<item><title>{title}</title><link>{site}/{n}</link>"
            f"<guid>desk-{n}</guid><description>x</description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


PHOTO_PAGE = b'<html><body><article><img src="a.jpg"><p>Photo.</p></article></body></html>'


def stored(rt: pipeline.Runtime) -> list[Article]:
    with rt.sessions() as session:
        return list(session.scalars(select(Article).order_by(Article.id)))


def test_each_article_gets_the_language_of_its_own_text(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    # An Arabic site's feed (<language>ar</language>) carrying a French story.
    http_server.routes["/feed.xml"] = Route(
        feed(
            "ar",
            [("Plan de circulation", FRENCH), ("خطة السير", ARABIC), ("Photo", "<p>Photo.</p>")],
            site=http_server.url(""),
        )
    )
    # The photo's content says nothing: its page is read, and has no more to say.
    http_server.routes["/2"] = Route(PHOTO_PAGE, content_type="text/html; charset=utf-8")
    settings = write_config(
        {"sources": [{"name": "Desk", "url": http_server.url("/feed.xml"), "region": "Coast"}]}
    )
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        languages = {a.title: a.language for a in stored(rt)}
    # "Photo" says too little: the feed's declaration stands.
    assert languages == {"Plan de circulation": "fr", "خطة السير": "ar", "Photo": "ar"}


# A real French sentence (Django's catalogue, tests/collect/languages/) whose bytes the
# detector alone read as windows-1250 ("ętre").
REAL_FRENCH = "Ce champ ne peut pas être vide."
LATIN1_FEED = (
    '<?xml version="1.0"?>\n<rss version="2.0"><channel><title>Le fil</title>'
    "<link>https://fil.example.org/</link>"
    f"<item><title>{REAL_FRENCH}</title><guid>https://fil.example.org/?p=1</guid>"
    "<description>x</description>"
    "<content:encoded xmlns:content='http://purl.org/rss/1.0/modules/content/'><![CDATA["
    f"<p>{REAL_FRENCH}</p>]]></content:encoded></item></channel></rss>"
).encode("iso-8859-1")


def test_an_undeclared_latin1_feed_is_collected_with_its_titles_right(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    # Served bare, then with the charset only the HTTP header names.
    http_server.routes["/bare.xml"] = Route(LATIN1_FEED, content_type="text/xml")
    http_server.routes["/named.xml"] = Route(
        LATIN1_FEED.replace(b"?p=", b"?named="), content_type="text/xml; charset=iso-8859-1"
    )
    settings = write_config(
        {
            "sources": [
                {"name": "Bare", "url": http_server.url("/bare.xml")},
                {"name": "Named", "url": http_server.url("/named.xml")},
            ]
        }
    )
    with pipeline.runtime(settings, NOW) as rt:
        report = pipeline.collect(rt, NOW)
        titles = [a.title for a in stored(rt)]
    assert [s.error for s in report.sources] == [None, None]
    assert titles == [REAL_FRENCH, REAL_FRENCH]


def test_a_feed_cut_mid_document_is_its_sources_failure(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    whole = feed("fr", [("Plan de circulation", FRENCH)])
    http_server.routes["/cut.xml"] = Route(whole[: whole.index(b"<item>") + 40])
    settings = write_config({"sources": [{"name": "Cut", "url": http_server.url("/cut.xml")}]})
    with pipeline.runtime(settings, NOW) as rt:
        outcome = pipeline.collect(rt, NOW).sources[0]
        health = {s.name: s for s in source_health(rt)}
        articles = stored(rt)
    assert outcome.error is not None and "cut off" in outcome.error
    assert health["Cut"].last_fetch_failed and "cut off" in (health["Cut"].last_error or "")
    assert articles == []


def items_feed(items: list[tuple[str, str]], site: str = "https://desk.example.org") -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<channel><title>Desk</title><link>https://desk.example.org/</link>"
    ]
    for n, (title, body) in enumerate(items):
        parts.append(
            f"<item><title>{title}</title><link>{site}/post/{n}</link>"
            f"<guid>{site}/post/{n}</guid><description>x</description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def release_notes(version: str, changes: list[str]) -> str:
    return "".join(
        f"<p>Version {version} of the reporting service {change}, and the older clients keep"
        " working until the end of their support window.</p>"
        for change in changes
    )


def test_posts_alike_only_in_title_are_distinct_stories(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    photos = [
        ("Photo", f'<p><img src="https://desk.example.org/p/{n}.jpg"></p>') for n in range(11)
    ]
    releases = [
        (
            "Announcing v201603 of the reporting service",
            release_notes("v201603", ["adds bid simulators", "drops the old keyword fields"]),
        ),
        (
            "Announcing v201605 of the reporting service",
            release_notes("v201605", ["brings expanded text ads", "renames campaign labels"]),
        ),
    ]
    http_server.routes["/feed.xml"] = Route(items_feed(photos + releases, http_server.url("")))
    for n in range(len(photos)):
        http_server.routes[f"/post/{n}"] = Route(
            PHOTO_PAGE.replace(b"a.jpg", f"{n}.jpg".encode()),
            content_type="text/html; charset=utf-8",
        )
    settings = write_config({"sources": [{"name": "Desk", "url": http_server.url("/feed.xml")}]})
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        rows = stored(rt)
    assert len(rows) == 13
    assert [a.title for a in rows if a.duplicate_of_id is not None] == []


def test_the_same_story_retitled_a_little_is_still_a_duplicate(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    body = release_notes("v201603", ["adds bid simulators", "drops the old keyword fields"])
    http_server.routes["/feed.xml"] = Route(
        items_feed(
            [
                ("Announcing v201603 of the reporting service", body),
                ("Announcing v201603 of the reporting service!", "<p>Update:</p>" + body),
            ]
        )
    )
    settings = write_config({"sources": [{"name": "Desk", "url": http_server.url("/feed.xml")}]})
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        first, second = stored(rt)
    assert first.duplicate_of_id is None and second.duplicate_of_id == first.id


ARTICLE_PAGE = (
    "<html><head><title>Lamu ferry</title></head><body><article><h1>Lamu ferry</h1>"
    + "".join(
        f"<p>The ferry between Lamu and Mokowe runs again from Monday after {n} weeks of repairs"
        " to its engines, the county transport office said.</p>"
        for n in range(3, 9)
    )
    + "</article></body></html>"
).encode()
REDDIT_CONTENT = (
    '<table><tr><td> &#32; submitted by &#32; <a href="https://www.reddit.com/user/someone">'
    ' /u/someone </a> <br/> <span><a href="{link}">[link]</a></span> &#32; <span>'
    '<a href="https://www.reddit.com/r/kenya/comments/a/">[959 comments]</a></span>'
    "</td></tr></table>"
)


def test_a_feed_text_that_says_nothing_gives_way_to_the_page_or_to_no_summary(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    site = http_server.url("")
    http_server.routes["/ferry"] = Route(ARTICLE_PAGE, content_type="text/html; charset=utf-8")
    http_server.routes["/empty"] = Route(PHOTO_PAGE, content_type="text/html; charset=utf-8")
    items = (
        f"<item><title>Lamu ferry runs again</title><link>{site}/ferry</link><guid>r1</guid>"
        "<content:encoded><![CDATA["
        + REDDIT_CONTENT.format(link=f"{site}/ferry")
        + "]]></content:encoded></item>"
        f"<item><title>Show HN: a tide table</title><link>{site}/empty</link><guid>h1</guid>"
        '<description><![CDATA[<a href="https://news.ycombinator.com/item?id=1">Comments</a>]]>'
        "</description></item>"
    )
    http_server.routes["/feed.xml"] = Route(
        (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"'
            ' xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel><title>Links'
            f"</title><link>{site}/</link>{items}</channel></rss>"
        ).encode()
    )
    settings = write_config({"sources": [{"name": "Links", "url": http_server.url("/feed.xml")}]})
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        ferry, tide = stored(rt)
    assert ferry.text.startswith("The ferry between Lamu and Mokowe runs again")
    assert ferry.summary.startswith("The ferry between Lamu and Mokowe runs again")
    assert "comments" not in ferry.summary.lower()
    assert tide.summary == ""
