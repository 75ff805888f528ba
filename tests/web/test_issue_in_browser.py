"""The issue page's new flows in headless Chromium: edit the content and see the email follow;
send with a confirmation, watch the progress, read the figures; the home page.

Screenshots go to tests/artifacts/. The browser may reach 127.0.0.1 only."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from digest import pipeline
from tests.browser import BrowserThread, save_screenshot
from tests.servers import FixtureSMTPServer
from tests.web.conftest import NOW, LiveApp, issue_of
from tests.web.test_editor_in_browser import DESKTOP_PAGE, flash, local_page, sign_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

IN_VIEW_JS = """(id) => {
    const box = document.getElementById(id).getBoundingClientRect();
    return box.top > -2 && box.top < window.innerHeight;  // scrolled to: a subpixel above
}"""


def in_view(page: Page, element_id: str) -> bool:
    """Whether the element's top is on screen: the page came back where the editor was."""
    return bool(page.evaluate(IN_VIEW_JS, element_id))


def test_an_editor_rewrites_reorders_and_leads_and_the_email_follows(
    browser: BrowserThread, app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    issue = issue_of(rt, draft.id)
    first, second = issue.sections
    story = [e for e in issue.entries if e.section == second][-1]
    new_title = "Harbour pilots in Dakar train on a simulator"

    def edit(b: Browser) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        with local_page(b) as page:
            sign_in(page, app)
            page.goto(f"{app.url}/editor/issues/{draft.id}")
            card = page.locator(f"#article-{story.article_id}")
            card.get_by_text("Edit title and summary").click()
            card.get_by_label(f"Title of: {story.title}").fill(new_title)
            with page.expect_navigation():
                card.get_by_role("button", name=f"Save story: {story.title}").click()
            seen["edit_flash"] = flash(page)
            seen["edit_fragment"] = urlsplit(page.url).fragment
            seen["edit_in_view"] = in_view(page, f"article-{story.article_id}")

            with page.expect_navigation():
                page.get_by_role("button", name=f"Lead with: {new_title}").click()
            seen["lead_flash"] = flash(page)
            with page.expect_navigation():
                page.get_by_role("button", name=f"Move section up: {second}").click()
            seen["section_flash"] = flash(page)
            seen["section_in_view"] = in_view(page, "sections")
            seen["headings"] = page.locator("#sections h3 .section-name").all_inner_texts()
            frame = page.frame_locator("iframe").first
            seen["email_text"] = frame.locator("body").inner_text()
            save_screenshot(page, "editor_issue_edited", DESKTOP_PAGE)
        return seen

    seen = browser.run(edit)
    assert seen["edit_flash"].startswith("Story saved for this issue")
    assert seen["edit_fragment"] == f"article-{story.article_id}" and seen["edit_in_view"]
    assert seen["lead_flash"] == "Lead story chosen."
    assert seen["section_flash"] == f"Section {second} moved up." and seen["section_in_view"]
    assert seen["headings"] == [second, first]
    text = seen["email_text"]
    assert new_title in text and story.title not in text
    assert text.index(second) < text.index(first)  # the email shows the editor's order
    assert issue_of(rt, draft.id).lead_article_id == story.article_id


def test_an_editor_sends_after_confirming_and_watches_it_go(
    browser: BrowserThread,
    app: LiveApp,
    draft: pipeline.IssueRef,
    rt: pipeline.Runtime,
    smtp_server: FixtureSMTPServer,
) -> None:
    def worker() -> None:  # what `digest serve`'s delivery worker does on its next pass
        pipeline.deliver_pending(rt, NOW)

    def send(b: Browser) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        with local_page(b) as page:
            sign_in(page, app)
            page.goto(f"{app.url}/editor/issues/{draft.id}")
            with page.expect_navigation():
                page.get_by_role("button", name="Send…").click()
            seen["readers"] = page.locator("p.readers").inner_text()
            save_screenshot(page, "editor_send_confirm", DESKTOP_PAGE)
            with page.expect_navigation():
                page.get_by_role("button", name="Send now to 1 reader").click()
            seen["flash"] = flash(page)
            seen["fragment"] = urlsplit(page.url).fragment
            seen["in_view"] = in_view(page, "sending")
            progress = page.frame_locator("iframe.progress")
            seen["before"] = progress.locator("p.progress").inner_text()
            delivering = threading.Thread(target=worker)
            delivering.start()
            delivering.join(60)
            # The frame reloads itself every few seconds while the issue sends.
            progress.locator("p.progress .status.sent").wait_for(timeout=15_000)
            seen["after"] = progress.locator("p.progress").inner_text()
            seen["sent"] = progress.locator("td.sent").inner_text()
            seen["failed"] = progress.locator("td.failed").inner_text()
            save_screenshot(page, "editor_issue_sent", DESKTOP_PAGE)
        return seen

    seen = browser.run(send)
    assert "It goes to 1 reader now" in seen["readers"]
    assert seen["flash"].startswith("Sending:")
    assert seen["fragment"] == "sending" and seen["in_view"]
    assert seen["before"].startswith("sending: 0 of 1 done")
    assert seen["after"].startswith("sent: 1 of 1 done")
    assert (seen["sent"], seen["failed"]) == ("1", "0")
    [message] = smtp_server.handler.parsed()
    assert message["Subject"] == draft.subject


def test_the_home_page_leads_to_the_sign_up_and_the_archive(
    browser: BrowserThread, app: LiveApp
) -> None:
    def visit(b: Browser) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        with local_page(b, 375) as page:
            page.goto(app.url + "/")
            seen["heading"] = page.locator("h1").inner_text()
            save_screenshot(page, "home", 375)
            page.get_by_role("link", name="Subscribe to The Weekly").click()
            page.wait_for_url(f"{app.url}/subscribe?list=weekly")
            seen["ticked"] = page.get_by_label("The Weekly").is_checked()
            page.go_back()
            page.get_by_role("link", name="Past issues").click()
            page.wait_for_url(f"{app.url}/archive/weekly")
            seen["archive"] = page.locator("h1").inner_text()
        return seen

    seen = browser.run(visit)
    assert seen["heading"] == "Regional Digest"
    assert seen["ticked"]
    assert seen["archive"] == "The Weekly: past issues"
