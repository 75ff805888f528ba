"""The web app's edges under hostile clients, served exactly as `digest serve` serves it.

The attacks: a 900 kB sign-in form buffered whole (the server grew to 941 MB); forged
X-Forwarded-For headers that passed the sign-up limit and were stored as the reader's address;
ids beyond what the database holds answered 500 with a traceback; clients that send their
headers or their body one byte at a time held a connection for as long as they liked.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager, suppress
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from digest import pipeline
from digest.config import Settings
from digest.errors import ConfigError
from digest.web import create_app
from digest.web.serving import server_config
from subscribers.models import ConsentRecord
from tests.web.conftest import (
    EDITOR,
    FILE_SOURCES,
    PASSWORD,
    PASSWORD_ENV,
    EditorClient,
    LiveApp,
    running,
    tcp_socket,
    uvicorn_logging_kept,
)
from tests.web.readers.rig import csrf_of

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
API_KEY = "test-api-key-0123456789-abcdef"
FORM = "application/x-www-form-urlencoded"
# Ids no row can have: past PostgreSQL's integer, past SQLite's 64 bits, far past both.
HUGE_IDS = (2**31, 2**63, 10**30)


@pytest.fixture
def web_overrides() -> dict[str, Any]:
    """web.* for a test (parametrize to change it)."""
    return {}


@pytest.fixture
def settings(write_config: Any, web_overrides: dict[str, Any]) -> Settings:
    return write_config(
        {
            "sources": FILE_SOURCES,
            "web": {
                "secure_cookies": False,  # plain http to 127.0.0.1
                "editors": [{"username": EDITOR, "password_env": PASSWORD_ENV}],
                **web_overrides,
            },
            "readers": {"record_ip": True},
        }
    )


@contextmanager
def served(settings: Settings) -> Iterator[LiveApp]:
    """The app in uvicorn with the configuration `digest serve` builds, on a free port."""
    environ = {PASSWORD_ENV: PASSWORD, "DIGEST_API_KEYS": API_KEY}
    app = create_app(settings, clock=lambda: NOW, environ=environ)
    with tcp_socket() as sock, uvicorn_logging_kept():
        port = sock.getsockname()[1]
        server = uvicorn.Server(server_config(app, settings, "127.0.0.1", port))
        with running(server, sock) as live:
            yield live


@pytest.fixture
def app(settings: Settings) -> Iterator[LiveApp]:
    with served(settings) as live:
        yield live


def port_of(live: LiveApp) -> int:
    return int(live.url.rsplit(":", 1)[1])


def connect(live: LiveApp) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port_of(live)), timeout=5)


def answer_within(sock: socket.socket, seconds: float) -> bytes:
    """What the server sends until it closes the connection or `seconds` pass (then b"")."""
    sock.settimeout(seconds)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
            if b"\r\n\r\n" in received:
                sock.settimeout(0.5)  # the rest of a short answer, if any
    except TimeoutError:
        if b"\r\n\r\n" not in received:
            return b""
    except ConnectionResetError:
        pass  # closed with the client's bytes unread: what came before the reset is the answer
    return received


def status_of(answer: bytes) -> int | None:
    if not answer.startswith(b"HTTP/1.1 "):
        return None
    return int(answer.split(b" ", 2)[1])


def signed_in(live: LiveApp) -> EditorClient:
    return live.editor(EDITOR, PASSWORD)


# ----------------------------------------------------------------------------- body caps


def test_a_sign_in_body_over_the_cap_is_refused_before_it_is_read(app: LiveApp) -> None:
    """900 kB declared: refused after the headers, while the client has sent only a little."""
    with connect(app) as sock:
        sock.sendall(
            b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: " + FORM.encode() + b"\r\nContent-Length: 900000\r\n\r\n"
        )
        # Refused and closed before the client is done, maybe: what is tested is the answer.
        with suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(b"username=amina&password=" + b"x" * 20_000)

        answer = answer_within(sock, 3)

    assert status_of(answer) == 413, answer[:300]


@pytest.mark.parametrize("path", ["/login", "/logout", "/editor/lists/weekly/compose"])
def test_a_chunked_body_is_cut_as_soon_as_it_passes_the_cap(app: LiveApp, path: str) -> None:
    """No Content-Length: the chunks are counted as they come, the rest is never waited for."""
    cookie = signed_in(app).http.cookies["digest_session"]  # so that the editor's form is read
    with connect(app) as sock:
        sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n"
            f"Cookie: digest_session={cookie}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
        )
        piece = b"a=" + b"x" * 4094
        for _ in range(6):  # 24 kB, over readers.max_body_bytes (16 kB); no final chunk
            sock.sendall(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")

        answer = answer_within(sock, 3)

    assert status_of(answer) == 413, answer[:300]


def test_editor_forms_take_a_bounded_number_of_fields(app: LiveApp) -> None:
    editor = signed_in(app)
    many = {f"f{i}": "" for i in range(900)}  # 6 kB: under the byte cap, far over any form

    flooded = editor.post("/editor/lists/weekly/compose", many)
    normal = editor.post("/editor/lists/weekly/compose")

    assert flooded.status_code == 400, flooded.text[:300]
    assert normal.status_code == 303


def test_the_api_keeps_its_own_larger_limit(app: LiveApp) -> None:
    """JSON bodies between the forms' cap and the API's (64 KiB) still work; larger are 413."""
    http = app.client()
    headers = {"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"}
    body = {"email": "bulk.reader@example.net", "list": "weekly", "consent": "Yes, by email."}
    padded = json.dumps(body) + " " * 30_000  # whitespace a JSON reader skips

    created = http.post("/api/subscriptions", content=padded, headers=headers)
    too_big = http.post("/api/subscriptions", content=padded + " " * 40_000, headers=headers)

    assert created.status_code == 201, created.text[:300]
    assert too_big.status_code == 413 and "error" in too_big.json()


# ----------------------------------------------------------------------------- client address


def sign_ups(live: LiveApp, forwarded: Sequence[str]) -> list[int]:
    answers = []
    for i, address in enumerate(forwarded):
        headers = {"X-Forwarded-For": address}
        with httpx.Client(base_url=live.url, headers=headers, timeout=30) as http:
            page = http.get("/subscribe")
            form = {
                "csrf_token": csrf_of(page.text),
                "email": f"reader{i}@example.net",
                "lists": "weekly",
                "website": "",
            }
            answers.append(http.post("/subscribe", data=form).status_code)
    return answers


def consent_addresses(settings: Settings, expected: int) -> list[str | None]:
    """The consent records' addresses, once the sign-ups' work after their answers has made
    the expected number of them (or the deadline passed)."""
    deadline = time.monotonic() + 15
    with pipeline.runtime(settings, NOW) as rt:
        while True:
            with rt.sessions() as session:
                rows = list(
                    session.scalars(
                        select(ConsentRecord.ip_address)
                        .where(ConsentRecord.method == "form")
                        .order_by(ConsentRecord.id)
                    )
                )
            if len(rows) >= expected or time.monotonic() > deadline:
                return rows
            time.sleep(0.05)


FORGED = [f"203.0.113.{i}" for i in range(1, 15)]


def test_forged_forwarded_for_neither_passes_the_limit_nor_is_stored(
    app: LiveApp, settings: Settings
) -> None:
    answers = sign_ups(app, FORGED)

    assert answers == [200] * 10 + [429] * 4  # readers.subscribe_per_ip: 10
    stored = consent_addresses(settings, 10)
    assert len(stored) == 10 and set(stored) == {"127.0.0.1"}


@pytest.mark.parametrize("web_overrides", [{"trusted_proxies": ["127.0.0.1"]}])
def test_a_trusted_proxy_forwards_the_readers_address(app: LiveApp, settings: Settings) -> None:
    answers = sign_ups(app, FORGED)

    assert answers == [200] * 14  # each reader's own address has its own limit
    stored = consent_addresses(settings, len(FORGED))
    assert sorted(stored, key=str) == sorted(FORGED)


# ----------------------------------------------------------------------------- ids


def test_ids_no_row_can_have_answer_404(app: LiveApp) -> None:
    editor = signed_in(app)
    anonymous = app.client()
    answers = {}
    for huge in (2**31 - 1, *HUGE_IDS):
        answers[f"/archive/weekly/{huge}"] = anonymous.get(f"/archive/weekly/{huge}").status_code
        for path in (f"/editor/issues/{huge}", f"/editor/issues/{huge}/email.html"):
            answers[path] = editor.get(path).status_code
        for path in (
            f"/editor/issues/{huge}/subject",
            f"/editor/issues/1/articles/{huge}/remove",
            f"/editor/issues/{huge}/articles/1/move",
        ):
            answers[path] = editor.post(path, {"subject": "x", "direction": "up"}).status_code

    assert {path: 404 for path in answers} == answers


def test_ids_padded_with_thousands_of_zeros_answer_404(app: LiveApp) -> None:
    """int() refuses more than 4,300 digits: such a path was a 500 with a traceback."""
    padded = "0" * 5000 + "1"
    anonymous = app.client()
    assert anonymous.get(f"/archive/weekly/{padded}").status_code == 404
    assert anonymous.get(f"/editor/issues/{padded}").status_code == 404


# ----------------------------------------------------------------------------- slow clients

SLOW = {"header_timeout_seconds": 1, "body_timeout_seconds": 1}


@pytest.mark.parametrize("web_overrides", [SLOW])
def test_headers_sent_a_byte_at_a_time_are_cut_off(app: LiveApp) -> None:
    with connect(app) as sock:
        started = time.monotonic()
        closed_after = None
        for byte in b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"x" * 100:
            try:
                sock.sendall(bytes([byte]))
                sock.settimeout(0.2)
                if sock.recv(1024) == b"":
                    closed_after = time.monotonic() - started
                    break
            except TimeoutError:
                continue
            except OSError:  # reset by the server
                closed_after = time.monotonic() - started
                break
            if time.monotonic() - started > 5:
                break

    assert closed_after is not None, "the server kept a dripping client for over 5 s"
    assert 0.8 < closed_after < 2.5


@pytest.mark.parametrize("web_overrides", [SLOW])
def test_a_connection_that_sends_nothing_is_closed(app: LiveApp) -> None:
    with connect(app) as silent, connect(app) as kept_alive:
        kept_alive.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert status_of(answer_within(kept_alive, 0.5)) == 200
        # The next request on the kept-alive connection, begun and stalled.
        kept_alive.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")

        started = time.monotonic()
        assert answer_within(silent, 4) == b"" and time.monotonic() - started < 2.5
        assert answer_within(kept_alive, 4) == b"" and time.monotonic() - started < 2.5


@pytest.mark.parametrize("web_overrides", [SLOW])
def test_a_stalled_body_gets_408_and_normal_requests_go_on(app: LiveApp) -> None:
    with connect(app) as sock:
        sock.sendall(
            f"POST /subscribe HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {FORM}\r\n"
            "Content-Length: 200\r\n\r\nemail=slow".encode()
        )
        started = time.monotonic()
        http = app.client()
        during = http.get("/healthz").status_code

        answer = answer_within(sock, 4)

    assert status_of(answer) == 408, answer[:300]
    assert time.monotonic() - started < 2.5
    assert during == 200 and http.get("/healthz").status_code == 200


@pytest.mark.parametrize("web_overrides", [SLOW])
def test_a_body_sent_in_pieces_within_the_timeout_is_read(app: LiveApp) -> None:
    http = app.client()
    csrf = csrf_of(http.get("/subscribe").text)
    body = f"csrf_token={csrf}&email=pieces%40example.net&lists=weekly&website=".encode()

    def pieces() -> Iterator[bytes]:
        for start in range(0, len(body), 40):
            time.sleep(0.1)
            yield body[start : start + 40]

    answer = http.post("/subscribe", content=pieces(), headers={"Content-Type": FORM})

    assert answer.status_code == 200, answer.text[:300]


@pytest.mark.parametrize("web_overrides", [{**SLOW, "max_connections": 4}])
def test_connections_beyond_the_limit_are_turned_away(app: LiveApp) -> None:
    with ExitStack() as stack:
        for _ in range(4):
            stack.enter_context(connect(app))
        time.sleep(0.1)
        busy = app.client().get("/healthz").status_code
    time.sleep(0.1)

    assert busy == 503
    assert app.client().get("/healthz").status_code == 200


def test_a_trusted_proxy_that_is_no_address_is_a_config_error(write_config: Any) -> None:
    with pytest.raises(ConfigError) as raised:
        write_config({"web": {"trusted_proxies": ["proxy.example.org"]}})

    assert "web.trusted_proxies" in raised.value.message
    assert "proxy.example.org" in raised.value.message


@pytest.mark.parametrize(
    "web_overrides", [{"max_connections": 50, "max_connections_per_client": 5}]
)
def test_one_client_cannot_hold_every_connection(app: LiveApp) -> None:
    """One address opening connections and sending nothing filled max_connections, and every
    other visitor got 503 for as long as it went on: each client may hold only its share."""
    port = port_of(app)
    with ExitStack() as stack:
        held = [stack.enter_context(connect(app)) for _ in range(12)]
        time.sleep(0.2)
        # Past its share, a connection of the same client is closed at once, unanswered.
        assert answer_within(held[-1], 2) == b""
        other = socket.create_connection(("127.0.0.1", port), source_address=("127.0.0.2", 0))
        stack.enter_context(other)
        other.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        assert answer_within(other, 5).startswith(b"HTTP/1.1 200")
    time.sleep(0.2)
    assert app.client().get("/healthz").status_code == 200
