"""subscribers.reader_urls: every reader-facing URL, and the routes that answer them."""

from __future__ import annotations

from starlette.routing import Match, Route

from subscribers import reader_urls

BASE = "https://news.example.org"


def test_each_reader_page_has_its_link_from_a_token() -> None:
    assert reader_urls.reader_url(BASE, "unsubscribe", "T0k") == f"{BASE}/u/T0k"
    assert reader_urls.reader_url(BASE, "preferences", "T0k") == f"{BASE}/p/T0k"
    assert reader_urls.reader_url(BASE, "confirm", "T0k") == f"{BASE}/confirm/T0k"
    assert reader_urls.reader_path("preferences", "T0k") == "/p/T0k"


def test_a_link_without_a_token_leads_to_the_page_that_explains() -> None:
    assert reader_urls.tokenless_url(BASE, "unsubscribe") == f"{BASE}/u"
    assert reader_urls.tokenless_url(BASE, "preferences") == f"{BASE}/p"


def test_the_token_is_read_back_from_its_link() -> None:
    link = reader_urls.reader_url(BASE, "unsubscribe", "abc.DEF-123_x")
    assert reader_urls.token_of(link) == "abc.DEF-123_x"


def test_the_archive_links_of_a_list_and_an_issue() -> None:
    assert reader_urls.archive_list_path("weekly") == "/archive/weekly"
    assert reader_urls.archive_url(BASE, "weekly", 12) == f"{BASE}/archive/weekly/12"


def test_the_routes_answer_the_links_they_are_made_from() -> None:
    for page in ("unsubscribe", "preferences", "confirm"):
        route = Route(reader_urls.route(page), lambda request: None)
        match, scope = route.matches(
            {"type": "http", "path": reader_urls.reader_path(page, "T0k"), "method": "GET"}
        )
        assert match is Match.FULL
        assert scope["path_params"] == {"token": "T0k"}
    leave = Route(reader_urls.route("preferences", "leave"), lambda request: None, methods=["POST"])
    match, scope = leave.matches({"type": "http", "path": "/p/T0k/leave", "method": "POST"})
    assert match is Match.FULL
    assert scope["path_params"] == {"token": "T0k"}
