"""The archive's Atom feed: valid RFC 4287 that feedparser reads, the sent issues only, stable
ids, everything escaped."""

from __future__ import annotations

import feedparser
from lxml import etree

from digest import pipeline
from digest.pipeline import editor_actions
from tests.web.conftest import NOW, LiveApp

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "https://news.example.org"


def test_the_feed_holds_the_sent_issues_with_stable_ids_and_is_linked_from_the_archive(
    app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    with app.client() as http:
        empty = http.get("/archive/weekly/feed.xml")
        assert empty.status_code == 200
        assert empty.headers["content-type"].startswith("application/atom+xml")
        parsed = feedparser.parse(empty.content)
        assert not parsed.bozo and parsed.entries == []  # the draft is not in it

        assert pipeline.send(rt, "weekly", NOW).sent == 1
        first = http.get("/archive/weekly/feed.xml")
        again = http.get("/archive/weekly/feed.xml")
        listing = http.get("/archive/weekly").text

    assert first.content == again.content  # nothing in it moves between fetches
    parsed = feedparser.parse(first.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.id == f"{BASE}/archive/weekly"
    assert parsed.feed.title == "Regional Digest: The Weekly"
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {
        "self": f"{BASE}/archive/weekly/feed.xml",
        "alternate": f"{BASE}/archive/weekly",
    }
    [entry] = parsed.entries
    web_version = f"{BASE}/archive/weekly/{draft.number}"
    assert (entry.id, entry.link, entry.title) == (web_version, web_version, draft.subject)
    assert entry.summary.startswith("In this issue: ")
    assert "Rice farmers near Ségou swap diesel for solar pumps" in entry.summary
    assert f'<a href="{web_version}">' in entry.content[0].value
    assert parsed.feed.updated_parsed == entry.updated_parsed
    assert (
        '<link rel="alternate" type="application/atom+xml" title="The Weekly" '
        'href="/archive/weekly/feed.xml">'
    ) in listing
    assert 'href="/archive/weekly/feed.xml" type="application/atom+xml"' in listing
    _required_elements(first.content)


def test_the_feed_escapes_what_an_editor_typed(
    app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    hostile = 'Tom & Jerry <script>alert("x")</script> ]]> \x0b'
    editor_actions.edit_issue(
        rt, draft.id, editor="amina", now=NOW, subject=hostile, intro="<b>Bold</b> & more\n\nrest"
    )
    assert pipeline.send(rt, "weekly", NOW).sent == 1

    with app.client() as http:
        body = http.get("/archive/weekly/feed.xml").content

    assert b"<script>" not in body
    parsed = feedparser.parse(body)
    assert not parsed.bozo, parsed.get("bozo_exception")
    [entry] = parsed.entries
    assert entry.title == 'Tom & Jerry <script>alert("x")</script> ]]>'
    assert entry.summary == "<b>Bold</b> & more"
    _required_elements(body)


def test_a_list_not_in_the_config_has_no_feed(app: LiveApp) -> None:
    with app.client() as http:
        assert http.get("/archive/nope/feed.xml").status_code == 404


def _required_elements(body: bytes) -> None:
    """What RFC 4287 asks of a feed and its entries (4.1.1, 4.1.2): one id, title and updated
    each, an author, a self link; each entry an alternate link or content."""
    feed = etree.fromstring(body)
    assert feed.tag == f"{ATOM}feed"
    for element in (feed, *feed.findall(f"{ATOM}entry")):
        for name in ("id", "title", "updated"):
            assert len(element.findall(f"{ATOM}{name}")) == 1, (element.tag, name)
    assert feed.find(f"{ATOM}author/{ATOM}name") is not None
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
