"""Fixtures of the reader's pages: the app on a port known before its config is written (so the
links in mails point at it), sends and confirmation mails to the fixture SMTP server, a clock the
test can move. They replace tests/web's settings and app for the tests in this folder."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from digest.config import Settings
from digest.web import create_app
from tests.servers import FixtureSMTPServer
from tests.web.conftest import FILE_SOURCES, serving, tcp_socket
from tests.web.readers.rig import MovableClock


@pytest.fixture
def app_socket() -> Iterator[socket.socket]:
    with tcp_socket() as sock:
        yield sock


@pytest.fixture
def reader_overrides() -> dict[str, object]:
    """readers.* for this module's tests (override the fixture to change them)."""
    return {}


@pytest.fixture
def delivery_overrides() -> dict[str, object]:
    """delivery.* beyond the SMTP server (override the fixture to change them)."""
    return {}


@pytest.fixture
def list_overrides() -> dict[str, dict[str, object]]:
    """lists[] keys by slug, over this module's two lists (override the fixture to change them)."""
    return {}


@pytest.fixture
def settings(
    write_config,  # type: ignore[no-untyped-def]
    smtp_server: FixtureSMTPServer,
    app_socket: socket.socket,
    reader_overrides: dict[str, object],
    delivery_overrides: dict[str, object],
    list_overrides: dict[str, dict[str, object]],
) -> Settings:
    """Two lists, the sample feeds (six articles a week: a second week has news too), sends
    and confirmation mails to the fixture SMTP server, links to the app's own address."""
    port = app_socket.getsockname()[1]
    return write_config(
        {
            "newsletter": {"base_url": f"http://127.0.0.1:{port}", "name": "Coast Digest"},
            "sources": FILE_SOURCES,
            "lists": [
                {
                    "slug": "weekly",
                    "name": "The Weekly",
                    "timezone": "UTC",
                    "max_articles": 6,
                    "demo_subscribers": ["reader@example.org"],
                    **list_overrides.get("weekly", {}),
                },
                {
                    "slug": "culture",
                    "name": "Culture Notes",
                    "timezone": "UTC",
                    **list_overrides.get("culture", {}),
                },
            ],
            "delivery": {
                "transport": "smtp",
                "smtp": {"host": "127.0.0.1", "port": smtp_server.port, "security": "none"},
                **delivery_overrides,
            },
            "web": {"secure_cookies": False},
            "readers": {"record_ip": True, **reader_overrides},
        }
    )


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock()


@pytest.fixture
def app(settings: Settings, rt: object, app_socket: socket.socket, clock: MovableClock):  # type: ignore[no-untyped-def]
    """The web app on app_socket (the address newsletter.base_url names)."""
    with serving(create_app(settings, clock=clock), app_socket) as live:
        yield live
