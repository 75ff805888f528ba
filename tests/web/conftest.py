"""The web app served for real: uvicorn on 127.0.0.1 in a thread, over a database of the samples."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select
from starlette.applications import Starlette

from digest import pipeline
from digest.config import Settings
from digest.pipeline import editor_actions
from digest.web import create_app
from digest.web.passwords import hash_password
from tests.conftest import SAMPLES
from tests.servers import FixtureSMTPServer

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # a Monday morning after the samples' week
EDITOR, PASSWORD = "amina", "a long editor passphrase"  # password_env account
PASSWORD_ENV = "DIGEST_TEST_EDITOR_PASSWORD"
HASHED_EDITOR, HASHED_PASSWORD = "kofi", "kofi's own passphrase"  # password_hash account
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')


# The bundled sample feeds, read offline.
FILE_SOURCES = [
    {
        "name": "Maghreb Dispatch",
        "file": str(SAMPLES / "feeds" / "northern-africa.xml"),
        "region": "Northern Africa",
    },
    {
        "name": "Sahel & Coast",
        "file": str(SAMPLES / "feeds" / "west-africa.atom"),
        "region": "West Africa",
    },
]


@pytest.fixture(scope="session")
def kofi_hash() -> str:
    return hash_password(HASHED_PASSWORD)


@pytest.fixture
def settings(write_config, smtp_server: FixtureSMTPServer, kofi_hash: str) -> Settings:
    """The bundled sample feeds (read offline), test sends to the fixture SMTP server."""
    return write_config(
        {
            "sources": FILE_SOURCES,
            "delivery": {
                "transport": "smtp",
                "smtp": {"host": "127.0.0.1", "port": smtp_server.port, "security": "none"},
            },
            "web": {
                "secure_cookies": False,  # the tests speak plain http to 127.0.0.1
                "editors": [
                    {"username": EDITOR, "password_env": PASSWORD_ENV},
                    {"username": HASHED_EDITOR, "password_hash": kofi_hash},
                ],
            },
        }
    )


@pytest.fixture
def rt(settings: Settings) -> Iterator[pipeline.Runtime]:
    """The tests' own runtime on the app's database, with this week's articles collected."""
    with pipeline.runtime(settings, NOW) as runtime:
        collected = pipeline.collect(runtime, NOW)
        assert collected.new_articles == 12 and not collected.failed
        yield runtime


@pytest.fixture
def draft(rt: pipeline.Runtime) -> pipeline.IssueRef:
    """This week's issue, composed and still a draft."""
    ref = pipeline.compose(rt, "weekly", NOW)
    assert ref is not None and ref.status == "draft"
    return ref


@dataclass
class LiveApp:
    url: str
    clients: list[httpx.Client] = field(default_factory=list)

    def client(self) -> httpx.Client:
        """A plain client; closed with the app (or earlier, as a context manager)."""
        http = httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)
        self.clients.append(http)
        return http

    def anonymous(self) -> EditorClient:
        return EditorClient(self.client())

    def editor(self, username: str = EDITOR, password: str = PASSWORD) -> EditorClient:
        client = self.anonymous()
        signed_in = client.login(username, password)
        assert signed_in.status_code == 303, signed_in.text[:300]
        client.get(signed_in.headers["location"])  # the new session's CSRF token
        return client

    def close(self) -> None:
        for http in self.clients:
            http.close()


@pytest.fixture
def app(settings: Settings, rt: pipeline.Runtime) -> Iterator[LiveApp]:
    """The web app, served by uvicorn on a free port of 127.0.0.1; its clock stands at NOW."""
    with serve(create_app(settings, clock=lambda: NOW, environ={PASSWORD_ENV: PASSWORD})) as live:
        yield live


@contextmanager
def serve(web: Starlette) -> Iterator[LiveApp]:
    """Serve an app with uvicorn on a free port of 127.0.0.1 until the block ends."""
    with tcp_socket() as sock, serving(web, sock) as live:
        yield live


@contextmanager
def tcp_socket() -> Iterator[socket.socket]:
    """A socket bound to a free port of 127.0.0.1, to serve an app on.

    Its proto is IPPROTO_TCP, not socket.socket()'s 0: asyncio turns Nagle's algorithm off only
    on sockets that say they are TCP, and with it on, a page's body waits for the ACK of its
    headers, which loopback delays ~40 ms."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.bind(("127.0.0.1", 0))
        yield sock
    finally:
        sock.close()


UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


@contextmanager
def uvicorn_logging_kept() -> Iterator[None]:
    """uvicorn.Config sets its loggers' levels, handlers and propagation for the whole process;
    put them back, or a later test that reads the access log through the root logger
    (tests/security/test_logs.py) sees none of it."""
    saved = [
        (logger, logger.level, list(logger.handlers), logger.propagate, logger.disabled)
        for logger in map(logging.getLogger, UVICORN_LOGGERS)
    ]
    try:
        yield
    finally:
        for logger, level, handlers, propagate, disabled in saved:
            logger.setLevel(level)
            logger.handlers[:] = handlers
            logger.propagate, logger.disabled = propagate, disabled


@contextmanager
def serving(web: Starlette, sock: socket.socket) -> Iterator[LiveApp]:
    """Serve the app with uvicorn on this bound socket, in a thread, until the block ends."""
    with uvicorn_logging_kept():
        config = uvicorn.Config(
            web, log_level="warning", lifespan="on", ws="none", http="h11", loop="asyncio"
        )
        with running(uvicorn.Server(config), sock) as live:
            yield live


@contextmanager
def running(server: uvicorn.Server, sock: socket.socket) -> Iterator[LiveApp]:
    """A uvicorn server run in a thread on this bound socket, until the block ends."""
    port = sock.getsockname()[1]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web app did not start")
        time.sleep(0.01)
    live = LiveApp(f"http://127.0.0.1:{port}")
    try:
        yield live
    finally:
        live.close()
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


class EditorClient:
    """An httpx client that signs in and posts forms with the CSRF token of the last page."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.token: str | None = None

    def get(self, path: str) -> httpx.Response:
        response = self.http.get(path)
        found = CSRF_FIELD.search(response.text)
        if found:
            self.token = found.group(1)
        return response

    def login(self, username: str, password: str) -> httpx.Response:
        self.get("/login")
        return self.post("/login", {"username": username, "password": password})

    def post(
        self,
        path: str,
        data: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        if self.token is None:
            self.get("/editor")
        form = {"csrf_token": self.token or "", **(data or {})}
        return self.http.post(path, data=form, headers=headers)

    def act(self, path: str, data: dict[str, str] | None = None) -> str:
        """POST a form as the browser would, follow the 303 and return the flash message."""
        response = self.post(path, data)
        assert response.status_code == 303, (response.status_code, response.text[:500])
        page = self.get(response.headers["location"])
        assert page.status_code == 200
        found = re.search(r'<p class="flash (?:ok|error)" role="status">(.*?)</p>', page.text)
        assert found, "a flash message after the POST"
        return found.group(1)


def issue_of(rt: pipeline.Runtime, issue_id: int) -> editor_actions.EditorIssue:
    return editor_actions.editor_issue(rt, issue_id)


def count(rt: pipeline.Runtime, model: type) -> int:
    with rt.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0
