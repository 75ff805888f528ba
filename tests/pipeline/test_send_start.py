"""An issue's send started by an editor: now or at a chosen time, under the approval rules;
the figures after; the web version stored when it starts, whatever the templates do later."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from digest import pipeline
from digest.config import Settings
from digest.delivery.memory_transport import MemoryTransport
from digest.errors import DigestError
from digest.models import Issue
from digest.pipeline import editor_actions, rendering, send_start
from subscribers import membership
from subscribers.models import Subscriber, Subscription
from subscribers.states import SubscriptionStatus, SuppressionReason
from subscribers.suppression import suppress
from tests.conftest import REPO
from tests.servers import FixtureHTTPServer

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    """A copy of the shipped templates this test may change."""
    copy = tmp_path / "templates"
    shutil.copytree(REPO / "templates", copy)
    return copy


@pytest.fixture
def settings(write_config, http_server: FixtureHTTPServer, templates: Path) -> Settings:
    return write_config(
        {
            "sources": [{"name": "North", "url": http_server.url("/feeds/northern-africa.xml")}],
            "paths": {"templates": str(templates), "previews": "previews"},
            "lists": [
                {
                    "slug": "weekly",
                    "name": "The Weekly",
                    "timezone": "Africa/Casablanca",
                    "approval": "required",
                    "demo_subscribers": ["reader@example.org"],
                }
            ],
        }
    )


@pytest.fixture
def rt(settings: Settings) -> Iterator[pipeline.Runtime]:
    with pipeline.runtime(settings, NOW) as runtime:
        pipeline.collect(runtime, NOW)
        yield runtime


def draft_id(rt: pipeline.Runtime) -> int:
    ref = pipeline.compose(rt, "weekly", NOW)
    assert ref is not None
    return ref.id


def add_readers(rt: pipeline.Runtime, *addresses: str) -> None:
    with rt.sessions.begin() as session:
        lst = membership.get_list(session, "weekly")
        for address in addresses:
            membership.add_subscriber(session, lst, address, name=None, now=NOW)


def test_an_unapproved_issue_is_not_started_and_an_approved_one_is_queued(
    rt: pipeline.Runtime,
) -> None:
    issue_id = draft_id(rt)
    add_readers(rt, "ama@example.net", "kojo@example.net")
    assert send_start.readers_now(rt, issue_id) == 3
    with pytest.raises(DigestError, match="waiting for an editor's approval"):
        send_start.start_send(rt, issue_id, NOW)
    editor_actions.approve(rt, issue_id, editor="nadia", now=NOW)

    ref = send_start.start_send(rt, issue_id, NOW)
    assert ref.status == "sending"  # queued: the web app sends nothing itself
    figures = send_start.send_figures(rt, issue_id)
    assert (figures.total, figures.waiting, figures.sent, figures.done) == (3, 3, 0, 0)
    with pytest.raises(DigestError, match="can no longer be changed"):
        send_start.start_send(rt, issue_id, NOW)

    transport = MemoryTransport()
    [report] = pipeline.deliver_pending(rt, NOW, transport=transport)  # the worker's pass
    assert report.sent == 3 and len(transport.handed_over) == 3
    figures = send_start.send_figures(rt, issue_id)
    assert (figures.status, figures.sent, figures.done, figures.waiting) == ("sent", 3, 3, 0)


def test_a_send_at_a_chosen_time_waits_for_it_and_for_approval(rt: pipeline.Runtime) -> None:
    issue_id = draft_id(rt)
    editor_actions.approve(rt, issue_id, editor="nadia", now=NOW)
    at = NOW + timedelta(hours=3)
    assert send_start.start_send(rt, issue_id, NOW, at=at).status == "draft"
    transport = MemoryTransport()
    assert pipeline.deliver_pending(rt, NOW + timedelta(hours=2), transport=transport) == []
    assert send_start.send_figures(rt, issue_id).send_at == at

    # Held meanwhile: its time comes and goes, and nothing is sent.
    editor_actions.hold(rt, issue_id, editor="karim", now=NOW)
    assert pipeline.deliver_pending(rt, at, transport=transport) == []
    editor_actions.approve(rt, issue_id, editor="karim", now=NOW)
    [report] = pipeline.deliver_pending(rt, at + timedelta(minutes=1), transport=transport)
    assert report.sent == 1
    figures = send_start.send_figures(rt, issue_id)
    assert (figures.status, figures.send_at) == ("sent", None)


def test_cancelling_a_chosen_time_keeps_the_draft(rt: pipeline.Runtime) -> None:
    issue_id = draft_id(rt)
    editor_actions.approve(rt, issue_id, editor="nadia", now=NOW)
    send_start.start_send(rt, issue_id, NOW, at=NOW + timedelta(hours=1))
    send_start.cancel_scheduled(rt, issue_id)
    assert pipeline.deliver_pending(rt, NOW + timedelta(days=1), transport=MemoryTransport()) == []
    assert editor_actions.editor_issue(rt, issue_id).ref.status == "draft"


def test_the_figures_tell_skipped_bounced_and_unsubscribed_apart(rt: pipeline.Runtime) -> None:
    issue_id = draft_id(rt)
    add_readers(
        rt, "topics@example.net", "leaver@example.net", "bouncer@example.net", "later@example.net"
    )
    editor_actions.approve(rt, issue_id, editor="nadia", now=NOW)
    send_start.start_send(rt, issue_id, NOW)
    with rt.sessions.begin() as session:
        session.execute(
            update(Subscriber)
            .where(Subscriber.email == "topics@example.net")
            .values(topics=["curling"])
        )
        leaver = select(Subscriber.id).where(Subscriber.email == "leaver@example.net")
        session.execute(  # left after the send started, before their turn
            update(Subscription)
            .where(Subscription.subscriber_id.in_(leaver.scalar_subquery()))
            .values(status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=NOW)
        )
    pipeline.deliver_pending(rt, NOW, transport=MemoryTransport())
    later = NOW + timedelta(hours=1)
    with rt.sessions.begin() as session:
        suppress(session, "bouncer@example.net", SuppressionReason.HARD_BOUNCE, later, "550")
        gone = select(Subscriber.id).where(Subscriber.email == "later@example.net")
        session.execute(
            update(Subscription)
            .where(Subscription.subscriber_id.in_(gone.scalar_subquery()))
            .values(status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=later)
        )
    figures = send_start.send_figures(rt, issue_id)
    assert (figures.total, figures.sent, figures.failed, figures.deferred) == (5, 3, 0, 0)
    assert (figures.skipped_topics, figures.skipped_suppressed) == (1, 1)
    assert figures.bounced == 1
    assert figures.unsubscribed_since == 2


def test_the_archive_keeps_the_web_version_sent_whatever_the_templates_become(
    rt: pipeline.Runtime, settings: Settings, templates: Path
) -> None:
    issue_id = draft_id(rt)
    editor_actions.approve(rt, issue_id, editor="nadia", now=NOW)
    send_start.start_send(rt, issue_id, NOW)
    pipeline.deliver_pending(rt, NOW, transport=MemoryTransport())
    with rt.sessions() as session:
        number = session.scalar(select(Issue.number).where(Issue.id == issue_id))
    assert number is not None
    sent = pipeline.web_version(rt, "weekly", number)
    assert "reader@example.org" not in sent

    card = templates / "email" / "article_card.mjml.j2"
    card.write_text(card.read_text() + "\n<mj-text>A redesign after the send</mj-text>\n")
    with pipeline.runtime(settings, NOW) as later:  # a new process reads the new templates
        assert "A redesign after the send" in rendering.render_web_version(later, issue_id)
        assert pipeline.web_version(later, "weekly", number) == sent
        assert rendering.stored_web_version(later, issue_id) == sent
