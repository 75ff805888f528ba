"""Editor sessions end on the server, and sign-in is throttled per account and per client.

The attacks: a session cookie copied before sign-out kept working for 12 hours (the session
lived only in the signed cookie), and any number of passwords could be tried.
Each client here connects from its own loopback address (127.0.0.x), which the app sees as
request.client.host, so a lock on one client is told apart from a lock on one account.
"""

from __future__ import annotations

import re
import ssl
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from digest.config import Settings
from digest.web import create_app
from digest.web.passwords import hash_password
from tests.web.conftest import (
    EDITOR,
    HASHED_EDITOR,
    HASHED_PASSWORD,
    PASSWORD,
    PASSWORD_ENV,
    EditorClient,
    LiveApp,
    serve,
)

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
COOKIE = "digest_session"
# Built once: each client making its own takes ~0.1 s (certificates loaded), though no TLS is used.
TLS = ssl.create_default_context()


class Clock:
    """The app's "now", moved by the test."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def settings(write_config: Any) -> Settings:
    return write_config(
        {
            "web": {
                "secure_cookies": False,  # plain http to 127.0.0.1
                "editors": [
                    {"username": EDITOR, "password_env": PASSWORD_ENV},
                    # A cheap hash: these tests sign in often, and the cost is not under test.
                    {
                        "username": HASHED_EDITOR,
                        "password_hash": hash_password(HASHED_PASSWORD, n=2**10),
                    },
                ],
            }
        }
    )


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def app(settings: Settings, clock: Clock) -> Iterator[LiveApp]:
    with serve(create_app(settings, clock=clock, environ={PASSWORD_ENV: PASSWORD})) as live:
        yield live


def client_at(live: LiveApp, address: str) -> EditorClient:
    """A client whose requests come from this loopback address."""
    http = httpx.Client(
        base_url=live.url,
        follow_redirects=False,
        timeout=30,
        transport=httpx.HTTPTransport(local_address=address, verify=TLS),
    )
    live.clients.append(http)
    return EditorClient(http)


def signed_in(live: LiveApp, address: str, username: str, password: str) -> EditorClient:
    client = client_at(live, address)
    response = client.login(username, password)
    assert response.status_code == 303, (response.status_code, response.text[:300])
    assert client.get("/editor").status_code == 200
    return client


def fail(client: EditorClient, username: str, times: int = 1) -> None:
    for _ in range(times):
        response = client.login(username, "not the password")
        assert response.status_code == 401, (response.status_code, response.text[:300])


def assert_locked(response: httpx.Response, seconds: int) -> None:
    assert response.status_code == 429, (response.status_code, response.text[:300])
    assert response.headers["retry-after"] == str(seconds)
    assert "Too many failed sign-ins" in response.text


# ----------------------------------------------------------------------------- sessions


def test_a_cookie_copied_before_sign_out_no_longer_reaches_the_editor(app: LiveApp) -> None:
    editor = signed_in(app, "127.0.0.2", HASHED_EDITOR, HASHED_PASSWORD)
    copied = editor.http.cookies[COOKIE]
    editor.get("/editor")
    token = editor.token
    assert token

    out = editor.post("/logout")
    assert (out.status_code, out.headers["location"]) == (303, "/login")

    thief = client_at(app, "127.0.0.3")
    thief.http.cookies.set(COOKIE, copied)
    page = thief.http.get("/editor")
    assert (page.status_code, page.headers.get("location")) == (303, "/login?next=/editor")
    # A form posted with the old cookie and its CSRF token is refused too.
    posted = thief.http.post("/editor/lists/weekly/compose", data={"csrf_token": token})
    assert posted.status_code == 403


def test_a_session_ends_for_every_process_sharing_the_database(
    settings: Settings, clock: Clock
) -> None:
    first = create_app(settings, clock=clock, environ={PASSWORD_ENV: PASSWORD})
    second = create_app(settings, clock=clock, environ={PASSWORD_ENV: PASSWORD})
    with serve(first) as one, serve(second) as two:
        editor = signed_in(one, "127.0.0.2", HASHED_EDITOR, HASHED_PASSWORD)
        copied = editor.http.cookies[COOKIE]
        elsewhere = client_at(two, "127.0.0.2")
        elsewhere.http.cookies.set(COOKIE, copied)
        assert elsewhere.get("/editor").status_code == 200  # the same session on both

        out = elsewhere.post("/logout")  # signed out through the second process
        assert out.status_code == 303
        replay = client_at(one, "127.0.0.3")
        replay.http.cookies.set(COOKIE, copied)
        assert replay.http.get("/editor").status_code == 303


def test_a_session_expires_by_the_apps_clock(
    app: LiveApp, clock: Clock, settings: Settings
) -> None:
    editor = signed_in(app, "127.0.0.2", HASHED_EDITOR, HASHED_PASSWORD)
    clock.advance(seconds=settings.web.session_max_age_seconds - 60)
    assert editor.get("/editor").status_code == 200
    clock.advance(seconds=61)
    assert editor.get("/editor").status_code == 303


def test_sign_in_gives_a_new_session_and_ends_the_one_it_replaces(app: LiveApp) -> None:
    """Session fixation: a cookie planted before sign-in is not the signed-in session."""
    planted = client_at(app, "127.0.0.2")
    planted.get("/login")
    before = planted.http.cookies[COOKIE]

    editor = signed_in(app, "127.0.0.2", HASHED_EDITOR, HASHED_PASSWORD)
    first = editor.http.cookies[COOKIE]
    again = editor.login(HASHED_EDITOR, HASHED_PASSWORD)  # signing in over a live session
    assert again.status_code == 303
    assert editor.http.cookies[COOKIE] != first

    for cookie in (before, first):
        other = client_at(app, "127.0.0.3")
        other.http.cookies.set(COOKIE, cookie)
        assert other.http.get("/editor").status_code == 303
    assert editor.get("/editor").status_code == 200


# ----------------------------------------------------------------------------- throttling


def test_five_wrong_passwords_lock_the_account_until_the_lock_ends(
    app: LiveApp, clock: Clock
) -> None:
    fail(client_at(app, "127.0.0.2"), HASHED_EDITOR, times=5)

    # From another client: the account itself is locked, whatever the password.
    elsewhere = client_at(app, "127.0.0.3")
    for password in (HASHED_PASSWORD, "not the password"):
        locked = elsewhere.login(HASHED_EDITOR, password)
        assert_locked(locked, 15 * 60)
        assert "07:15 UTC" in locked.text  # when to try again
    assert elsewhere.get("/editor").status_code == 303
    # Another account from that client is not locked.
    signed_in(app, "127.0.0.3", EDITOR, PASSWORD)

    clock.advance(minutes=10)
    assert_locked(elsewhere.login(HASHED_EDITOR, HASHED_PASSWORD), 5 * 60)
    clock.advance(minutes=5)
    signed_in(app, "127.0.0.3", HASHED_EDITOR, HASHED_PASSWORD)


def test_five_failures_from_one_client_lock_it_for_every_username(
    app: LiveApp, clock: Clock
) -> None:
    attacker = client_at(app, "127.0.0.4")
    for name in ("root", "admin", "editor", EDITOR, "amina2"):
        fail(attacker, name)
    assert_locked(attacker.login(HASHED_EDITOR, HASHED_PASSWORD), 15 * 60)
    assert attacker.get("/editor").status_code == 303
    # Those accounts, and other clients, are not locked: each had one failure.
    signed_in(app, "127.0.0.5", EDITOR, PASSWORD)
    signed_in(app, "127.0.0.5", HASHED_EDITOR, HASHED_PASSWORD)

    clock.advance(minutes=15)
    signed_in(app, "127.0.0.4", HASHED_EDITOR, HASHED_PASSWORD)


def test_an_unknown_username_is_throttled_like_a_known_one(app: LiveApp) -> None:
    fail(client_at(app, "127.0.0.2"), "mallory", times=5)
    fail(client_at(app, "127.0.0.3"), HASHED_EDITOR, times=5)
    unknown = client_at(app, "127.0.0.4").login("mallory", "a guess")
    known = client_at(app, "127.0.0.5").login(HASHED_EDITOR, "a guess")
    assert_locked(unknown, 15 * 60)
    assert_locked(known, 15 * 60)

    def page(response: httpx.Response) -> str:
        return re.sub(r'value="[^"]*"', "", response.text)

    assert page(unknown) == page(known)


def test_a_success_clears_the_accounts_failures(app: LiveApp) -> None:
    fail(client_at(app, "127.0.0.2"), HASHED_EDITOR, times=4)
    signed_in(app, "127.0.0.3", HASHED_EDITOR, HASHED_PASSWORD)
    fail(client_at(app, "127.0.0.4"), HASHED_EDITOR, times=4)
    signed_in(app, "127.0.0.5", HASHED_EDITOR, HASHED_PASSWORD)


def test_failures_count_across_processes_sharing_the_database(
    settings: Settings, clock: Clock
) -> None:
    first = create_app(settings, clock=clock, environ={PASSWORD_ENV: PASSWORD})
    second = create_app(settings, clock=clock, environ={PASSWORD_ENV: PASSWORD})
    with serve(first) as one, serve(second) as two:
        fail(client_at(one, "127.0.0.2"), HASHED_EDITOR, times=3)
        fail(client_at(two, "127.0.0.3"), HASHED_EDITOR, times=2)
        assert_locked(client_at(one, "127.0.0.4").login(HASHED_EDITOR, HASHED_PASSWORD), 900)
        assert_locked(client_at(two, "127.0.0.4").login(HASHED_EDITOR, HASHED_PASSWORD), 900)


def test_failures_older_than_the_window_are_forgotten(app: LiveApp, clock: Clock) -> None:
    attacker = client_at(app, "127.0.0.2")
    fail(attacker, HASHED_EDITOR, times=4)
    clock.advance(minutes=16)
    fail(attacker, HASHED_EDITOR, times=4)
    signed_in(app, "127.0.0.2", HASHED_EDITOR, HASHED_PASSWORD)


def test_a_burst_of_simultaneous_guesses_gets_no_more_than_the_limit_checked(
    app: LiveApp,
) -> None:
    """Each attempt is counted before its password is checked: twelve guesses sent at once
    from twelve clients get five answers, then the lock."""
    clients = [client_at(app, f"127.0.0.{10 + i}") for i in range(12)]
    for client in clients:
        client.get("/login")  # its CSRF token, before the burst
    start = threading.Barrier(len(clients))

    def guess(client: EditorClient) -> int:
        start.wait()
        form = {"username": HASHED_EDITOR, "password": "a guess"}
        return client.post("/login", form).status_code

    with ThreadPoolExecutor(len(clients)) as pool:
        answers = list(pool.map(guess, clients))
    assert sorted(answers) == [401] * 5 + [429] * 7
