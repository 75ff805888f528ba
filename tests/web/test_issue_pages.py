"""The issue page's new work over HTTP: content edits, the send with its confirmation and
figures, the page returning to where the editor was, and the site's home page."""

from __future__ import annotations

import re
from datetime import timedelta

from digest import pipeline
from digest.delivery.memory_transport import MemoryTransport
from tests.web.conftest import NOW, LiveApp, issue_of

NEW_ROUTES = [
    ("articles/{a}/story", {"title": "x", "summary": ""}),
    ("articles/{a}/section", {"section": "Elsewhere"}),
    ("lead", {"article_id": "{a}"}),
    ("sections/move", {"section": "West Africa", "direction": "up"}),
    ("stories", {"url": "https://news.example.org/x"}),
    ("send", {"at": ""}),
    ("send/cancel", {}),
]


def test_the_home_page_lists_the_lists_with_sign_up_and_archive(app: LiveApp) -> None:
    home = app.client().get("/")
    assert home.status_code == 200
    assert "The Weekly" in home.text
    assert 'href="/subscribe?list=weekly"' in home.text
    assert 'href="/archive/weekly"' in home.text and 'href="/archive/weekly/feed.xml"' in home.text


def test_each_new_action_needs_an_editor_and_a_csrf_token(
    app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    article = issue_of(rt, draft.id).entries[0].article_id
    editor = app.editor()
    anonymous = app.client()
    for path, data in NEW_ROUTES:
        url = f"/editor/issues/{draft.id}/" + path.format(a=article)
        form = {k: v.format(a=article) for k, v in data.items()}
        signed_out = anonymous.post(url, data=form)
        assert signed_out.status_code in (303, 401, 403), url
        assert signed_out.headers.get("location", "/login").startswith("/login"), url
        forged = editor.http.post(url, data={**form, "csrf_token": "forged"})
        assert forged.status_code == 403, url
    after = issue_of(rt, draft.id)
    assert after.edited_by is None and after.ref.status == "draft"


def test_content_edits_return_to_the_story_and_say_what_happened(
    app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    editor = app.editor()
    issue = issue_of(rt, draft.id)
    first_of_second = next(e for e in issue.entries if e.section == issue.sections[1])
    base = f"/editor/issues/{draft.id}"

    moved = editor.post(f"{base}/articles/{first_of_second.article_id}/move", {"direction": "up"})
    assert moved.headers["location"] == f"{base}#article-{first_of_second.article_id}"
    page = editor.get(moved.headers["location"])
    assert "Article moved up." not in page.text
    assert "already the first of its section" in page.text

    saved = editor.post(
        f"{base}/articles/{first_of_second.article_id}/story",
        {"title": "An editor's <b>title</b>", "summary": "Short."},
    )
    assert saved.headers["location"] == f"{base}#article-{first_of_second.article_id}"
    page = editor.get(saved.headers["location"]).text
    assert "An editor&#39;s &lt;b&gt;title&lt;/b&gt;" in page and "<b>title</b>" not in page

    second = issue.sections[1]
    assert f"Section {second} moved up." in editor.act(
        f"{base}/sections/move", {"section": second, "direction": "up"}
    )
    assert issue_of(rt, draft.id).sections[0] == second
    assert editor.act(f"{base}/lead", {"article_id": str(first_of_second.article_id)}) == (
        "Lead story chosen."
    )
    assert issue_of(rt, draft.id).lead_article_id == first_of_second.article_id
    refused = editor.act(f"{base}/stories", {"url": "ftp://news.example.org/x"})
    assert "is not a web page&#39;s address" in refused


def test_a_send_is_confirmed_with_its_readers_then_queued_and_followed(
    app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    editor = app.editor()
    base = f"/editor/issues/{draft.id}"
    confirm = editor.get(f"{base}/send")
    assert confirm.status_code == 200
    assert "It goes to <strong>1</strong> reader now" in confirm.text
    assert re.search(r"Send now to 1 reader\b", confirm.text)

    bad = editor.get(f"{base}/send?at=2026-11-20T10:00")
    assert bad.status_code == 400 and "has already passed" in bad.text
    assert 'value="2026-11-20T10:00"' in bad.text  # the field keeps what was typed
    later = (NOW + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    assert "at <strong>" in editor.get(f"{base}/send?at={later}").text
    kept = editor.act(f"{base}/send", {"at": later})
    assert kept == f"It will be sent at {later.replace('T', ' ')} (UTC)."
    assert f"to be sent {later.replace('T', ' ')}" in editor.get("/editor").text
    assert issue_of(rt, draft.id).ref.status == "draft"
    assert editor.act(f"{base}/send/cancel") == "The chosen send time is cancelled."
    assert issue_of(rt, draft.id).send_at is None

    started = editor.post(f"{base}/send", {"at": ""})
    assert started.status_code == 303 and started.headers["location"] == f"{base}#sending"
    assert issue_of(rt, draft.id).ref.status == "sending"  # queued; nothing sent by the app
    progress = editor.get(f"{base}/send/progress").json()
    assert (progress["status"], progress["total"], progress["sent"]) == ("sending", 1, 0)
    frame = editor.get(f"{base}/send/progress.html")
    assert '<meta http-equiv="refresh"' in frame.text
    assert "frame-ancestors 'self'" in frame.headers["content-security-policy"]

    pipeline.deliver_pending(rt, NOW, transport=MemoryTransport())  # the worker's pass
    progress = editor.get(f"{base}/send/progress").json()
    assert (progress["status"], progress["sent"], progress["done"]) == ("sent", 1, 1)
    assert 'http-equiv="refresh"' not in editor.get(f"{base}/send/progress.html").text
    page = editor.get(base).text
    assert "send/progress.html" in page and "Send now" not in page
    stored = editor.get(f"{base}/email.html").text
    assert stored == app.client().get(f"/archive/weekly/{draft.number}").text
