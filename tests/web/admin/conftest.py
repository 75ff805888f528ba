"""The admin pages' tests: amina is an admin, kofi an editor (issues only)."""

from __future__ import annotations

import pytest

from digest.config import Settings
from tests.servers import FixtureSMTPServer
from tests.web.conftest import EDITOR, FILE_SOURCES, HASHED_EDITOR, PASSWORD_ENV

ADMIN = EDITOR  # amina
ISSUES_ONLY = HASHED_EDITOR  # kofi


@pytest.fixture
def settings(write_config, smtp_server: FixtureSMTPServer, kofi_hash: str) -> Settings:
    """As tests/web's settings, with roles: amina admin (by default), kofi editor."""
    return write_config(
        {
            "sources": FILE_SOURCES,
            "delivery": {
                "transport": "smtp",
                "smtp": {"host": "127.0.0.1", "port": smtp_server.port, "security": "none"},
            },
            "web": {
                "secure_cookies": False,
                "editors": [
                    {"username": ADMIN, "password_env": PASSWORD_ENV},
                    {"username": ISSUES_ONLY, "password_hash": kofi_hash, "role": "editor"},
                ],
            },
        }
    )
