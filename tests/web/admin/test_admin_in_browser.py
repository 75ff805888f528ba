"""The admins' flows in headless Chromium: readers (search, filter, resend, suppress, export)
and sources (add, collect now, edit, disable). Screenshots go to tests/artifacts/."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from digest import pipeline
from digest.models import Source
from subscribers import membership, suppression
from tests.browser import BrowserThread, save_screenshot
from tests.servers import FixtureHTTPServer, FixtureSMTPServer, Route
from tests.test_pipeline import full_item, rss
from tests.web.conftest import NOW, LiveApp
from tests.web.test_editor_in_browser import flash, local_page, sign_in

if TYPE_CHECKING:  # the browser fixture skips (or fails under CI) without Playwright
    from playwright.sync_api import Browser


def test_an_admin_finds_a_reader_resends_suppresses_and_exports(
    browser: BrowserThread,
    app: LiveApp,
    rt: pipeline.Runtime,
    smtp_server: FixtureSMTPServer,
) -> None:
    with rt.sessions.begin() as session:
        weekly = membership.get_list(session, "weekly")
        for i in range(3):
            membership.add_subscriber(
                session, weekly, f"filler{i}@example.net", name=f"Filler {i}", now=NOW
            )
        membership.add_subscriber(
            session, weekly, "pat@example.net", name="Pat Okafor", now=NOW, confirmed=False
        )

    def work(b: Browser) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        with local_page(b) as page:
            sign_in(page, app)
            page.get_by_role("link", name="Readers").click()
            page.get_by_role("link", name="The Weekly").click()
            page.get_by_label("Address or name").fill("okafor")
            page.get_by_role("button", name="Search").click()
            seen["search"] = page.locator("table.readers tbody tr").all_inner_texts()
            page.get_by_label("Address or name").fill("")
            page.get_by_label("State").select_option("pending")
            page.get_by_role("button", name="Search").click()
            seen["pending"] = page.locator("table.readers tbody tr").all_inner_texts()
            save_screenshot(page, "admin_readers_pending", 1400)
            page.get_by_role("link", name="pat@example.net").click()
            page.get_by_role("button", name="Send the confirmation again").click()
            seen["resent"] = flash(page)
            page.get_by_role("button", name="Suppress this address").click()
            seen["suppressed"] = flash(page)
            seen["lift_offered"] = page.get_by_role("button", name="Lift the suppression").count()
            save_screenshot(page, "admin_reader_history", 1400)
            page.get_by_role("link", name="← Readers of The Weekly").click()
            with page.expect_download() as download:
                page.get_by_role("link", name="Export CSV").click()
            seen["csv"] = download.value.path().read_text(encoding="utf-8")
        return seen

    seen = browser.run(work)
    assert len(seen["search"]) == 1 and "pat@example.net" in seen["search"][0]
    assert len(seen["pending"]) == 1 and "Pat Okafor" in seen["pending"][0]
    assert seen["resent"] == "Confirmation mail sent again."
    assert [r for _f, r, _d in smtp_server.handler.messages] == [["pat@example.net"]]
    assert seen["suppressed"].startswith("Suppressed")
    assert seen["lift_offered"] == 1
    with rt.sessions() as session:
        assert suppression.is_suppressed(session, "pat@example.net")
    assert seen["csv"].startswith("email,")
    assert "pat@example.net" in seen["csv"] and "filler2@example.net" in seen["csv"]


def test_an_admin_adds_collects_edits_and_disables_a_source(
    browser: BrowserThread,
    app: LiveApp,
    rt: pipeline.Runtime,
    http_server: FixtureHTTPServer,
) -> None:
    http_server.routes["/desk.xml"] = Route(rss([full_item(1), full_item(2), full_item(3)]))
    feed = http_server.url("/desk.xml")

    def work(b: Browser) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        with local_page(b) as page:
            sign_in(page, app)
            page.get_by_role("link", name="Sources").click()
            page.get_by_label("Name").fill("Harbour Desk")
            page.get_by_label("Feed or page address").fill("http://10.0.0.7/feed.xml")
            page.get_by_role("button", name="Add the source").click()
            seen["refused"] = page.locator("p.error").inner_text()
            page.get_by_label("Feed or page address").fill(feed)
            page.get_by_label("Tags (separated by commas)").fill("Ports")
            page.get_by_role("button", name="Add the source").click()
            seen["added"] = flash(page)
            row = page.locator("tr", has_text="Harbour Desk")
            row.get_by_role("button", name="Collect now").click()
            seen["collecting"] = flash(page)
            deadline = time.monotonic() + 30
            while "collect now:" not in page.locator("tr", has_text="Harbour Desk").inner_text():
                assert time.monotonic() < deadline, "the collection did not end"
                page.wait_for_timeout(200)
                page.reload()
            seen["health"] = page.locator("tr", has_text="Harbour Desk").inner_text()
            save_screenshot(page, "admin_sources_collected", 1400)
            page.get_by_role("link", name="Harbour Desk").click()
            page.get_by_label("Region").fill("Gulf of Guinea")
            page.get_by_role("button", name="Save").click()
            seen["saved"] = flash(page)
            page.locator("tr", has_text="Harbour Desk").get_by_role(
                "button", name="Disable"
            ).click()
            seen["disabled"] = flash(page)
            seen["state"] = page.locator("tr", has_text="Harbour Desk").inner_text()
            save_screenshot(page, "admin_sources_disabled", 1400)
        return seen

    seen = browser.run(work)
    assert "10.0.0.7, a private or reserved address" in seen["refused"]
    assert seen["added"].startswith("Source Harbour Desk added")
    assert seen["collecting"].startswith("Collecting Harbour Desk")
    assert "collect now: 3 new article(s)" in seen["health"] and "ok" in seen["health"]
    assert seen["saved"].startswith("Source saved")
    assert "disabled" in seen["disabled"] and "disabled" in seen["state"]
    with rt.sessions() as session:
        row = session.scalar(select(Source).where(Source.name == "Harbour Desk"))
        assert row is not None
        assert (row.region, row.enabled, row.items_seen) == ("Gulf of Guinea", False, 3)
