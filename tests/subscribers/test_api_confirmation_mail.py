"""The API's double opt-in with the app's own confirmation mailer: the mail reaches a real
SMTP server on 127.0.0.1 once per resend window, and a dead server gives 503, row kept."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
from sqlalchemy import select

from digest import db, pipeline
from digest.config import Settings
from digest.web import create_app
from subscribers.models import Subscription
from tests.servers import FixtureSMTPServer, _free_port
from tests.subscribers.api_rig import KEY, KEYS_ENV, NOW, api_settings
from tests.web.conftest import serve

BODY = {"email": "ann@example.org", "list": "weekly", "consent": "Send me The Weekly"}


def settings_for(write_config, port: int) -> Settings:  # type: ignore[no-untyped-def]
    base = api_settings(write_config)
    return write_config(
        {
            "sources": [s.model_dump(mode="json", exclude_none=True) for s in base.sources],
            "lists": [{"slug": "weekly", "name": "The Weekly"}],
            "api": {"keys_env": KEYS_ENV},
            "delivery": {
                "transport": "smtp",
                "smtp": {"host": "127.0.0.1", "port": port, "security": "none"},
            },
        }
    )


@contextmanager
def api_client(settings: Settings) -> Iterator[httpx.Client]:
    web = create_app(settings, clock=lambda: NOW, environ={KEYS_ENV: KEY})
    with serve(web) as live:
        client = live.client()
        client.headers["Authorization"] = f"Bearer {KEY}"
        yield client


def test_the_api_sends_the_real_confirmation_mail_once_per_window(
    write_config,  # type: ignore[no-untyped-def]
    smtp_server: FixtureSMTPServer,
) -> None:
    settings = settings_for(write_config, smtp_server.port)
    with api_client(settings) as api:
        created = api.post("/api/subscriptions", json=BODY)
        assert created.status_code == 201, created.text
        again = api.post("/api/subscriptions", json=BODY)
        assert again.status_code == 200, again.text
    [message] = smtp_server.handler.parsed()
    assert message["To"] == "ann@example.org"
    text = message.get_body(preferencelist=("plain",)).get_content()
    [token] = re.findall(r"https://news\.example\.org/confirm/([\w.-]+)", text)
    with pipeline.runtime(settings, NOW) as rt:  # the app's own signer accepts the token
        subject = rt.signer.verify("confirm", token, now=NOW, max_age=timedelta(days=7))
    assert subject is not None and subject.subscriber_id == created.json()["subscriber_id"]


def test_a_dead_smtp_server_gives_503_and_keeps_the_pending_row(write_config) -> None:  # type: ignore[no-untyped-def]
    settings = settings_for(write_config, _free_port())  # nothing listens there
    with api_client(settings) as api:
        refused = api.post("/api/subscriptions", json=BODY)
    assert refused.status_code == 503, refused.text
    assert "post it again later" in refused.json()["error"]
    engine = db.make_engine(settings.database_url)
    try:
        with db.session_factory(engine)() as session:
            row = session.scalars(select(Subscription)).one()
            # Pending, and no mail recorded as sent: the next request tries again at once.
            assert (row.status, row.confirmation_sent_at) == ("pending", None)
    finally:
        engine.dispose()
