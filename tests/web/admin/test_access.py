"""Who may use which route, over every route of the app: a route missing from ACCESS fails the
first test, so a new page or action cannot ship unclassified. Admin routes are refused to an
editor and to anyone signed out; every POST is refused without this session's CSRF token."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from starlette.routing import Mount, Route

from digest import pipeline
from digest.config import Settings
from digest.models import IssueArticle
from digest.web import create_app
from subscribers import membership
from tests.web.admin.conftest import ISSUES_ONLY
from tests.web.conftest import HASHED_PASSWORD, NOW, PASSWORD, PASSWORD_ENV, LiveApp

PUBLIC, EDITOR, ADMIN = "public", "editor", "admin"  # EDITOR: any signed-in account

# (method, path) -> who may use it. Mounts are listed with the method "MOUNT".
ACCESS: dict[tuple[str, str], str] = {
    ("GET", "/login"): PUBLIC,
    ("POST", "/login"): PUBLIC,
    ("POST", "/logout"): PUBLIC,
    ("GET", "/editor"): EDITOR,
    ("POST", "/editor/lists/{slug}/compose"): EDITOR,
    ("GET", "/editor/issues/{issue_id:row_id}"): EDITOR,
    ("GET", "/editor/issues/{issue_id:row_id}/email.html"): EDITOR,
    ("POST", "/editor/issues/{issue_id:row_id}/subject"): EDITOR,
    ("POST", "/editor/issues/{issue_id:row_id}/intro"): EDITOR,
    ("POST", "/editor/issues/{issue_id:row_id}/articles/{article_id:row_id}/remove"): EDITOR,
    ("POST", "/editor/issues/{issue_id:row_id}/articles/{article_id:row_id}/move"): EDITOR,
    ("POST", "/editor/issues/{issue_id:row_id}/test"): EDITOR,
    ("POST", "/editor/issues/{issue_id:row_id}/approve"): EDITOR,
    ("POST", "/editor/issues/{issue_id:row_id}/hold"): EDITOR,
    ("POST", "/editor/issues/{issue_id:row_id}/articles/{article_id:row_id}/story"): EDITOR,
    ("POST", "/editor/issues/{issue_id:row_id}/articles/{article_id:row_id}/section"): EDITOR,
    ("POST", "/editor/issues/{issue_id:row_id}/lead"): EDITOR,
    ("POST", "/editor/issues/{issue_id:row_id}/sections/move"): EDITOR,
    ("POST", "/editor/issues/{issue_id:row_id}/stories"): EDITOR,
    ("GET", "/editor/issues/{issue_id:row_id}/send"): EDITOR,
    ("POST", "/editor/issues/{issue_id:row_id}/send"): EDITOR,
    ("POST", "/editor/issues/{issue_id:row_id}/send/cancel"): EDITOR,
    ("GET", "/editor/issues/{issue_id:row_id}/send/progress"): EDITOR,
    ("GET", "/editor/issues/{issue_id:row_id}/send/progress.html"): EDITOR,
    ("GET", "/editor/audience"): EDITOR,
    ("GET", "/admin/readers"): ADMIN,
    ("GET", "/admin/readers/{slug}"): ADMIN,
    ("GET", "/admin/readers/{slug}/export.csv"): ADMIN,
    ("GET", "/admin/readers/{slug}/{reader_id:row_id}"): ADMIN,
    ("POST", "/admin/readers/{slug}/{reader_id:row_id}/resend"): ADMIN,
    ("POST", "/admin/readers/{slug}/{reader_id:row_id}/suppress"): ADMIN,
    ("POST", "/admin/readers/{slug}/{reader_id:row_id}/lift"): ADMIN,
    ("GET", "/admin/sources"): ADMIN,
    ("POST", "/admin/sources"): ADMIN,
    ("GET", "/admin/sources/{source_id:row_id}"): ADMIN,
    ("POST", "/admin/sources/{source_id:row_id}"): ADMIN,
    ("POST", "/admin/sources/{source_id:row_id}/disable"): ADMIN,
    ("POST", "/admin/sources/{source_id:row_id}/enable"): ADMIN,
    ("POST", "/admin/sources/{source_id:row_id}/collect"): ADMIN,
    ("GET", "/admin/editors"): ADMIN,
    ("GET", "/"): PUBLIC,
    ("GET", "/archive/{slug}"): PUBLIC,
    ("GET", "/archive/{slug}/feed.xml"): PUBLIC,
    ("GET", "/archive/{slug}/{number:row_id}"): PUBLIC,
    ("GET", "/u"): PUBLIC,
    ("GET", "/p"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/c/{who}/{token}"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,
    ("GET", "/subscribe"): PUBLIC,
    ("POST", "/subscribe"): PUBLIC,
    ("GET", "/confirm/{token}"): PUBLIC,
    ("POST", "/confirm/{token}"): PUBLIC,
    ("GET", "/u/{token}"): PUBLIC,
    ("POST", "/u/{token}"): PUBLIC,
    ("POST", "/u/{token}/undo"): PUBLIC,
    ("POST", "/u/{token}/why"): PUBLIC,
    ("GET", "/p/{token}"): PUBLIC,
    ("POST", "/p/{token}"): PUBLIC,
    ("POST", "/p/{token}/leave"): PUBLIC,
    ("POST", "/p/{token}/export"): PUBLIC,
    ("POST", "/p/{token}/erase"): PUBLIC,
    ("MOUNT", "/api"): PUBLIC,  # its own API keys, no session: tests/subscribers/test_api*
    ("MOUNT", "/static"): PUBLIC,
}

# POSTs that take no session CSRF token, and why.
NO_CSRF = {
    # RFC 8058 one-click unsubscribe: the reader's mail program posts it, from no page of ours;
    # the signed token in the path is the authority (and Sec-Fetch-Site is still checked).
    "/u/{token}",
}
# POSTs whose form carries a signed token of its own instead (the "left" token of one
# unsubscribe, which no other site can know): refused without it, whatever the session.
SIGNED_FORM = {"/u/{token}/undo", "/u/{token}/why"}


def _routes(settings: Settings) -> list[tuple[str, str]]:
    app = create_app(
        settings,
        environ={PASSWORD_ENV: PASSWORD, "DIGEST_API_KEYS": "k" * 32},
    )
    found = []
    for route in app.routes:
        if isinstance(route, Route):
            found += [(m, route.path) for m in sorted((route.methods or set()) - {"HEAD"})]
        elif isinstance(route, Mount):
            found.append(("MOUNT", route.path))
        else:
            found.append((type(route).__name__, getattr(route, "path", "?")))
    return found


def _concrete(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: ids.get(m.group(1), "x"), path)


@pytest.fixture
def ids(rt: pipeline.Runtime, draft: pipeline.IssueRef) -> dict[str, str]:
    with rt.sessions.begin() as session:
        weekly = membership.get_list(session, "weekly")
        subscription, _ = membership.add_subscriber(
            session, weekly, "private.reader@example.net", name="Private Reader", now=NOW
        )
        reader_id = subscription.subscriber_id
        membership.add_subscriber(session, weekly, "second.reader@example.net", name=None, now=NOW)
        article_id = session.scalar(
            select(IssueArticle.article_id).where(IssueArticle.issue_id == draft.id).limit(1)
        )
    return {
        "slug": "weekly",
        "issue_id": str(draft.id),
        "article_id": str(article_id),
        "reader_id": str(reader_id),
        "source_id": "1",
        "number": "1",
    }


def test_every_route_is_classified(settings: Settings) -> None:
    routes = _routes(settings)
    unclassified = [f"{method} {path}" for method, path in routes if (method, path) not in ACCESS]
    assert not unclassified, (
        f"classify these routes in ACCESS (public, editor or admin), and test them: {unclassified}"
    )
    gone = sorted(set(ACCESS) - set(routes))
    assert not gone, f"ACCESS lists routes the app no longer has: {gone}"


def test_admin_routes_are_refused_to_editors_and_to_the_signed_out(
    app: LiveApp, ids: dict[str, str]
) -> None:
    admin_routes = [(m, p) for (m, p), who in ACCESS.items() if who == ADMIN]
    assert len(admin_routes) >= 12
    editor = app.editor(ISSUES_ONLY, HASHED_PASSWORD)
    admin = app.editor()
    anonymous = app.anonymous()
    anonymous.get("/login")  # a session with a CSRF token: refused for who it is, not the token
    for method, template in admin_routes:
        path = _concrete(template, ids)
        if method == "GET":
            signed_out = anonymous.get(path)
            assert signed_out.status_code == 303, path
            assert signed_out.headers["location"].startswith("/login?next="), path
            refused = editor.get(path)
            assert refused.status_code == 403, (path, refused.status_code)
            assert "for admins" in refused.text
            allowed = admin.get(path)
            assert allowed.status_code == 200, (path, allowed.status_code)
        else:
            assert anonymous.post(path).status_code == 403, path
            refused = editor.post(path)
            assert refused.status_code == 403, (path, refused.status_code)
            assert "for admins" in refused.text


def test_every_post_needs_this_sessions_csrf_token(app: LiveApp, ids: dict[str, str]) -> None:
    posts = [p for (m, p) in ACCESS if m == "POST" and p not in NO_CSRF]
    admin = app.editor()
    assert admin.token
    for template in posts:
        path = _concrete(template, ids)
        without = admin.http.post(path, data={"name": "x"})
        wrong = admin.http.post(path, data={"csrf_token": "not-" + admin.token})
        refused = {400, 403} if template in SIGNED_FORM else {403}
        assert without.status_code in refused, (path, without.status_code)
        assert wrong.status_code in refused, (path, wrong.status_code)
    # A POST from another site's page is refused before its token is even read.
    elsewhere = admin.post("/admin/sources", {"name": "x"}, {"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403


def test_an_editor_sees_no_readers_address_on_any_page_they_may_open(
    app: LiveApp, ids: dict[str, str]
) -> None:
    editor = app.editor(ISSUES_ONLY, HASHED_PASSWORD)
    pages = [p for (m, p), who in ACCESS.items() if m == "GET" and who == EDITOR]
    assert len(pages) >= 4
    seen = 0
    for template in pages:
        page = editor.get(_concrete(template, ids))
        assert page.status_code == 200, template
        seen += 1
        # (The previews' sample reader, reader@example.org, is a placeholder, no one's.)
        for address in ("private.reader@example.net", "second.reader@example.net"):
            assert address not in page.text, (template, address)
        assert "/admin/" not in page.text, template  # no admin link in an editor's menu
    admin_home = app.editor().get("/editor")
    assert 'href="/admin/readers"' in admin_home.text
    assert seen == len(pages)
