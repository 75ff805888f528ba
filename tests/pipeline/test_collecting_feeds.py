"""Collection of real-world feeds end to end: each article's own language, undeclared legacy
encodings, a feed cut mid-document shown as its source's failure."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from digest import pipeline
from digest.models import Article
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


def feed(language: str, items: list[tuple[str, str]]) -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        "<channel><title>Desk</title><link>https://desk.example.org/</link>"
        f"<language>{language}</language>"
    ]
    for n, (title, body) in enumerate(items):
        parts.append(
            f"<item><title>{title}</title><link>https://desk.example.org/{n}</link>"
            f"<guid>desk-{n}</guid><description>x</description>"
            f"<content:encoded><![CDATA[{body}]]></content:encoded></item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


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
        )
    )
    settings = write_config(
        {"sources": [{"name": "Desk", "url": http_server.url("/feed.xml"), "region": "Coast"}]}
    )
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        languages = {a.title: a.language for a in stored(rt)}
    # "Photo" says too little: the feed's declaration stands.
    assert languages == {"Plan de circulation": "fr", "خطة السير": "ar", "Photo": "ar"}
