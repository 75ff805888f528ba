"""The editor's pages and the archive in headless Chromium: sign in, preview, edit, test, approve.

Screenshots go to tests/artifacts/. The browser may reach 127.0.0.1 only: every other request
(the sample articles' images) is aborted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from digest import pipeline
from digest.models import Delivery
from tests.browser import ARTIFACTS, BrowserThread, save_screenshot
from tests.servers import FixtureSMTPServer
from tests.web.conftest import EDITOR, NOW, PASSWORD, LiveApp, count, issue_of

if TYPE_CHECKING:  # the browser fixture skips (or fails under CI) without Playwright
    from playwright.sync_api import Browser, Page, Route

DESKTOP_PAGE = 1400

# Each preview frame's own viewport, measured from the editor's page (frames run no script).
FRAMES_JS = """() => [...document.querySelectorAll("iframe")].map((frame) => ({
    sandbox: frame.getAttribute("sandbox"),
    tokens: [...frame.sandbox],
    width: frame.clientWidth,
    src: frame.getAttribute("src"),
}))"""


@contextmanager
def local_page(browser: Browser, width: int = DESKTOP_PAGE) -> Iterator[Page]:
    """A page in a fresh context that may load only what 127.0.0.1 serves."""
    context = browser.new_context(viewport={"width": width, "height": 900})

    def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            route.abort()

    context.route("**/*", only_local)
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Page, app: LiveApp) -> None:
    page.goto(app.url + "/editor")
    assert urlsplit(page.url).path == "/login"
    page.get_by_label("Username").fill(EDITOR)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(app.url + "/editor")


def flash(page: Page) -> str:
    return page.locator("p.flash").inner_text()


def test_an_editor_previews_edits_tests_and_approves_an_issue(
    browser: BrowserThread,
    app: LiveApp,
    draft: pipeline.IssueRef,
    rt: pipeline.Runtime,
    smtp_server: FixtureSMTPServer,
) -> None:
    new_subject = "Harbours, olives and solar pumps"

    def review(b: Browser) -> dict[str, Any]:
        seen: dict[str, Any] = {"dialogs": []}
        with local_page(b) as page:
            page.on("dialog", lambda d: seen["dialogs"].append(d.message))
            sign_in(page, app)
            seen["signed_in"] = flash(page)
            page.get_by_role("link", name=draft.subject).click()
            page.wait_for_url(f"{app.url}/editor/issues/{draft.id}")
            page.wait_for_load_state("load")
            seen["frames"] = page.evaluate(FRAMES_JS)
            # Inside each frame (Playwright reaches it; the email's own scripts could not run).
            seen["frame_viewports"] = [
                frame.evaluate("() => [window.innerWidth, document.documentElement.scrollWidth]")
                for frame in page.frames[1:]
            ]
            story = "Rice farmers near Ségou swap diesel for solar pumps"
            seen["frame_titles"] = [
                page.frame_locator("iframe")
                .nth(i)
                .get_by_role("link", name=story, exact=True)
                .is_visible()
                for i in range(2)
            ]
            previews = page.locator("section.previews")
            previews.scroll_into_view_if_needed()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            previews.screenshot(path=str(ARTIFACTS / "editor_issue_previews.png"))
            save_screenshot(page, "editor_issue_page", DESKTOP_PAGE)

            page.get_by_label("Subject").fill(new_subject)
            # Each click waits for the page it leads to (waiting for the load state alone
            # returned at once, the current page being loaded: a CI run read the old flash).
            with page.expect_navigation():
                page.get_by_role("button", name="Save subject").click()
            seen["subject_flash"] = flash(page)
            seen["subject_shown"] = page.get_by_label("Subject").input_value()

            page.get_by_label("Test address").fill("desk@example.net")
            with page.expect_navigation():
                page.get_by_role("button", name="Send a test").click()
            seen["test_flash"] = flash(page)

            with page.expect_navigation():
                page.get_by_role("button", name="Approve").click()
            seen["approve_flash"] = flash(page)
            seen["approval"] = page.locator(".issue-head .approval").inner_text()
            save_screenshot(page, "editor_issue_approved", DESKTOP_PAGE)
        return seen

    seen = browser.run(review)

    assert seen["signed_in"] == f"Signed in as {EDITOR}."
    frames = seen["frames"]
    assert [f["width"] for f in frames] == [600, 375]
    for frame in frames:
        assert frame["sandbox"] == "" and frame["tokens"] == []  # no allow-scripts, no allow-*
        assert frame["src"] == f"/editor/issues/{draft.id}/email.html"
    assert seen["frame_viewports"] == [[600, 600], [375, 375]]  # nothing overflows sideways
    assert seen["frame_titles"] == [True, True]
    assert seen["subject_flash"] == "Subject saved." and seen["subject_shown"] == new_subject
    assert seen["test_flash"].startswith("Test sent to desk@example.net")
    assert seen["approve_flash"].startswith(f"Approved by {EDITOR}")
    assert seen["approval"] == f"approved by {EDITOR}"
    assert seen["dialogs"] == []

    [test_message] = smtp_server.handler.parsed()
    assert test_message["Subject"] == f"[TEST] {new_subject}"
    issue = issue_of(rt, draft.id)
    assert (issue.ref.subject, issue.approval, issue.ref.status) == (
        new_subject,
        "approved",
        "draft",
    )
    assert count(rt, Delivery) == 0


def test_the_archive_in_the_browser(
    browser: BrowserThread, app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    assert pipeline.send(rt, "weekly", NOW).sent == 1

    def read(b: Browser) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        with local_page(b, 375) as page:
            page.goto(app.url + "/archive/weekly")
            seen["heading"] = page.locator("h1").inner_text()
            save_screenshot(page, "archive_list", 375)
            page.get_by_role("link", name=f"#{draft.number} · {draft.subject}").click()
            page.wait_for_url(f"{app.url}/archive/weekly/{draft.number}")
            seen["title_visible"] = page.get_by_role(
                "link", name="Rice farmers near Ségou swap diesel for solar pumps", exact=True
            ).is_visible()
            seen["widths"] = page.evaluate(
                "() => [window.innerWidth, document.documentElement.scrollWidth]"
            )
            seen["text"] = page.locator("body").inner_text()
            save_screenshot(page, "archive_web_version", 375)
        return seen

    seen = browser.run(read)
    assert seen["heading"] == "The Weekly: past issues"
    assert seen["title_visible"]
    assert seen["widths"] == [375, 375]
    assert "reader@example.org" not in seen["text"]
