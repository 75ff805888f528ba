"""The whole journey of an issue against real local parts: HTTP feeds and pages, SMTP, database."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from sqlalchemy import func, select, update

from digest import pipeline
from digest.config import Settings
from digest.errors import DeliveryError
from digest.models import Article, Delivery, Issue, Source
from digest.pipeline import composing, editor_actions
from subscribers import membership
from subscribers.models import Subscriber, Suppression
from tests.conftest import TEST_POSTAL_ADDRESS
from tests.servers import FixtureHTTPServer, FixtureSMTPServer, Route

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # a Monday morning


def rss(items: list[dict[str, str]], title: str = "Test Desk") -> bytes:
    """A small RSS 2.0 feed; an item with "content" is full, one without is a teaser."""
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        f"<channel><title>{title}</title><link>https://desk.example.org/</link>",
    ]
    for item in items:
        parts.append(
            "<item>"
            f"<title>{item['title']}</title><link>{item['link']}</link>"
            f'<guid isPermaLink="false">{item["guid"]}</guid>'
            f"<pubDate>{item.get('date', format_datetime(NOW - timedelta(days=2)))}</pubDate>"
            f"<category>{item.get('tag', 'Economy')}</category>"
            f"<description>{item.get('teaser', 'A short teaser.')}</description>"
            + (
                f"<content:encoded><![CDATA[{item['content']}]]></content:encoded>"
                if "content" in item
                else ""
            )
            + "</item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts).encode()


def full_item(n: int, **extra: str) -> dict[str, str]:
    body = "".join(
        f"<p>Paragraph {i} of story {n} says something new about the harbour economy. "
        f"Traders and officials agree on the figures.</p>"
        for i in range(6)
    )
    return {
        "title": f"Story number {n}",
        "link": f"https://desk.example.org/2026/11/story-{n}/",
        "guid": f"desk-{n}",
        "content": body,
        **extra,
    }


@pytest.fixture
def settings(
    write_config, sample_sources: list[dict[str, str]], smtp_server: FixtureSMTPServer
) -> Settings:
    return write_config(
        {
            "sources": sample_sources,
            "delivery": {
                "transport": "smtp",
                "smtp": {"host": "127.0.0.1", "port": smtp_server.port, "security": "none"},
                "unsubscribe_mailto": "unsubscribe@news.example.org",
            },
        }
    )


@pytest.fixture
def rt(settings: Settings) -> Iterator[pipeline.Runtime]:
    with pipeline.runtime(settings, NOW) as runtime:
        yield runtime


def add_readers(rt: pipeline.Runtime, *addresses: str) -> None:
    with rt.sessions.begin() as session:
        lst = membership.get_list(session, "weekly")
        for address in addresses:
            membership.add_subscriber(session, lst, address, name=None, now=NOW)


def choose_topics(rt: pipeline.Runtime, chosen: dict[str, list[str]]) -> None:
    """Each reader's topics, by address."""
    with rt.sessions.begin() as session:
        for email, topics in chosen.items():
            session.execute(
                update(Subscriber).where(Subscriber.email == email).values(topics=topics)
            )


def count(rt: pipeline.Runtime, model: type) -> int:
    with rt.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_run_collects_composes_and_delivers_every_article_to_every_reader(
    rt: pipeline.Runtime, smtp_server: FixtureSMTPServer, http_server: FixtureHTTPServer
) -> None:
    add_readers(rt, "amina@example.org", "kofi@example.net")

    report = pipeline.run(rt, "weekly", NOW)

    assert report.collected.new_articles == 12
    assert not report.collected.failed
    assert report.issue is not None and report.issue.article_count == 12
    assert report.issue.status == "sent"
    assert report.delivery.sent == 3
    assert sorted(rcpt[0] for _f, rcpt, _b in smtp_server.handler.messages) == [
        "amina@example.org",
        "kofi@example.net",
        "reader@example.org",
    ]
    # The teasers' pages were fetched; the full items' were not.
    fetched_pages = [path for path, _h in http_server.requests if path.startswith("/pages/")]
    assert len(fetched_pages) == 6

    with rt.sessions() as session:
        titles = list(session.scalars(select(Article.title)))
    for message in smtp_server.handler.parsed():
        check_message(message, titles)


def check_message(message: EmailMessage, titles: list[str]) -> None:
    assert message.get_content_type() == "multipart/alternative"
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    for header in ("From", "To", "Subject", "Date", "Message-ID", "List-Id"):
        assert message[header], header
    unsubscribe = " ".join(str(message["List-Unsubscribe"]).split())  # unfold
    assert re.fullmatch(
        r"<https://news\.example\.org/u/[\w.-]+>, <mailto:unsubscribe@[^>]+>", unsubscribe
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = parts[0].get_content()
    html = parts[1].get_content()
    for title in titles:
        assert title in text
        assert title.replace("&", "&amp;") in html
    hrefs = re.findall(r'href="([^"]*)"', html)
    assert hrefs, "the HTML part has links"
    assert all(h.startswith("https://") for h in hrefs), [
        h for h in hrefs if not h.startswith("https://")
    ]
    assert "min read" in text and "min read" in html
    assert "Read Also" not in text and "Article Rating" not in text
    unsubscribe_url = unsubscribe.split(">")[0].lstrip("<")
    assert unsubscribe_url in text and unsubscribe_url in html
    assert TEST_POSTAL_ADDRESS in text  # the postal address footer


def test_second_run_in_the_same_week_sends_nothing_new(
    rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    add_readers(rt, "amina@example.org")
    first = pipeline.run(rt, "weekly", NOW)
    second = pipeline.run(rt, "weekly", NOW + timedelta(hours=3))

    assert first.delivery.sent == 2
    assert second.collected.new_articles == 0
    assert second.delivery.sent == 0 and second.delivery.enqueued == 0
    assert second.issue is not None and second.issue.id == first.issue.id  # type: ignore[union-attr]
    assert len(smtp_server.handler.messages) == 2
    assert count(rt, Delivery) == 2
    assert count(rt, Issue) == 1


def test_a_new_article_next_week_makes_a_new_issue_with_only_that_article(
    write_config, http_server: FixtureHTTPServer, smtp_server: FixtureSMTPServer
) -> None:
    http_server.routes["/desk.xml"] = Route(rss([full_item(1), full_item(2)]))
    settings = write_config(
        {
            "sources": [
                {"name": "Desk", "url": http_server.url("/desk.xml"), "region": "West Africa"}
            ],
            "delivery": {
                "transport": "smtp",
                "smtp": {"host": "127.0.0.1", "port": smtp_server.port, "security": "none"},
            },
        }
    )
    with pipeline.runtime(settings, NOW) as rt:
        first = pipeline.run(rt, "weekly", NOW)
        http_server.routes["/desk.xml"] = Route(rss([full_item(3), full_item(1), full_item(2)]))
        second = pipeline.run(rt, "weekly", NOW + timedelta(days=7))

    assert first.issue is not None and second.issue is not None
    assert (first.issue.number, first.issue.article_count) == (1, 2)
    assert (second.issue.number, second.issue.article_count) == (2, 1)
    assert second.delivery.sent == 1
    latest = smtp_server.handler.parsed()[-1]
    text = latest.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert "Story number 3" in text and "Story number 1" not in text


def test_failing_sources_are_reported_and_the_rest_is_collected(
    write_config, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/broken.xml"] = Route(b"oops", status=500, content_type="text/plain")
    http_server.routes["/not-a-feed.xml"] = Route(
        b"<html><body>Hello</body></html>", content_type="text/html"
    )
    http_server.routes["/slow-page.html"] = Route(
        b"<html></html>", delay=3, content_type="text/html"
    )
    teaser = {"title": "Slow teaser", "link": "/slow-page.html", "guid": "slow-1"}
    http_server.routes["/mixed.xml"] = Route(rss([full_item(1), teaser]))
    settings = write_config(
        {
            "collect": {"timeout_seconds": 0.5},
            "sources": [
                {"name": "Good", "url": http_server.url("/feeds/northern-africa.xml")},
                {"name": "Broken", "url": http_server.url("/broken.xml")},
                {"name": "Not a feed", "url": http_server.url("/not-a-feed.xml")},
                {"name": "Mixed", "url": http_server.url("/mixed.xml")},
            ],
        }
    )
    with pipeline.runtime(settings, NOW) as rt:
        report = pipeline.collect(rt, NOW)
        by_name = {s.name: s for s in report.sources}
        assert by_name["Good"].new_articles == 6 and by_name["Good"].error is None
        assert "HTTP 500" in (by_name["Broken"].error or "")
        assert "not an RSS or Atom feed" in (by_name["Not a feed"].error or "")
        assert by_name["Mixed"].new_articles == 1
        assert any("timed out" in p for p in by_name["Mixed"].problems)
        with rt.sessions() as session:
            broken = session.scalar(select(Source).where(Source.name == "Broken"))
            assert broken is not None and broken.consecutive_failures == 1

        # The good feed breaks next time: nothing stored before is lost.
        http_server.routes["/feeds/northern-africa.xml"] = Route(b"", status=503)
        again = pipeline.collect(rt, NOW + timedelta(hours=1))
        assert {s.name: s for s in again.sources}["Good"].error
        assert count(rt, Article) == 7
        # The slow page is tried again on the next collection, and stored once it answers.
        http_server.routes["/slow-page.html"] = Route(
            b"<html><body><article><p>"
            + b"The slow page finally answered with its text. " * 20
            + b"</p></article></body></html>",
            content_type="text/html",
        )
        third = pipeline.collect(rt, NOW + timedelta(hours=2))
        assert {s.name: s for s in third.sources}["Mixed"].new_articles == 1
        assert count(rt, Article) == 8


def test_smtp_4xx_is_retried_5xx_fails_a_drop_after_data_is_uncertain(
    rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    add_readers(rt, "a@example.org", "b@example.org", "c@example.org")
    smtp_server.handler.by_recipient = {
        "a@example.org": ["451 4.3.0 Try again later"],
        "b@example.org": ["550 5.1.1 No such user"],
        "c@example.org": ["drop"],  # after the data: the server may have it
    }
    pipeline.collect(rt, NOW)
    first = pipeline.send(rt, "weekly", NOW)
    assert (first.sent, first.deferred, first.failed, first.uncertain) == (1, 1, 1, 1)
    assert first.issue is not None and first.issue.status == "sending"

    # Too early: nothing is due yet.
    early = pipeline.send(rt, "weekly", NOW + timedelta(seconds=10))
    assert early.sent == 0

    later = pipeline.send(rt, "weekly", NOW + timedelta(hours=1))
    assert later.sent == 1 and later.failed == 0
    assert later.issue is not None and later.issue.status == "sent"
    # The uncertain one is not sent again (delivery.retry_uncertain is off).
    delivered = sorted(rcpt[0] for _f, rcpt, _b in smtp_server.handler.messages)
    assert delivered == ["a@example.org", "reader@example.org"]
    with rt.sessions() as session:
        failed = session.scalar(select(Delivery).where(Delivery.status == "failed"))
        assert failed is not None and failed.email == "b@example.org"
        assert failed.last_reply is not None and failed.last_reply.startswith("550")
        # 5.1.1: the mailbox does not exist, so the address is suppressed for good.
        suppressed = session.scalar(select(Suppression).where(Suppression.email == "b@example.org"))
        assert suppressed is not None and suppressed.reason == "hard_bounce"


def test_a_dead_smtp_server_stops_the_send_and_loses_nothing(
    write_config, http_server: FixtureHTTPServer
) -> None:
    settings = write_config(
        {
            "sources": [{"name": "Good", "url": http_server.url("/feeds/northern-africa.xml")}],
            "delivery": {
                "transport": "smtp",
                "smtp": {"host": "127.0.0.1", "port": 9, "security": "none", "timeout_seconds": 2},
            },
        }
    )
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        with pytest.raises(DeliveryError, match="cannot connect"):
            pipeline.send(rt, "weekly", NOW)
        with rt.sessions() as session:
            statuses = list(session.scalars(select(Delivery.status)))
        assert statuses == ["queued"]


def test_an_unsubscribed_reader_is_skipped(
    rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    add_readers(rt, "gone@example.org")
    pipeline.collect(rt, NOW)
    with rt.sessions.begin() as session:
        lst = membership.get_list(session, "weekly")
        membership.remove_subscriber(session, lst, "gone@example.org", now=NOW)
    report = pipeline.send(rt, "weekly", NOW)
    assert report.sent == 1
    assert [rcpt for _f, rcpt, _b in smtp_server.handler.messages] == [["reader@example.org"]]


def test_file_outbox_writes_one_eml_per_recipient(
    write_config, http_server: FixtureHTTPServer
) -> None:
    settings = write_config(
        {"sources": [{"name": "Good", "url": http_server.url("/feeds/west-africa.atom")}]}
    )
    with pipeline.runtime(settings, NOW) as rt:
        add_readers(rt, "amina@example.org")
        report = pipeline.run(rt, "weekly", NOW)
    assert report.outbox is not None
    files = sorted(report.outbox.glob("*.eml"))
    assert len(files) == 2
    assert report.preview is not None and report.preview.read_text().startswith("<!doctype html>")
    from email import message_from_bytes, policy

    for path in files:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert message.get_content_type() == "multipart/alternative"
        assert b"\r\n" in path.read_bytes()


def test_each_reader_gets_the_stories_of_the_topics_they_chose(
    rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    add_readers(rt, "maghreb@example.org", "ties@example.org", "sport@example.org")
    chosen = {
        "maghreb@example.org": ["Northern Africa"],
        "ties@example.org": ["global TIES", "Energy"],
        "sport@example.org": ["Sport"],
    }
    choose_topics(rt, chosen)
    pipeline.collect(rt, NOW)
    report = pipeline.send(rt, "weekly", NOW)
    assert (report.sent, report.skipped) == (3, 1)  # nothing this week is about sport

    with rt.sessions() as session:
        articles = list(session.scalars(select(Article)))
        reasons = dict(session.execute(select(Delivery.email, Delivery.last_reply)).all())
    assert "matches their topics" in (reasons["sport@example.org"] or "")
    everything = {a.title for a in articles}
    northern = {a.title for a in articles if a.region == "Northern Africa"}
    ties = {a.title for a in articles if {t.casefold() for t in a.tags} & {"global ties", "energy"}}
    assert northern and ties and northern != everything and ties != everything
    received = {}
    for message in smtp_server.handler.parsed():
        text = message.get_body(preferencelist=("plain",)).get_content()
        received[str(message["To"])] = {title for title in everything if title in text}
    assert received == {
        "reader@example.org": everything,  # chose no topics: everything
        "maghreb@example.org": northern,
        "ties@example.org": ties,
    }
    # The editor's preview "as" a reader shows that reader's own copy.
    preview = pipeline.preview(rt, "weekly", NOW, text=True, as_email="Maghreb@example.org")
    assert preview is not None
    shown = preview.path.read_text(encoding="utf-8")
    assert {title for title in everything if title in shown} == northern


def test_a_readers_copy_without_the_lead_names_its_own_first_story_in_the_subject(
    rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    add_readers(rt, "maghreb@example.org")
    choose_topics(rt, {"maghreb@example.org": ["Northern Africa"]})
    pipeline.collect(rt, NOW)
    pipeline.send(rt, "weekly", NOW)

    with rt.sessions() as session:
        northern = set(
            session.scalars(select(Article.title).where(Article.region == "Northern Africa"))
        )
    subjects = {str(m["To"]): str(m["Subject"]) for m in smtp_server.handler.parsed()}
    lead_of = {to: subject.rsplit(" · ", 1)[0] for to, subject in subjects.items()}
    # The issue leads with a story outside Northern Africa: everyone's subject names it ...
    assert lead_of["reader@example.org"] not in northern, subjects
    # ... but the Maghreb reader's copy leads with its own first story, and so does its subject.
    assert lead_of["maghreb@example.org"] in northern, subjects


def test_a_subject_the_editor_wrote_stays_in_every_readers_copy(
    rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    add_readers(rt, "maghreb@example.org")
    choose_topics(rt, {"maghreb@example.org": ["Northern Africa"]})
    pipeline.collect(rt, NOW)
    ref = pipeline.compose(rt, "weekly", NOW)
    assert ref is not None
    editor_actions.edit_issue(rt, ref.id, editor="nadia", now=NOW, subject="Our week in brief")
    pipeline.send(rt, "weekly", NOW)

    subjects = {str(m["To"]): str(m["Subject"]) for m in smtp_server.handler.parsed()}
    assert subjects == {
        "reader@example.org": "Our week in brief",
        "maghreb@example.org": "Our week in brief",
    }


def test_one_run_composes_the_issue_once_and_renders_it_once_per_topic_set(
    rt: pipeline.Runtime, smtp_server: FixtureSMTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_readers(rt, "maghreb@example.org", "ties@example.org", "also-ties@example.org")
    chosen = {
        "maghreb@example.org": ["Northern Africa"],
        "ties@example.org": ["Global ties"],
        "also-ties@example.org": ["global TIES"],
    }
    choose_topics(rt, chosen)
    composed: list[int] = []
    rendered: list[tuple[str, ...]] = []
    compose_issue = composing.compose_issue
    render = rt.renderer.render

    def counted_compose(*args, **kwargs):  # type: ignore[no-untyped-def]
        composed.append(1)
        return compose_issue(*args, **kwargs)

    def counted_render(view, markers=None):  # type: ignore[no-untyped-def]
        rendered.append(tuple(story.title for s in view.sections for story in s.stories))
        return render(view, markers)

    monkeypatch.setattr(composing, "compose_issue", counted_compose)
    monkeypatch.setattr(rt.renderer, "render", counted_render)

    report = pipeline.run(rt, "weekly", NOW)

    assert report.delivery.sent == 4 and report.preview is not None
    assert len(composed) == 1
    # Everyone's issue (preview, checks and the readers with no topics), Northern Africa's,
    # and Global ties' (two readers, one topic set once case is folded): three renderings.
    assert len(rendered) == 3, rendered
    assert len(set(rendered)) == 3
