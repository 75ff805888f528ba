"""The admins' Sources page over HTTP, and which of config.yaml and the database wins."""

from __future__ import annotations

import time

from sqlalchemy import select

from digest import pipeline
from digest.models import Article, Source
from digest.states import SourceOrigin
from tests.servers import FixtureHTTPServer, Route
from tests.test_pipeline import full_item, rss
from tests.web.conftest import NOW, EditorClient, LiveApp


def _row(rt: pipeline.Runtime, name: str) -> Source:
    with rt.sessions() as session:
        row = session.scalar(select(Source).where(Source.name == name))
        assert row is not None
        session.expunge(row)
        return row


def _wait_for_health(admin: EditorClient, name: str, timeout: float = 30) -> str:
    """The Sources page once the background collection of name has ended."""
    deadline = time.monotonic() + timeout
    while True:
        page = admin.get("/admin/sources").text
        row = page.split(f">{name}</a>")[1].split("</tr>")[0]
        if "collect now:" in row:
            return row
        assert time.monotonic() < deadline, "the collection did not end"
        time.sleep(0.1)


def test_add_collect_now_edit_and_disable(
    app: LiveApp, rt: pipeline.Runtime, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/desk.xml"] = Route(rss([full_item(1), full_item(2)]))
    admin = app.editor()
    added = admin.act(
        "/admin/sources",
        {"name": "Harbour Desk", "url": http_server.url("/desk.xml"), "tags": "Ports, Trade"},
    )
    assert added.startswith("Source Harbour Desk added")
    row = _row(rt, "Harbour Desk")
    assert row.origin == SourceOrigin.WEB and row.tags == ["Ports", "Trade"] and row.enabled

    assert admin.act(f"/admin/sources/{row.id}/collect").startswith("Collecting Harbour Desk")
    health = _wait_for_health(admin, "Harbour Desk")
    assert "collect now: 2 new article(s)" in health
    with rt.sessions() as session:
        tags = session.scalars(select(Article.tags).where(Article.source_id == row.id)).all()
    assert len(tags) == 2 and all("Ports" in t for t in tags)

    edited = admin.act(
        f"/admin/sources/{row.id}",
        {"url": http_server.url("/desk.xml"), "region": "Gulf of Guinea", "tags": "Ports"},
    )
    assert edited.startswith("Source saved")
    assert _row(rt, "Harbour Desk").region == "Gulf of Guinea"

    assert "disabled" in admin.act(f"/admin/sources/{row.id}/disable")
    assert not _row(rt, "Harbour Desk").enabled
    report = pipeline.collect(rt, NOW)
    assert "Harbour Desk" not in {s.name for s in report.sources}
    assert "enable it" in admin.act(f"/admin/sources/{row.id}/collect")
    assert "enabled" in admin.act(f"/admin/sources/{row.id}/enable")
    assert _row(rt, "Harbour Desk").enabled


BAD_SOURCES = [
    ({"name": "", "url": "https://93.184.215.14/feed"}, "name: give the source a name"),
    ({"name": "Ftp", "url": "ftp://example.org/feed"}, "url: expected the http(s) address"),
    ({"name": "Disk", "url": "file:///etc/passwd"}, "url: expected the http(s) address"),
    (
        {"name": "Metadata", "url": "http://169.254.169.254/latest/meta-data/"},
        "169.254.169.254, a private or reserved address",
    ),
    ({"name": "Intranet", "url": "http://10.1.2.3/feed.xml"}, "a private or reserved"),
    (
        {"name": "Maghreb Dispatch", "url": "https://93.184.215.14/feed"},
        "a source named &#39;Maghreb Dispatch&#39; exists already",
    ),
    (
        {"name": "Bad selector", "url": "https://93.184.215.14/feed", "selector": "div[["},
        "selector: Value error, expected a CSS selector",
    ),
]


def test_a_bad_source_is_refused_naming_the_field(app: LiveApp, rt: pipeline.Runtime) -> None:
    admin = app.editor()
    for fields, said in BAD_SOURCES:
        response = admin.post("/admin/sources", fields)
        assert response.status_code == 400, fields
        assert said in response.text, (fields, said)
        if fields["name"]:
            assert f'value="{fields["name"]}"' in response.text  # what was typed is kept
    with rt.sessions() as session:
        names = session.scalars(select(Source.name)).all()
    assert len(names) == 2


def test_config_seeds_sources_and_the_web_app_wins_after(
    write_config, rt: pipeline.Runtime, http_server: FixtureHTTPServer
) -> None:
    base = rt.settings.model_dump(mode="json")
    maghreb, sahel = base["sources"]
    edited_here = _row(rt, "Sahel & Coast")
    with rt.sessions.begin() as session:
        row = session.get(Source, edited_here.id)
        assert row is not None
        row.origin, row.region = SourceOrigin.WEB, "Edited in the web app"
    changed = {
        "sources": [
            {**maghreb, "region": "Maghreb (from config)", "tags": ["North"]},
            {**sahel, "region": "Sahel (from config)"},
            {"name": "New in config", "url": http_server.url("/feed.xml")},
        ],
        "web": base["web"],
        "delivery": base["delivery"],
    }
    with pipeline.runtime(write_config(changed), NOW) as later:
        follows = _row(later, "Maghreb Dispatch")
        assert follows.region == "Maghreb (from config)" and follows.tags == ["North"]
        assert _row(later, "Sahel & Coast").region == "Edited in the web app"
        assert _row(later, "New in config").origin == SourceOrigin.CONFIG
    dropped = {**changed, "sources": [changed["sources"][2]]}
    with pipeline.runtime(write_config(dropped), NOW) as last:
        assert not _row(last, "Maghreb Dispatch").enabled  # gone from config: not collected
        assert _row(last, "Sahel & Coast").enabled  # the web app's: kept as it was
        report = pipeline.collect(last, NOW)
        assert {s.name for s in report.sources} == {"Sahel & Coast", "New in config"}
