"""In headless Chromium: the sign-up form embedded in a page another server serves (another
port: another origin) leads to a confirmation mail, and from a site not listed is refused; a
reader unsubscribes from a digest's link, undoes it and gets their topics back, and says why
they left another time. The browser may reach 127.0.0.1 only."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from sqlalchemy import select

from digest import pipeline
from subscribers.embed import embed_snippet
from subscribers.models import LeavingAnswer, Subscriber
from tests.browser import BrowserThread, save_screenshot
from tests.servers import FixtureHTTPServer, FixtureSMTPServer, Route
from tests.web.conftest import NOW, LiveApp
from tests.web.readers import rig
from tests.web.readers.test_reader_pages import subscription
from tests.web.readers.test_readers_in_browser import footer_links
from tests.web.test_editor_in_browser import local_page

if TYPE_CHECKING:  # the browser fixture skips (or fails under CI) without Playwright
    from playwright.sync_api import Browser

READER = "embedded.reader@example.net"
WIDTH = 420


@pytest.fixture
def partner() -> Iterator[FixtureHTTPServer]:
    """Another site, on another port of 127.0.0.1: listed in readers.embed_origins."""
    server = FixtureHTTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def stranger() -> Iterator[FixtureHTTPServer]:
    """A site nobody listed."""
    server = FixtureHTTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def reader_overrides(partner: FixtureHTTPServer) -> dict[str, object]:
    return {"embed_origins": [partner.base]}


def host_the_form(server: FixtureHTTPServer, app: LiveApp, rt: pipeline.Runtime) -> str:
    """The snippet the editor's Audience page shows, pasted into one of the server's pages."""
    settings = rt.settings
    snippet = embed_snippet(app.url, "weekly", "The Weekly", settings.readers.consent_wording)
    page = f"<!doctype html><html><body><h1>Partner news</h1>{snippet}</body></html>"
    server.routes["/join"] = Route(page.encode(), content_type="text/html; charset=utf-8")
    return server.url("/join")


def submit_embedded(b: Browser, url: str, email: str, shot: str) -> dict[str, Any]:
    with local_page(b, WIDTH) as page:
        page.goto(url)
        page.get_by_label("Email address").fill(email)
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Subscribe to The Weekly").click()
        response = navigation.value
        save_screenshot(page, shot, WIDTH)
        return {
            "status": response.status if response else None,
            "at": page.url,
            "heading": page.locator("h1").inner_text(),
            "text": page.locator("main").inner_text(),
        }


def test_the_embedded_form_on_a_listed_site_leads_to_a_confirmation_mail(
    browser: BrowserThread,
    app: LiveApp,
    rt: pipeline.Runtime,
    smtp_server: FixtureSMTPServer,
    partner: FixtureHTTPServer,
) -> None:
    url = host_the_form(partner, app, rt)

    seen = browser.run(lambda b: submit_embedded(b, url, READER, "embed_allowed"))

    assert (seen["status"], seen["heading"]) == (200, "Check your inbox")
    assert seen["at"] == app.url + "/subscribe"
    [mail] = rig.wait_for_mails(smtp_server, READER)
    assert rig.confirm_link(mail).startswith(app.url + "/confirm/")
    assert subscription(rt, READER).status == "pending"  # type: ignore[union-attr]


def test_the_embedded_form_on_a_site_not_listed_is_refused(
    browser: BrowserThread,
    app: LiveApp,
    rt: pipeline.Runtime,
    smtp_server: FixtureSMTPServer,
    stranger: FixtureHTTPServer,
) -> None:
    url = host_the_form(stranger, app, rt)

    seen = browser.run(lambda b: submit_embedded(b, url, READER, "embed_refused"))

    assert (seen["status"], seen["heading"]) == (403, "Refused")
    assert stranger.base in seen["text"] and "readers.embed_origins" in seen["text"]
    assert rig.settle(smtp_server) == 0
    assert subscription(rt, READER) is None


def test_a_reader_unsubscribes_undoes_it_and_keeps_their_topics(
    browser: BrowserThread,
    app: LiveApp,
    rt: pipeline.Runtime,
    smtp_server: FixtureSMTPServer,
) -> None:
    with rt.sessions.begin() as session:
        reader = session.scalar(select(Subscriber).where(Subscriber.email == "reader@example.org"))
        assert reader is not None
        reader.topics = ["West Africa"]
    assert pipeline.send(rt, "weekly", NOW).sent == 1
    [digest] = rig.mails_to(smtp_server, "reader@example.org")
    links = footer_links(rig.html_of(digest), app)

    def leave_and_undo(b: Browser) -> dict[str, Any]:
        seen: dict[str, Any] = {}
        with local_page(b, WIDTH) as page:
            page.goto(links["u"])
            with page.expect_navigation():
                page.get_by_role("button", name="Unsubscribe").click()
            seen["left"] = page.locator("h1").inner_text()
            seen["status_after_leaving"] = subscription(rt, "reader@example.org").status  # type: ignore[union-attr]
            save_screenshot(page, "reader_unsubscribed_undo", WIDTH)
            with page.expect_navigation():
                page.get_by_role("button", name="Undo: keep me subscribed").click()
            seen["undone"] = page.locator("h1").inner_text()
        return seen

    seen = browser.run(leave_and_undo)

    assert seen == {
        "left": "You are unsubscribed",
        "status_after_leaving": "unsubscribed",
        "undone": "You are subscribed again",
    }
    assert subscription(rt, "reader@example.org").status == "confirmed"  # type: ignore[union-attr]
    with rt.sessions() as session:
        topics = session.scalar(
            select(Subscriber.topics).where(Subscriber.email == "reader@example.org")
        )
    assert topics == ["West Africa"]


def test_a_reader_says_why_they_left(
    browser: BrowserThread,
    app: LiveApp,
    rt: pipeline.Runtime,
    smtp_server: FixtureSMTPServer,
) -> None:
    assert pipeline.send(rt, "weekly", NOW).sent == 1
    [digest] = rig.mails_to(smtp_server, "reader@example.org")
    links = footer_links(rig.html_of(digest), app)

    def leave_and_answer(b: Browser) -> str:
        with local_page(b, WIDTH) as page:
            page.goto(links["u"])
            with page.expect_navigation():
                page.get_by_role("button", name="Unsubscribe").click()
            page.get_by_label("Too many emails").check()
            page.get_by_label("Anything to add?").fill("Monthly would suit me better.")
            with page.expect_navigation():
                page.get_by_role("button", name="Send my answer").click()
            return page.locator("h1").inner_text()

    assert browser.run(leave_and_answer) == "Thank you"
    with rt.sessions() as session:
        answer = session.scalar(select(LeavingAnswer))
        assert answer is not None
        assert (answer.reason, answer.detail) == ("too_many", "Monthly would suit me better.")
    assert subscription(rt, "reader@example.org").status == "unsubscribed"  # type: ignore[union-attr]
