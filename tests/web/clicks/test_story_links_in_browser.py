"""A reader in Chromium clicks a story in the mail they received: they land on the article,
and the story has one click."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

from tests.browser import BrowserThread
from tests.servers import FixtureHTTPServer, FixtureSMTPServer, Route
from tests.web.clicks.rig import READERS, MakeSettings, sent_issue
from tests.web.test_editor_in_browser import local_page

if TYPE_CHECKING:  # the browser fixture skips (or fails under CI) without Playwright
    from playwright.sync_api import Browser

TITLE = "Nouakchott fishers map the coast with their phones"
FEED = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Coast Local</title><link>{{site}}/</link>
<description>Local stories</description>
<item><title>{TITLE}</title><link>{{site}}/local/fishers.html</link>
<guid>{{site}}/local/fishers.html</guid><pubDate>Fri, 20 Nov 2026 09:00:00 GMT</pubDate>
<description>Fishers in Nouakchott chart the shoreline.</description></item>
</channel></rss>"""
PAGE = f"""<!doctype html><html lang="en"><head><title>{TITLE}</title></head><body><article>
<h1>{TITLE}</h1>
{
    "<p>Fishers along the Mauritanian coast now record depths, currents and catches with a "
    "free phone app, and share the map with the port authority every evening.</p>" * 12
}
</article></body></html>"""


def test_a_story_clicked_in_the_mail_opens_the_article_and_counts_one_click(
    browser: BrowserThread,
    click_settings: MakeSettings,
    app_socket: socket.socket,
    smtp_server: FixtureSMTPServer,
    http_server: FixtureHTTPServer,
) -> None:
    site = http_server.url("").rstrip("/")
    http_server.routes["/local/feed.xml"] = Route(FEED.format(site=site).encode())
    http_server.routes["/local/fishers.html"] = Route(
        PAGE.encode(), content_type="text/html; charset=utf-8"
    )
    local = {
        "name": "Coast Local",
        "url": http_server.url("/local/feed.xml"),
        "region": "West Africa",
    }
    with sent_issue(click_settings(more_sources=[local]), app_socket, smtp_server) as rig:
        mail = rig.mails[READERS[0]]
        article = f"{site}/local/fishers.html"

        def read(b: Browser) -> dict[str, Any]:
            with local_page(b, 600) as page:
                page.set_content(mail)
                link = page.get_by_role("link", name=TITLE)
                href = link.get_attribute("href")
                link.click()
                page.wait_for_url(article)
                return {"href": href, "url": page.url, "heading": page.locator("h1").inner_text()}

        seen = browser.run(read)
        assert seen["href"].startswith(rig.app.url + "/c/m/")
        assert seen["url"] == article and seen["heading"] == TITLE
        counts = {s.title: s.clicks for s in rig.stories()}
        assert counts[TITLE] == 1
        assert sum(counts.values()) == 1
