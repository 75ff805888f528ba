"""Editors sign in and out; anonymous, cross-site and token-less requests are refused."""

from __future__ import annotations

import pytest

from digest import pipeline
from digest.errors import ConfigError
from digest.web import create_app
from digest.web.passwords import hash_password, parse_hash, verify_password
from tests.web.conftest import (
    EDITOR,
    HASHED_EDITOR,
    HASHED_PASSWORD,
    PASSWORD,
    LiveApp,
    issue_of,
)


def test_a_password_hash_is_salted_scrypt_and_verifies_only_its_password() -> None:
    first = hash_password("correct horse", n=2**10)
    second = hash_password("correct horse", n=2**10)
    assert first.startswith("scrypt$1024$8$5$") and len(first.split("$")) == 6
    assert first != second  # a fresh salt each time
    assert verify_password("correct horse", first) and verify_password("correct horse", second)
    assert not verify_password("correct horsf", first)
    for broken in ("", "plain-text-password", "scrypt$1000$8$1$c2FsdA$a2V5", "md5$1$2$3$4$5"):
        with pytest.raises(ValueError):
            parse_hash(broken)


def test_an_editor_signs_in_with_a_hashed_password_and_out_again(app: LiveApp) -> None:
    with app.client() as http:
        anonymous = http.get("/editor/issues/1?tab=x")
        assert anonymous.status_code == 303
        assert anonymous.headers["location"] == "/login?next=/editor/issues/1%3Ftab%3Dx"

    editor = app.editor(HASHED_EDITOR, HASHED_PASSWORD)
    home = editor.get("/editor")
    assert home.status_code == 200
    assert f'<span class="who">{HASHED_EDITOR}</span>' in home.text
    assert editor.http.cookies.get("digest_session")

    out = editor.post("/logout")
    assert (out.status_code, out.headers["location"]) == (303, "/login")
    assert editor.get("/editor").status_code == 303


def test_the_session_cookie_is_http_only_and_same_site_strict(app: LiveApp) -> None:
    with app.client() as http:
        page = http.get("/login")
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "max-age=43200" in cookie


@pytest.mark.parametrize(
    ("username", "password"),
    [(EDITOR, "not the passphrase"), ("mallory", "a long editor passphrase"), (EDITOR, "")],
)
def test_a_wrong_password_or_unknown_editor_is_refused(
    app: LiveApp, username: str, password: str
) -> None:
    client = app.anonymous()
    refused = client.login(username, password)
    assert refused.status_code == 401
    assert "Wrong username or password." in refused.text
    assert client.get("/editor").status_code == 303  # still signed out


@pytest.mark.parametrize(
    ("asked", "landed"),
    [
        ("/editor/issues/7", "/editor/issues/7"),
        ("//evil.example/x", "/editor"),
        ("https://evil.example/", "/editor"),
        ("/\\evil.example/", "/editor"),
        ("/\t/evil.example/", "/editor"),
    ],
)
def test_login_goes_back_to_the_page_asked_for_but_never_to_another_site(
    app: LiveApp, asked: str, landed: str
) -> None:
    client = app.anonymous()
    client.get("/login")
    response = client.post("/login", {"username": EDITOR, "password": PASSWORD, "next": asked})
    assert (response.status_code, response.headers["location"]) == (303, landed)


def test_a_missing_password_variable_or_a_broken_hash_stops_the_app_at_start(
    write_config,
) -> None:
    settings = write_config(
        {"web": {"editors": [{"username": "amina", "password_env": "NOT_SET_ANYWHERE"}]}}
    )
    with pytest.raises(ConfigError, match=r"web.editors\[0\].password_env: .*NOT_SET_ANYWHERE"):
        create_app(settings, environ={})
    settings = write_config(
        {"web": {"editors": [{"username": "amina", "password_hash": "hunter2"}]}}
    )
    with pytest.raises(ConfigError, match=r"password_hash: not a hash from `digest editors"):
        create_app(settings, environ={})


def test_anonymous_posts_are_refused(
    app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    with app.client() as http:
        for action in ("approve", "hold", "subject"):
            response = http.post(f"/editor/issues/{draft.id}/{action}", data={"subject": "x"})
            assert response.status_code == 403, action
        assert http.post("/editor/lists/weekly/compose").status_code == 403
    issue = issue_of(rt, draft.id)
    assert issue.approval == "pending" and issue.ref.subject == draft.subject


def test_a_post_from_another_site_is_refused_even_with_a_valid_token(
    app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    editor = app.editor()
    editor.get(f"/editor/issues/{draft.id}")
    for headers in (
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Referer": "https://evil.example/attack.html"},
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site", "Origin": app.url},
    ):
        response = editor.post(f"/editor/issues/{draft.id}/approve", headers=headers)
        assert response.status_code == 403, headers
        assert "another site" in response.text
    assert issue_of(rt, draft.id).approval == "pending"

    same_site = editor.post(
        f"/editor/issues/{draft.id}/approve",
        headers={"Origin": app.url, "Sec-Fetch-Site": "same-origin"},
    )
    assert same_site.status_code == 303
    assert issue_of(rt, draft.id).approval == "approved"


def test_a_post_without_or_with_a_wrong_csrf_token_is_refused(
    app: LiveApp, draft: pipeline.IssueRef, rt: pipeline.Runtime
) -> None:
    editor = app.editor()
    editor.get(f"/editor/issues/{draft.id}")
    path = f"/editor/issues/{draft.id}/subject"
    missing = editor.http.post(path, data={"subject": "Forged"})
    wrong = editor.http.post(path, data={"subject": "Forged", "csrf_token": "x" * 43})
    for response in (missing, wrong):
        assert response.status_code == 403
        assert "form has expired" in response.text
    assert issue_of(rt, draft.id).ref.subject == draft.subject


def test_the_login_form_itself_needs_its_token(app: LiveApp) -> None:
    with app.client() as http:
        response = http.post("/login", data={"username": EDITOR, "password": PASSWORD})
        assert response.status_code == 403
        assert http.get("/editor").status_code == 303
