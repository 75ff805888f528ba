"""Fixtures of the counted story links: the app on a port known before its config is written
(its base URL is in the mails' links), articles on the fixture HTTP server, mails through the
fixture SMTP server."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from digest.config import Settings
from tests.servers import FixtureSMTPServer
from tests.web.clicks.rig import MakeSettings
from tests.web.conftest import EDITOR, PASSWORD_ENV
from tests.web.readers.conftest import app_socket  # noqa: F401  (the app's port, known first)


@pytest.fixture
def click_settings(
    write_config: Any,
    sample_sources: list[dict[str, str]],
    smtp_server: FixtureSMTPServer,
    app_socket: socket.socket,  # noqa: F811
) -> MakeSettings:
    """Settings whose base URL is the app's, with these analytics and list options."""

    def make(
        analytics: dict[str, Any] | None = None,
        *,
        more_sources: list[dict[str, str]] | None = None,
        **list_options: Any,
    ) -> Settings:
        return write_config(
            {
                "newsletter": {"base_url": f"http://127.0.0.1:{app_socket.getsockname()[1]}"},
                "sources": sample_sources + (more_sources or []),
                "delivery": {
                    "transport": "smtp",
                    "smtp": {"host": "127.0.0.1", "port": smtp_server.port, "security": "none"},
                },
                "web": {
                    "secure_cookies": False,
                    "editors": [{"username": EDITOR, "password_env": PASSWORD_ENV}],
                },
                "analytics": analytics or {},
                "lists": [
                    {
                        "slug": "weekly",
                        "name": "The Weekly",
                        "timezone": "UTC",
                        "demo_subscribers": ["reader@example.org"],
                        **list_options,
                    }
                ],
            }
        )

    return make
