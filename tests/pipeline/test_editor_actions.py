"""The editor's work on a draft, through the pipeline: kept across composing, and obeyed by send."""

from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select

from digest import pipeline
from digest.delivery.memory_transport import MemoryTransport
from digest.errors import DigestError
from digest.models import Delivery
from digest.pipeline import editor_actions
from tests.pipeline.drafts import NOW, compose


def test_edits_survive_composing_again(rt: pipeline.Runtime) -> None:
    issue = compose(rt)
    first, second = issue.entries[0], issue.entries[1]
    editor_actions.edit_issue(
        rt,
        issue.ref.id,
        editor="nadia",
        now=NOW,
        subject="  Hydrogen,  cocoa and ports ",
        intro="Dear readers,\r\n\r\nA busy week.",
    )
    editor_actions.remove_article(rt, issue.ref.id, first.article_id, editor="nadia", now=NOW)
    last = issue.entries[-1]
    # To the top: into the first story's section, then up to the top of it.
    editor_actions.move_to_section(
        rt, issue.ref.id, last.article_id, second.section, editor="nadia", now=NOW
    )
    editor_actions.move_article(rt, issue.ref.id, last.article_id, -100, editor="nadia", now=NOW)

    again = compose(rt)  # composing again (as every preview and send does) keeps all of it
    assert again.ref.subject == "Hydrogen, cocoa and ports"
    assert again.intro == "Dear readers,\n\nA busy week."
    ids = [e.article_id for e in again.entries]
    assert first.article_id not in ids
    assert ids[0] == last.article_id and second.article_id in ids
    assert again.edited_by == "nadia"

    rendered = pipeline.render(rt, again.ref.id)
    assert rendered.subject == "Hydrogen, cocoa and ports"
    assert "A busy week." in rendered.text and "A busy week." in rendered.html
    assert first.title not in rendered.text


def test_a_held_issue_is_not_sent_until_approved(rt: pipeline.Runtime) -> None:
    issue = compose(rt)
    editor_actions.hold(rt, issue.ref.id, editor="nadia", now=NOW)
    held = pipeline.send(rt, "weekly", NOW)
    assert held.blocked and "held" in held.blocked and held.sent == 0
    editor_actions.approve(rt, issue.ref.id, editor="karim", now=NOW)
    sent = pipeline.send(rt, "weekly", NOW)
    assert sent.blocked is None and sent.sent == 1
    with pytest.raises(DigestError, match="can no longer be changed"):
        editor_actions.edit_issue(rt, issue.ref.id, editor="nadia", now=NOW, subject="Too late")


def test_a_list_that_requires_approval_waits_for_it(write_config, http_server) -> None:  # type: ignore[no-untyped-def]
    settings = write_config(
        {
            "sources": [{"name": "North", "url": http_server.url("/feeds/northern-africa.xml")}],
            "lists": [
                {
                    "slug": "weekly",
                    "name": "W",
                    "approval": "required",
                    "demo_subscribers": ["reader@example.org"],
                }
            ],
        }
    )
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        waiting = pipeline.send(rt, "weekly", NOW)
        assert waiting.blocked and "approval" in waiting.blocked
        assert waiting.issue is not None
        editor_actions.approve(rt, waiting.issue.id, editor="nadia", now=NOW)
        assert pipeline.send(rt, "weekly", NOW).sent == 1


def test_a_failed_blocking_check_stops_the_send_with_the_reason(rt: pipeline.Runtime) -> None:
    issue = compose(rt)
    editor_actions.edit_issue(rt, issue.ref.id, editor="nadia", now=NOW, intro="x " * 60_000)
    checks = {c.name: c for c in pipeline.checks(rt, issue.ref.id)}
    assert not checks["size"].ok and checks["size"].blocking
    with pytest.raises(DigestError, match="failed its pre-send checks: size: HTML is"):
        pipeline.send(rt, "weekly", NOW)
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0


def test_test_send_marks_the_subject_and_touches_no_delivery(rt: pipeline.Runtime) -> None:
    issue = compose(rt)
    outbox = MemoryTransport()
    result = editor_actions.send_test(rt, issue.ref.id, "Editor@Example.org", NOW, transport=outbox)
    assert result.outcome == "sent"
    (written,) = outbox.handed_over
    message = message_from_bytes(written.message, policy=policy.default)
    assert message["Subject"].startswith("[TEST] ") and message["To"] == "editor@example.org"
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 0
    assert compose(rt).ref.status == "draft"


def test_edits_are_timestamped_in_utc(rt: pipeline.Runtime) -> None:
    issue = compose(rt)
    later = NOW + timedelta(hours=2)
    editor_actions.approve(rt, issue.ref.id, editor="karim", now=later)
    assert editor_actions.editor_issue(rt, issue.ref.id).approved_by == "karim"


def test_a_subject_with_a_control_character_is_refused(rt: pipeline.Runtime) -> None:
    issue = compose(rt)

    with pytest.raises(DigestError, match=r"subject holds a control character \(U\+0000\)"):
        editor_actions.edit_issue(rt, issue.ref.id, editor="nadia", now=NOW, subject="A\x00B")
    assert compose(rt).ref.subject == issue.ref.subject
