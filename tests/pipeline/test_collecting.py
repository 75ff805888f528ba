"""Collection's memory of each source (validators, moves, 410, Retry-After, failures) and of
each article (one row per story, regions and tags merged, near-duplicates flagged)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from digest import pipeline
from digest.models import Article, IssueArticle, Source
from tests.servers import FixtureHTTPServer, Route
from tests.test_pipeline import full_item, rss

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def source_row(rt: pipeline.Runtime, name: str) -> Source:
    with rt.sessions() as session:
        row = session.scalar(select(Source).where(Source.name == name))
        assert row is not None
        return row


def articles(rt: pipeline.Runtime) -> list[Article]:
    with rt.sessions() as session:
        return list(session.scalars(select(Article).order_by(Article.id)))


def paths(server: FixtureHTTPServer) -> list[str]:
    return [path for path, _ in server.requests]


def one_source(write_config: Any, url: str, **extra: Any) -> Any:
    return write_config({"sources": [{"name": "Desk", "url": url, "region": "Coast", **extra}]})


def test_an_unchanged_feed_answers_304_and_nothing_is_parsed(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/feed.xml"] = Route(
        rss([full_item(1)]), etag='"e1"', headers={"ETag": '"e1"'}
    )
    with pipeline.runtime(one_source(write_config, http_server.url("/feed.xml")), NOW) as rt:
        first = pipeline.collect(rt, NOW).sources[0]
        assert (first.new_articles, first.entries) == (1, 1)
        assert source_row(rt, "Desk").etag == '"e1"'

        second = pipeline.collect(rt, NOW + timedelta(hours=1)).sources[0]

        assert second.not_modified and second.entries == 0 and second.error is None
        assert http_server.requests[-1][1]["If-None-Match"] == '"e1"'
        row = source_row(rt, "Desk")
        assert row.items_seen == 1 and row.last_success_at == NOW + timedelta(hours=1)


def test_a_permanent_redirect_moves_the_source_for_good(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/old.xml"] = Route(b"", status=301, headers={"Location": "/new.xml"})
    http_server.routes["/new.xml"] = Route(rss([full_item(1)]))
    settings = one_source(write_config, http_server.url("/old.xml"))
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        assert source_row(rt, "Desk").url == http_server.url("/new.xml")

    # Starting again (config synced again) keeps the new address: the old one is not asked.
    with pipeline.runtime(settings, NOW) as rt:
        http_server.requests.clear()
        pipeline.collect(rt, NOW + timedelta(hours=1))
        assert paths(http_server) == ["/new.xml"]


def test_410_deactivates_the_source_until_its_url_changes(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/gone.xml"] = Route(b"", status=410)
    with pipeline.runtime(one_source(write_config, http_server.url("/gone.xml")), NOW) as rt:
        report = pipeline.collect(rt, NOW).sources[0]
        assert "410" in (report.error or "")
        assert source_row(rt, "Desk").active is False

        http_server.requests.clear()
        later = pipeline.collect(rt, NOW + timedelta(days=1)).sources[0]
        assert later.skipped and "inactive" in later.skipped and later.error is None
        assert http_server.requests == []

    http_server.routes["/moved.xml"] = Route(rss([full_item(2)]))
    with pipeline.runtime(one_source(write_config, http_server.url("/moved.xml")), NOW) as rt:
        assert pipeline.collect(rt, NOW + timedelta(days=2)).sources[0].new_articles == 1
        assert source_row(rt, "Desk").active is True


def test_429_with_retry_after_is_not_fetched_again_before_then(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/busy.xml"] = Route(b"", status=429, headers={"Retry-After": "600"})
    with pipeline.runtime(one_source(write_config, http_server.url("/busy.xml")), NOW) as rt:
        assert "429" in (pipeline.collect(rt, NOW).sources[0].error or "")
        assert source_row(rt, "Desk").retry_after_at == NOW + timedelta(seconds=600)

        http_server.requests.clear()
        early = pipeline.collect(rt, NOW + timedelta(minutes=5)).sources[0]
        assert early.skipped and "wait until" in early.skipped
        assert http_server.requests == []

        http_server.routes["/busy.xml"] = Route(rss([full_item(1)]))
        late = pipeline.collect(rt, NOW + timedelta(minutes=11)).sources[0]
        assert late.new_articles == 1
        assert source_row(rt, "Desk").retry_after_at is None


def test_a_source_that_keeps_failing_is_flagged_in_the_logs(
    write_config: Any, http_server: FixtureHTTPServer, caplog: pytest.LogCaptureFixture
) -> None:
    http_server.routes["/broken.xml"] = Route(b"", status=500)
    settings = write_config(
        {
            "collect": {"failing_after": 2},
            "sources": [{"name": "Desk", "url": http_server.url("/broken.xml")}],
        }
    )
    with pipeline.runtime(settings, NOW) as rt, caplog.at_level(logging.WARNING, "digest"):
        pipeline.collect(rt, NOW)
        assert not [r for r in caplog.records if r.levelno == logging.ERROR]
        pipeline.collect(rt, NOW + timedelta(hours=1))
        flagged = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
        assert flagged == [
            f"source Desk is failing: 2 fetches in a row failed (last: "
            f"{http_server.url('/broken.xml')}: HTTP 500 Internal Server Error)"
        ]


def test_a_site_url_leads_to_the_feed_it_announces(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/"] = Route(
        b'<!DOCTYPE html><html><head><link rel="alternate" type="application/rss+xml"'
        b' href="/news/rss.xml"></head><body>Home</body></html>',
        content_type="text/html",
    )
    http_server.routes["/news/rss.xml"] = Route(rss([full_item(1)]))
    with pipeline.runtime(one_source(write_config, http_server.url("/")), NOW) as rt:
        assert pipeline.collect(rt, NOW).sources[0].new_articles == 1
        assert source_row(rt, "Desk").url == http_server.url("/news/rss.xml")


def test_a_wordpress_category_page_leads_to_its_feed(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/category/coast/"] = Route(
        b"<!DOCTYPE html><html><body>No feed links here</body></html>", content_type="text/html"
    )
    http_server.routes["/category/coast/feed/"] = Route(rss([full_item(3)]))
    url = http_server.url("/category/coast/")
    with pipeline.runtime(one_source(write_config, url), NOW) as rt:
        assert pipeline.collect(rt, NOW).sources[0].new_articles == 1
        assert source_row(rt, "Desk").url == http_server.url("/category/coast/feed/")


def test_the_same_story_from_two_sources_is_stored_once_with_both_regions_and_tags(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    story = full_item(7)
    http_server.routes["/a.xml"] = Route(rss([{**story, "tag": "Economy"}]))
    # The second source links the story with tracking parameters and a fragment, another GUID.
    tracked = {
        **story,
        "guid": "other-7",
        "link": story["link"] + "?utm_source=rss&utm_medium=feed#top",
        "tag": "Ports",
    }
    http_server.routes["/b.xml"] = Route(rss([tracked]))
    settings = write_config(
        {
            "sources": [
                {"name": "A", "url": http_server.url("/a.xml"), "region": "Northern Africa"},
                {"name": "B", "url": http_server.url("/b.xml"), "region": "West Africa"},
            ]
        }
    )
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        stored = articles(rt)
    assert len(stored) == 1
    assert sorted(stored[0].regions or []) == ["Northern Africa", "West Africa"]
    assert {"Economy", "Ports"} <= set(stored[0].tags)


def test_a_near_identical_title_the_same_week_is_flagged_as_a_duplicate(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    first = {**full_item(1), "title": "Port of Misrata reopens its container terminal"}
    # Another site's copy of the story: its text, under a title spelt a little differently.
    again = {
        **full_item(2),
        "title": "Port of Misrata re-opens its container terminal!",
        "link": "https://other.example.org/misrata",
        "content": first["content"],
    }
    other = {**full_item(3), "title": "Dakar coding school opens a second campus"}
    http_server.routes["/feed.xml"] = Route(rss([first]))
    with pipeline.runtime(one_source(write_config, http_server.url("/feed.xml")), NOW) as rt:
        pipeline.collect(rt, NOW)
        http_server.routes["/feed.xml"] = Route(rss([first, again, other]))
        pipeline.collect(rt, NOW + timedelta(days=2))
        stored = {a.title: a for a in articles(rt)}
        issue = pipeline.compose(rt, "weekly", NOW + timedelta(days=3))
        with rt.sessions() as session:
            composed = set(
                session.scalars(
                    select(Article.title)
                    .join(IssueArticle, IssueArticle.article_id == Article.id)
                    .where(IssueArticle.issue_id == issue.id)  # type: ignore[union-attr]
                )
            )
    original = stored[first["title"]]
    assert stored[again["title"]].duplicate_of_id == original.id
    assert original.duplicate_of_id is None and stored[other["title"]].duplicate_of_id is None
    # The flagged duplicate stays stored but is not told twice in the issue.
    assert composed == {first["title"], other["title"]}


def test_a_source_selector_picks_the_body_automatic_extraction_misses(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/page.html"] = Route(
        b"<html><body><div class='story-x'><p>First kept paragraph of the story.</p>"
        b"<p>Second kept paragraph of the story.</p></div>"
        b"<div class='aside'><p>Unrelated box.</p></div></body></html>",
        content_type="text/html",
    )
    teaser = {"title": "Teaser", "link": http_server.url("/page.html"), "guid": "t-1"}
    http_server.routes["/feed.xml"] = Route(rss([teaser]))
    settings = one_source(write_config, http_server.url("/feed.xml"), selector="div.story-x")
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        (article,) = articles(rt)
    assert article.text == (
        "First kept paragraph of the story.\n\nSecond kept paragraph of the story."
    )


def test_a_teaser_page_is_decoded_by_its_http_charset_and_fills_the_missing_author(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    # A page's charset may be only in the HTTP header; its byline fills what the
    # feed left out ("View all posts by" is not part of a name).
    paragraph = "Московский порт принял первые суда после ремонта причалов и дноуглубления."
    http_server.routes["/page.html"] = Route(
        (
            "<html><head><title>Порт</title></head><body><article><h1>Порт</h1>"
            "<a rel='author' href='/a/'>View all posts by Ivan Petrov</a>"
            + "".join(f"<p>{paragraph} Часть {n}.</p>" for n in range(6))
            + "</article></body></html>"
        ).encode("windows-1251"),
        content_type="text/html; charset=windows-1251",
    )
    teaser = {"title": "Порт", "link": http_server.url("/page.html"), "guid": "t-1"}
    http_server.routes["/feed.xml"] = Route(rss([teaser]))
    with pipeline.runtime(one_source(write_config, http_server.url("/feed.xml")), NOW) as rt:
        pipeline.collect(rt, NOW)
        (article,) = articles(rt)
    assert article.text.startswith(paragraph)
    assert article.author == "Ivan Petrov"


def test_nul_and_control_characters_in_a_json_feed_never_reach_the_database(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    # JSON allows \u0000 in strings, and PostgreSQL refuses it in text: one such item must not
    # fail its source's collection, on either backend.
    import json

    body = "<p>" + " ".join(["Harbour\u0000 talks resume in Tangier."] * 30) + "</p>"
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Desk\u0000",
        # articles.language is String(35): PostgreSQL refuses a longer value.
        "language": "en\u0000-GB" + "-x" * 40,
        "items": [
            {
                "id": "nul-1\u0000",
                "url": "https://news.example.org/2026/11/nul\u0000-story",
                "title": "Ports\u0000 reopen\u0007 after the strike",
                "content_html": body,
                "authors": [{"name": "Amal\u0000 Idrissi"}],
                "tags": ["Economy\u0000", "\u0000"],
                "date_published": "2026-11-22T08:00:00Z",
            }
        ],
    }
    http_server.routes["/feed.json"] = Route(
        json.dumps(feed).encode(), content_type="application/feed+json"
    )
    settings = one_source(write_config, http_server.url("/feed.json"))
    with pipeline.runtime(settings, NOW) as rt:
        report = pipeline.collect(rt, NOW)
        assert not report.failed, [s.error for s in report.failed]
        [stored] = articles(rt)
    for value in (stored.title, stored.text, stored.author or "", stored.url, stored.summary,
                  *stored.tags):  # fmt: skip
        assert "\x00" not in value and "\x07" not in value, repr(value)
    assert stored.title == "Ports reopen after the strike"
    assert stored.language == ("en-GB" + "-x" * 40)[:35]


def test_a_long_category_kept_as_region_fits_its_column(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    # With no region configured, a category naming no known region is kept as it is; on
    # PostgreSQL articles.region (String(200)) refuses anything longer.
    category = "Harbour\x07 " + "news " * 80
    http_server.routes["/feed.xml"] = Route(rss([full_item(1, tag=category)]))
    settings = write_config(
        {
            "editorial": {"infer_region": False},
            "sources": [{"name": "Desk", "url": http_server.url("/feed.xml")}],
        }
    )
    with pipeline.runtime(settings, NOW) as rt:
        report = pipeline.collect(rt, NOW)
        assert not report.failed, [s.error for s in report.failed]
        [stored] = articles(rt)
    assert stored.region == " ".join(("Harbour " + "news " * 80).split())[:200].rstrip()
    assert all(len(region) <= 200 for region in stored.regions or [])


def test_two_sites_giving_the_same_guid_are_two_articles(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    import json

    # A JSON Feed "id": "1" and an RSS <guid isPermaLink="false">1</guid> from another site.
    http_server.routes["/a.xml"] = Route(rss([full_item(1, guid="1")]))
    json_feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Other desk",
        "items": [
            {
                "id": "1",
                "url": "https://other.example.org/2026/11/ferry",
                "title": "Ferry doubles its crossings",
                "summary": "The ferry now runs twice a day.",
                "content_html": full_item(2)["content"],
            }
        ],
    }
    http_server.routes["/b.json"] = Route(json.dumps(json_feed).encode())
    settings = write_config(
        {
            "sources": [
                {"name": "A", "url": http_server.url("/a.xml")},
                # Another host name for the same local server: another site.
                {"name": "B", "url": f"http://localhost:{http_server.port}/b.json"},
            ],
            "collect": {"allow_private_hosts": ["127.0.0.1", "localhost"]},
        }
    )
    with pipeline.runtime(settings, NOW) as rt:
        report = pipeline.collect(rt, NOW)
        assert [s.new_articles for s in report.sources] == [1, 1]
        titles = sorted(a.title for a in articles(rt))
    assert titles == ["Ferry doubles its crossings", "Story number 1"]


def test_a_region_change_in_the_config_keeps_the_move_validators_and_410(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/old.xml"] = Route(b"", status=301, headers={"Location": "/new.xml"})
    http_server.routes["/new.xml"] = Route(
        rss([full_item(1)]), etag='"n1"', headers={"ETag": '"n1"'}
    )
    http_server.routes["/gone.xml"] = Route(b"", status=410)

    def config(region: str) -> Any:
        return write_config(
            {
                "sources": [
                    {"name": "Moved", "url": http_server.url("/old.xml"), "region": region},
                    {"name": "Gone", "url": http_server.url("/gone.xml"), "region": region},
                ]
            }
        )

    with pipeline.runtime(config("Coast"), NOW) as rt:
        pipeline.collect(rt, NOW)

    with pipeline.runtime(config("Highlands"), NOW) as rt:
        moved, gone = source_row(rt, "Moved"), source_row(rt, "Gone")
        assert (moved.region, gone.region) == ("Highlands", "Highlands")
        assert (moved.url, moved.etag) == (http_server.url("/new.xml"), '"n1"')
        assert gone.active is False
        http_server.requests.clear()
        report = pipeline.collect(rt, NOW + timedelta(hours=1))
        assert paths(http_server) == ["/new.xml"]
        assert report.sources[0].not_modified and report.sources[1].skipped


def test_the_recent_titles_are_read_once_per_collection_run(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    from sqlalchemy import event

    sources = []
    for n in range(3):
        http_server.routes[f"/{n}.xml"] = Route(rss([full_item(n)]))
        sources.append({"name": f"S{n}", "url": http_server.url(f"/{n}.xml")})
    # The third source repeats the first one's story under another title's spelling and link:
    # stored by another source in the same run, it is still flagged.
    again = {
        **full_item(9),
        "title": "Story number 0!",
        "link": "https://other.example.org/0",
        "content": full_item(0)["content"],
    }
    http_server.routes["/2.xml"] = Route(rss([again]))
    statements: list[str] = []
    with pipeline.runtime(write_config({"sources": sources}), NOW) as rt:

        @event.listens_for(rt.engine, "before_cursor_execute")
        def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        report = pipeline.collect(rt, NOW)
        stored = {a.title: a for a in articles(rt)}
    assert [s.new_articles for s in report.sources] == [1, 1, 1]
    # The recent titles' read (the candidates' texts are read apart, only for a match).
    reads = [s for s in statements if s.startswith("SELECT articles.id, articles.title \nFROM")]
    assert len(reads) == 1, reads
    first, second = stored["Story number 0"], stored["Story number 0!"]
    # Whichever source was stored first holds the original.
    assert (first.duplicate_of_id, second.duplicate_of_id) in [(None, first.id), (second.id, None)]
