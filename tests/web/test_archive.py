"""The public archive: sent issues only, the web version with no one's data; help and health."""

from __future__ import annotations

import re

from digest import pipeline
from subscribers import membership
from tests.web.conftest import NOW, LiveApp


def test_the_archive_lists_sent_issues_and_their_web_version_holds_no_personal_data(
    app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    with rt.sessions.begin() as session:
        weekly = membership.get_list(session, "weekly")
        membership.add_subscriber(session, weekly, "amina.k@example.net", name="Amina", now=NOW)
    with app.client() as http:
        assert "No issue has been sent yet." in http.get("/archive/weekly").text
        assert http.get(f"/archive/weekly/{draft.number}").status_code == 404  # still a draft

        report = pipeline.send(rt, "weekly", NOW)
        assert report.sent == 2

        listing = http.get("/archive/weekly")
        assert listing.status_code == 200
        assert f'href="/archive/weekly/{draft.number}"' in listing.text
        assert draft.subject in listing.text
        assert "set-cookie" not in listing.headers  # the public pages keep no session

        web = http.get(f"/archive/weekly/{draft.number}")
        assert web.status_code == 200 and web.text.startswith("<!doctype html>")
        assert "script-src" not in web.headers["content-security-policy"]
        assert "sandbox" in web.headers["content-security-policy"]
        page = web.text
        assert "Rice farmers near Ségou swap diesel for solar pumps" in page
        for private in ("reader@example.org", "amina.k@example.net", "Amina", "%%DIGEST"):
            assert private not in page, private
        assert not re.search(r"/[up]/[\w.-]+", page), re.findall(r"/[up]/[\w.-]+", page)
        assert 'href="https://news.example.org/u"' in page
        assert 'href="https://news.example.org/p"' in page


def test_unknown_lists_and_issues_get_the_not_found_page(
    app: LiveApp, draft: pipeline.IssueRef
) -> None:
    with app.client() as http:
        for path in ("/archive/nope", "/archive/nope/1", "/archive/weekly/99", "/nowhere"):
            response = http.get(path)
            assert response.status_code == 404, path
            assert "<h1>Not found</h1>" in response.text


def test_links_without_a_token_explain_where_the_working_link_is(app: LiveApp) -> None:
    with app.client() as http:
        for path in ("/u", "/p"):
            page = http.get(path)
            assert page.status_code == 200
            assert "use the link at the bottom of any digest email" in page.text
            assert "set-cookie" not in page.headers


def test_healthz_says_ok_while_the_database_answers(app: LiveApp) -> None:
    with app.client() as http:
        response = http.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok")
