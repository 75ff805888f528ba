"""The transport the settings choose, and the SMTP password read from its variable."""

from __future__ import annotations

import pytest

from digest.delivery.file_outbox import FileOutbox
from digest.delivery.smtp import SmtpPool
from digest.delivery.transport_factory import make_transport
from digest.errors import ConfigError

SMTP = {"transport": "smtp", "smtp": {"host": "127.0.0.1", "port": 2525, "security": "none"}}


def test_the_file_transport_writes_into_the_configured_folder(write_config) -> None:
    settings = write_config({"delivery": {"transport": "file", "file": {"directory": "mail"}}})
    transport = make_transport(settings)
    assert isinstance(transport, FileOutbox)
    assert transport.directory == settings.config_path.parent / "mail"


def test_smtp_without_a_username_needs_no_password(write_config, monkeypatch) -> None:
    monkeypatch.delenv("DIGEST_SMTP_PASSWORD", raising=False)
    transport = make_transport(write_config({"delivery": SMTP}))
    assert isinstance(transport, SmtpPool)
    assert (transport.username, transport.password) == (None, None)


def test_smtp_with_a_username_takes_the_password_from_its_variable(
    write_config, monkeypatch
) -> None:
    smtp = {**SMTP["smtp"], "username": "digest", "password_env": "TEST_SMTP_SECRET"}
    settings = write_config({"delivery": {**SMTP, "smtp": smtp}})
    monkeypatch.delenv("TEST_SMTP_SECRET", raising=False)
    with pytest.raises(ConfigError, match="TEST_SMTP_SECRET is not set") as raised:
        make_transport(settings)
    assert "SMTP password for digest" in (raised.value.hint or "")

    monkeypatch.setenv("TEST_SMTP_SECRET", "s3cret")
    transport = make_transport(settings)
    assert isinstance(transport, SmtpPool)
    assert (transport.username, transport.password) == ("digest", "s3cret")
