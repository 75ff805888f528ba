"""Hostile input in one source's feed or pages: that source (or item) reports it, the others
are collected; never a crash of the whole collection run."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import trafilatura
from sqlalchemy import select

from digest import pipeline
from digest.collect import feed_parser
from digest.models import Article
from tests.servers import FixtureHTTPServer, Route
from tests.test_pipeline import full_item, rss

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def stored(rt: pipeline.Runtime) -> dict[str, Article]:
    with rt.sessions() as session:
        return {a.title: a for a in session.scalars(select(Article))}


def two_sources(write_config: Any, server: FixtureHTTPServer, first: str) -> Any:
    return write_config(
        {
            "sources": [
                {"name": "Hostile", "url": server.url(first), "region": "Coast"},
                {"name": "Calm", "url": server.url("/calm.xml"), "region": "Coast"},
            ]
        }
    )


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/dated.xml", rss([full_item(1, date="0001-01-01T00:00:00+01:00")])),
        ("/late.xml", rss([full_item(1, date="9999-12-31T23:59:59-05:00")])),
        (
            "/dated.json",
            json.dumps(
                {
                    "version": "https://jsonfeed.org/version/1.1",
                    "title": "Hostile",
                    "items": [
                        {
                            "id": "h-1",
                            "url": "https://hostile.example.org/1",
                            "title": "Story number 1",
                            # A summary beside the content: full, so no page is fetched.
                            "summary": "The harbour story in short.",
                            "content_html": full_item(1)["content"],
                            "date_published": "0001-01-01T00:00:00+01:00",
                            "image": "http://[bad/",
                        }
                    ],
                }
            ).encode(),
        ),
    ],
)
def test_an_impossible_date_or_url_loses_nothing(
    write_config: Any, http_server: FixtureHTTPServer, path: str, body: bytes
) -> None:
    http_server.routes[path] = Route(body)
    http_server.routes["/calm.xml"] = Route(rss([full_item(2)]))
    with pipeline.runtime(two_sources(write_config, http_server, path), NOW) as rt:
        report = pipeline.collect(rt, NOW)
        assert not report.failed, [(s.error, s.problems) for s in report.failed]
        articles = stored(rt)
    assert set(articles) == {"Story number 1", "Story number 2"}
    assert articles["Story number 1"].published_at is None
    assert articles["Story number 1"].image_url is None


def test_a_page_with_an_impossible_date_is_extracted(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/page.html"] = Route(
        b'<html><head><meta property="article:published_time" content="9999-12-31T23:59:59-05:00">'
        b'<link rel="canonical" href="http://[bad/"></head><body><article>'
        + full_item(1)["content"].encode()
        + b"</article></body></html>",
        content_type="text/html",
    )
    teaser = {"title": "Teaser", "link": http_server.url("/page.html"), "guid": "t-1"}
    http_server.routes["/teasers.xml"] = Route(rss([teaser]))
    http_server.routes["/calm.xml"] = Route(rss([full_item(2)]))
    with pipeline.runtime(two_sources(write_config, http_server, "/teasers.xml"), NOW) as rt:
        report = pipeline.collect(rt, NOW)
        assert not report.failed, [(s.error, s.problems) for s in report.failed]
        articles = stored(rt)
    assert set(articles) == {"Teaser", "Story number 2"}
    assert "harbour economy" in articles["Teaser"].text


def test_an_unexpected_error_in_one_source_is_its_error_alone(
    write_config: Any,
    http_server: FixtureHTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A bug not yet known, stood in for by the feed check failing on one feed's bytes (the
    # parsing itself runs in a child process, out of a monkeypatch's reach).
    real_check = feed_parser.checked_xml

    def check(data: bytes, *args: Any, **kwargs: Any) -> Any:
        if b"Hostile Desk" in data:
            raise RuntimeError("parser bug")
        return real_check(data, *args, **kwargs)

    monkeypatch.setattr(feed_parser, "checked_xml", check)
    http_server.routes["/bug.xml"] = Route(rss([full_item(1)], title="Hostile Desk"))
    http_server.routes["/calm.xml"] = Route(rss([full_item(2)]))
    with (
        pipeline.runtime(two_sources(write_config, http_server, "/bug.xml"), NOW) as rt,
        caplog.at_level(logging.WARNING, "digest"),
    ):
        report = pipeline.collect(rt, NOW)
        assert set(stored(rt)) == {"Story number 2"}
    hostile, calm = report.sources
    assert hostile.error == "unexpected: RuntimeError: parser bug"
    assert calm.error is None and calm.new_articles == 1
    [logged] = [r for r in caplog.records if "unexpected" in r.getMessage()]
    assert logged.exc_info is not None and "parser bug" in str(logged.exc_info[1])


def test_an_unexpected_error_on_one_page_skips_that_item_until_the_next_run(
    write_config: Any, http_server: FixtureHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_extract = trafilatura.extract

    def extract(tree: Any, *args: Any, **kwargs: Any) -> Any:
        if "broken" in str(kwargs.get("url")):
            raise RuntimeError("extractor bug")
        return real_extract(tree, *args, **kwargs)

    monkeypatch.setattr(trafilatura, "extract", extract)
    for name in ("broken", "fine"):
        http_server.routes[f"/{name}.html"] = Route(
            b"<html><body><article>" + full_item(3)["content"].encode() + b"</article></body>",
            content_type="text/html",
        )
    teasers = [
        {"title": f"Teaser {name}", "link": http_server.url(f"/{name}.html"), "guid": name}
        for name in ("broken", "fine")
    ]
    http_server.routes["/teasers.xml"] = Route(rss(teasers))
    http_server.routes["/calm.xml"] = Route(rss([full_item(2)]))
    with pipeline.runtime(two_sources(write_config, http_server, "/teasers.xml"), NOW) as rt:
        hostile, calm = pipeline.collect(rt, NOW).sources
        assert hostile.error is None and hostile.new_articles == 1
        assert hostile.problems == ["Teaser broken: unexpected: RuntimeError: extractor bug"]
        assert calm.new_articles == 1
        assert set(stored(rt)) == {"Teaser fine", "Story number 2"}

        monkeypatch.setattr(trafilatura, "extract", real_extract)
        again = pipeline.collect(rt, NOW + timedelta(hours=1)).sources[0]
        assert again.new_articles == 1 and not again.problems
        assert "Teaser broken" in stored(rt)


def test_lone_surrogates_in_a_json_feed_are_dropped_and_the_run_goes_on(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    """json.loads accepts "\\udc00"; such a string can never be encoded, and one in an author
    stopped the whole collection run (the good source lost its articles too)."""
    item = {
        "id": "s-1",
        "url": "https://hostile.example.org/1",
        "title": "Story number 1 \udc00",
        "authors": [{"name": "Au \udc00"}],
        "summary": "The harbour story \ud800 in short.",
        "content_html": full_item(1)["content"] + "<p>\udfff</p>",
        "tags": ["Ports \udc00"],
    }
    feed = {"version": "https://jsonfeed.org/version/1.1", "title": "Hostile", "items": [item]}
    # ensure_ascii (the default) writes the lone surrogates as \udc00 escapes, as a feed would.
    http_server.routes["/surrogates.json"] = Route(
        json.dumps(feed).encode(), content_type="application/feed+json"
    )
    http_server.routes["/calm.xml"] = Route(rss([full_item(2)]))
    with pipeline.runtime(two_sources(write_config, http_server, "/surrogates.json"), NOW) as rt:
        report = pipeline.collect(rt, NOW)
        assert not report.failed, [(s.error, s.problems) for s in report.failed]
        articles = stored(rt)
    assert {title.strip() for title in articles} == {"Story number 1", "Story number 2"}
    hostile = next(a for title, a in articles.items() if title.startswith("Story number 1"))
    assert hostile.author is not None and hostile.author.strip() == "Au"
