"""The editor's pages over HTTP: prepare, edit, reorder, test-send, approve and hold an issue."""

from __future__ import annotations

import html
import re
from datetime import timedelta

from sqlalchemy import select

from digest import pipeline
from digest.models import Delivery, Source
from tests.servers import FixtureSMTPServer
from tests.web.conftest import EDITOR, NOW, LiveApp, count, issue_of


def test_the_editor_prepares_this_weeks_issue_from_the_list_page(
    app: LiveApp, rt: pipeline.Runtime
) -> None:
    editor = app.editor()
    home = editor.get("/editor")
    assert "The Weekly" in home.text and "No issues yet." in home.text
    assert 'action="/editor/lists/weekly/compose"' in home.text

    prepared = editor.post("/editor/lists/weekly/compose")
    assert prepared.status_code == 303
    [issue] = pipeline.editor_actions.issues_of_list(rt, "weekly")
    assert prepared.headers["location"] == f"/editor/issues/{issue.id}"
    assert issue.article_count == 12 and issue.status == "draft"
    page = editor.get(prepared.headers["location"])
    assert "Issue #1 is ready: 12 article(s), draft." in page.text
    assert f'href="/editor/issues/{issue.id}"' in editor.get("/editor").text
    assert editor.post("/editor/lists/nope/compose").status_code == 404


def test_the_issue_page_shows_previews_text_part_and_checks(
    app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    editor = app.editor()
    page = editor.get(f"/editor/issues/{draft.id}")
    assert page.status_code == 200
    frames = re.findall(r"<iframe[^>]*>", page.text)
    assert len(frames) == 2
    for frame, width in zip(frames, ("600", "375"), strict=True):
        assert " sandbox " in frame and 'sandbox="' not in frame  # no allow-* at all
        assert f'width="{width}"' in frame
        assert f'src="/editor/issues/{draft.id}/email.html"' in frame
    text_part = re.search(r"<pre>(.*?)</pre>", page.text, re.S)
    assert text_part and "min read" in text_part.group(1)
    assert "https://news.example.org/u/preview" in text_part.group(1)  # a sample, no one's token
    assert "✓ <strong>unsubscribe</strong>" in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src" not in policy and "default-src 'none'" in policy
    assert page.headers["x-frame-options"] == "DENY"

    email = editor.get(f"/editor/issues/{draft.id}/email.html")
    assert email.status_code == 200 and email.text.startswith("<!doctype html>")
    assert email.headers["content-security-policy"].endswith("; sandbox")
    assert "script-src" not in email.headers["content-security-policy"]
    assert email.headers["x-frame-options"] == "SAMEORIGIN"
    assert editor.get("/editor/issues/999").status_code == 404
    assert editor.get("/editor/issues/999/email.html").status_code == 404


def test_subject_and_introduction_edits_show_in_the_email_and_survive_composing_again(
    app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    editor = app.editor()
    base = f"/editor/issues/{draft.id}"
    subject = "Ports & olives: the week in the region"
    intro = "Dear readers,\n\nA <b>busy</b> week on the coast."
    assert editor.act(base + "/subject", {"subject": subject}) == "Subject saved."
    assert editor.act(base + "/intro", {"intro": intro}) == "Introduction saved."

    page = editor.get(base).text
    assert f'value="{html.escape(subject)}"' in page
    assert "A &lt;b&gt;busy&lt;/b&gt; week on the coast." in page
    email = editor.get(base + "/email.html").text
    assert f"<title>{html.escape(subject, quote=False)}</title>" in email
    assert "Dear readers," in email and "A &lt;b&gt;busy&lt;/b&gt; week" in email
    assert "<b>busy</b>" not in email

    again = pipeline.compose(rt, "weekly", NOW + timedelta(hours=2))
    assert again is not None and again.id == draft.id
    stored = issue_of(rt, draft.id)
    assert stored.ref.subject == subject and stored.subject_edited
    assert stored.intro == "Dear readers,\n\nA <b>busy</b> week on the coast."
    assert stored.edited_by == EDITOR

    empty = editor.act(base + "/subject", {"subject": "   "})
    assert empty == "the subject cannot be empty"
    assert issue_of(rt, draft.id).ref.subject == subject


def test_removed_and_reordered_articles_show_in_the_email_and_stay_after_composing_again(
    app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    editor = app.editor()
    base = f"/editor/issues/{draft.id}"
    entries = issue_of(rt, draft.id).entries
    removed, first, second = entries[0], entries[1], entries[2]
    assert first.section == second.section  # so their order shows inside one section

    assert editor.act(f"{base}/articles/{removed.article_id}/remove").startswith("Article removed")
    assert editor.act(f"{base}/articles/{second.article_id}/move", {"direction": "up"}) == (
        "Article moved up."
    )
    assert editor.post(
        f"{base}/articles/{second.article_id}/move", {"direction": "sideways"}
    ).status_code == (400)

    def order(ids: list[int]) -> list[int]:
        return [e.article_id for e in issue_of(rt, draft.id).entries][: len(ids)]

    assert order([0, 0]) == [second.article_id, first.article_id]
    email = editor.get(base + "/email.html").text
    assert html.escape(removed.title, quote=False) not in email
    assert email.index(html.escape(second.title, quote=False)) < email.index(
        html.escape(first.title, quote=False)
    )

    pipeline.compose(rt, "weekly", NOW + timedelta(hours=3))
    after = issue_of(rt, draft.id)
    assert removed.article_id not in [e.article_id for e in after.entries]
    assert [e.article_id for e in after.entries][:2] == [second.article_id, first.article_id]
    assert len(after.entries) == 11


def test_a_test_send_arrives_marked_test_and_records_no_delivery(
    app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    editor = app.editor()
    flash = editor.act(f"/editor/issues/{draft.id}/test", {"address": "Desk@Example.net"})
    assert flash.startswith("Test sent to Desk@Example.net (subject marked [TEST]): 250")
    [message] = smtp_server.handler.parsed()
    assert message["Subject"] == f"[TEST] {draft.subject}"
    assert [rcpt for _f, rcpt, _d in smtp_server.handler.messages] == [["desk@example.net"]]
    assert count(rt, Delivery) == 0
    assert issue_of(rt, draft.id).ref.status == "draft"

    refused = editor.act(f"/editor/issues/{draft.id}/test", {"address": "not an address"})
    assert refused.startswith("Test not sent: &#39;not an address&#39; is not a valid email")
    assert len(smtp_server.handler.messages) == 1


def test_a_held_issue_is_not_sent_and_an_approved_one_is(
    app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime, smtp_server: FixtureSMTPServer
) -> None:
    editor = app.editor()
    base = f"/editor/issues/{draft.id}"
    assert editor.act(base + "/hold").startswith("Held")
    held = issue_of(rt, draft.id)
    assert (held.approval, held.approved_by) == ("held", EDITOR)
    assert '<span class="approval held">held by amina</span>' in editor.get(base).text

    report = pipeline.send(rt, "weekly", NOW)
    assert report.blocked and "held" in report.blocked
    assert smtp_server.handler.messages == [] and count(rt, Delivery) == 0

    assert editor.act(base + "/approve").startswith(f"Approved by {EDITOR}")
    assert issue_of(rt, draft.id).approval == "approved"
    sent = pipeline.send(rt, "weekly", NOW)
    assert sent.sent == 1 and sent.issue is not None and sent.issue.status == "sent"


def test_an_issue_that_went_out_is_read_only(
    app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    assert pipeline.send(rt, "weekly", NOW).sent == 1
    editor = app.editor()
    base = f"/editor/issues/{draft.id}"
    page = editor.get(base).text
    assert "This issue is sent: it can no longer be changed." in page
    for action in ("/subject", "/intro", "/remove", "/move", "/test", "/approve", "/hold"):
        assert f'{action}"' not in page, action
    assert len(re.findall(r"<iframe[^>]*sandbox", page)) == 2  # the preview is still there

    refused = editor.act(base + "/subject", {"subject": "Too late"})
    assert "can no longer be changed" in refused
    assert issue_of(rt, draft.id).ref.subject == draft.subject


def test_sources_whose_last_fetch_failed_are_shown_to_editors(
    app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    with rt.sessions.begin() as session:
        source = session.scalar(select(Source).where(Source.name == "Sahel & Coast"))
        assert source is not None
        source.consecutive_failures, source.last_error = 3, "HTTP 503 from the feed"
    editor = app.editor()
    for path in ("/editor", f"/editor/issues/{draft.id}"):
        page = editor.get(path).text
        assert "Source problems" in page
        assert "<strong>Sahel &amp; Coast</strong>: failed 3 time(s) in a row" in page
        assert "HTTP 503 from the feed" in page
        assert "Maghreb Dispatch</strong>" not in page
