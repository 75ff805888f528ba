"""The reader's whole journey in headless Chromium: subscribe, the confirmation mail at the local
SMTP server, its link, confirm; a digest; the one-click POST of its List-Unsubscribe header (plain
httpx, no cookies); the next digest does not reach them. Then preferences, export and erase from
a digest's footer links. The browser may reach 127.0.0.1 only."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from sqlalchemy import select

from digest import pipeline
from subscribers.models import MailingList, Subscriber, Subscription
from tests.browser import BrowserThread, save_screenshot
from tests.servers import FixtureSMTPServer
from tests.web.conftest import NOW, LiveApp
from tests.web.readers.rig import confirm_link, html_of, mails_to, wait_for_mails
from tests.web.test_editor_in_browser import local_page

if TYPE_CHECKING:  # the browser fixture skips (or fails under CI) without Playwright
    from playwright.sync_api import Browser

READER = "awa.ndiaye@example.net"
WIDTH = 420  # a phone: the reader's pages are read there most


def status(rt: pipeline.Runtime, email: str, slug: str = "weekly") -> str | None:
    with rt.sessions() as session:
        return session.scalar(
            select(Subscription.status)
            .join(Subscriber)
            .join(MailingList)
            .where(Subscriber.email == email, MailingList.slug == slug)
        )


def footer_links(html: str, app: LiveApp) -> dict[str, str]:
    found = re.findall(r'href="(' + re.escape(app.url) + r'/([up])/[^"]+)"', html)
    return {kind: url for url, kind in found}


def test_a_reader_subscribes_confirms_gets_a_digest_and_leaves_in_one_click(
    browser: BrowserThread,
    app: LiveApp,
    rt: pipeline.Runtime,
    smtp_server: FixtureSMTPServer,
) -> None:
    def sign_up(b: Browser) -> dict[str, Any]:
        with local_page(b, WIDTH) as page:
            page.goto(app.url + "/subscribe")
            page.get_by_label("Email address").fill(READER)
            page.get_by_label("Your name (optional)").fill("Awa Ndiaye")
            page.get_by_label("The Weekly").check()
            page.get_by_label("West Africa").check()
            box = page.locator("input[name=website]").bounding_box()
            honeypot_visible = box is not None and box["x"] + box["width"] > 0
            save_screenshot(page, "reader_subscribe_form", WIDTH)
            with page.expect_navigation():
                page.get_by_role("button", name="Subscribe").click()
            return {"heading": page.locator("h1").inner_text(), "honeypot": honeypot_visible}

    seen = browser.run(sign_up)

    assert seen == {"heading": "Check your inbox", "honeypot": False}
    [mail] = wait_for_mails(smtp_server, READER)
    link = confirm_link(mail)
    assert link.startswith(app.url + "/confirm/")
    assert status(rt, READER) == "pending"

    def open_link(b: Browser) -> dict[str, Any]:
        with local_page(b, WIDTH) as page:
            page.goto(link)
            shown = page.locator("h1").inner_text()
            seen: dict[str, Any] = {"page": shown, "after_get": status(rt, READER)}
            with page.expect_navigation():
                page.get_by_role("button", name="Yes, subscribe me").click()
            seen["done"] = page.locator("h1").inner_text()
            save_screenshot(page, "reader_confirmed", WIDTH)
            return seen

    seen = browser.run(open_link)

    assert seen == {
        "page": "Confirm your subscription",
        "after_get": "pending",
        "done": "You are subscribed",
    }
    assert status(rt, READER) == "confirmed"
    [_confirmation, welcome] = wait_for_mails(smtp_server, READER, 2)
    assert welcome["Subject"] == "Welcome to The Weekly"

    first = pipeline.send(rt, "weekly", NOW)
    assert first.sent == 2  # the demo reader and Awa
    mails = wait_for_mails(smtp_server, READER, 3)
    [digest] = [m for m in mails if m["Subject"] == first.issue.subject]
    one_click = digest["List-Unsubscribe"].split(",")[0].strip().strip("<>")
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    answer = httpx.post(
        one_click,
        content=b"List-Unsubscribe=One-Click",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )

    assert (answer.status_code, answer.headers.get("location")) == (200, None)
    assert status(rt, READER) == "unsubscribed"
    received = len(mails_to(smtp_server, READER))
    second = pipeline.send(rt, "weekly", NOW + timedelta(days=7))
    assert second.issue is not None and second.issue.number == 2
    assert second.sent == 1
    assert len(mails_to(smtp_server, READER)) == received
    assert len(mails_to(smtp_server, "reader@example.org")) == 2


def test_a_reader_changes_preferences_downloads_their_data_and_erases_it(
    browser: BrowserThread,
    app: LiveApp,
    rt: pipeline.Runtime,
    smtp_server: FixtureSMTPServer,
    tmp_path: Path,
) -> None:
    assert pipeline.send(rt, "weekly", NOW).sent == 1
    [digest] = mails_to(smtp_server, "reader@example.org")
    links = footer_links(html_of(digest), app)
    download = tmp_path / "my-data.json"

    def manage(b: Browser) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        with local_page(b, WIDTH) as page:
            page.goto(links["u"])
            seen["unsubscribe_page"] = page.locator("h1").inner_text()
            with page.expect_navigation():
                page.get_by_role("link", name="Or change what you receive instead").click()
            page.get_by_label("Culture Notes").check()
            page.get_by_label("Northern Africa").check()
            page.get_by_label("Time zone").select_option("Africa/Casablanca")
            with page.expect_navigation():
                page.get_by_role("button", name="Save my preferences").click()
            seen["saved"] = page.get_by_role("status").inner_text()
            save_screenshot(page, "reader_preferences", WIDTH)
            with page.expect_download() as waiting:
                page.get_by_role("button", name="Download my data (JSON)").click()
            waiting.value.save_as(download)
            page.get_by_label("I am sure: forget me").check()
            with page.expect_navigation():
                page.get_by_role("button", name="Erase everything about me").click()
            seen["erased"] = page.locator("h1").inner_text()
        return seen

    seen = browser.run(manage)

    assert seen == {
        "unsubscribe_page": "Unsubscribe",
        "saved": "Your preferences are saved.",
        "erased": "Erased",
    }
    data = json.loads(download.read_text(encoding="utf-8"))
    assert data["subscriber"]["topics"] == ["Northern Africa"]
    assert data["subscriber"]["timezone"] == "Africa/Casablanca"
    assert sorted((s["list"], s["status"]) for s in data["subscriptions"]) == [
        ("culture", "confirmed"),
        ("weekly", "confirmed"),
    ]
    assert [d["issue"] for d in data["deliveries"]] == [1]
    with rt.sessions() as session:
        assert session.scalar(select(Subscriber.id)) is None
