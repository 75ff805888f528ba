"""The web app with the subscribers API on, served on 127.0.0.1, and a confirmation mailer
that records what it was asked to send."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from digest.config import Settings
from digest.web import create_app
from tests.conftest import SAMPLES
from tests.web.conftest import serve

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
KEY = "test-api-key-0123456789abcdef"
KEYS_ENV = "DIGEST_TEST_API_KEYS"


@dataclass
class RecordingMailer:
    """Stands where the confirmation mailer goes: records the ids, or fails when told to."""

    sent: list[int] = field(default_factory=list)
    failing: bool = False

    def __call__(self, subscription_id: int) -> None:
        if self.failing:
            raise ConnectionError("the SMTP server is down")
        self.sent.append(subscription_id)


def api_settings(write_config) -> Settings:  # type: ignore[no-untyped-def]
    """Two sources whose regions are the topics on offer; the list weekly with no readers."""
    return write_config(
        {
            "sources": [
                {
                    "name": "Maghreb Dispatch",
                    "file": str(SAMPLES / "feeds" / "northern-africa.xml"),
                    "region": "Northern Africa",
                    "tags": ["Health"],
                },
                {
                    "name": "Sahel & Coast",
                    "file": str(SAMPLES / "feeds" / "west-africa.atom"),
                    "region": "West Africa",
                },
            ],
            "lists": [
                {"slug": "weekly", "name": "The Weekly"},
                {"slug": "alerts", "name": "Alerts"},
            ],
            "api": {"keys_env": KEYS_ENV, "page_size_max": 50},
        }
    )


@contextmanager
def live_api(
    settings: Settings, mailer: RecordingMailer, keys: str | None = KEY
) -> Iterator[httpx.Client]:
    """A client of the served app, sending the API key (when keys are set)."""
    environ = {KEYS_ENV: keys} if keys is not None else {}
    web = create_app(settings, clock=lambda: NOW, environ=environ, send_confirmation=mailer)
    with serve(web) as live:
        client = live.client()
        if keys:
            client.headers["Authorization"] = f"Bearer {KEY}"
        yield client
