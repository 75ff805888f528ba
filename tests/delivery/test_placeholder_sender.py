"""A send through SMTP with the shipped placeholder From or postal address is refused before
anything is sent; the file outbox (the Quickstart) takes the placeholders as they are."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from digest.config_sections import (
    SHIPPED_FROM_ADDRESS,
    SHIPPED_POSTAL_ADDRESS,
    NewsletterSettings,
)
from tests.delivery.scenario import SOURCES, digest, smtp_config
from tests.servers import FixtureSMTPServer

REPO = Path(__file__).resolve().parents[2]


def test_the_placeholders_are_the_shipped_config_s_and_the_defaults() -> None:
    shipped = yaml.safe_load((REPO / "config.yaml").read_text(encoding="utf-8"))["newsletter"]
    assert shipped["from_address"] == SHIPPED_FROM_ADDRESS
    assert shipped["postal_address"] == SHIPPED_POSTAL_ADDRESS
    assert NewsletterSettings().shipped_placeholders() == [
        ("from_address", SHIPPED_FROM_ADDRESS),
        ("postal_address", SHIPPED_POSTAL_ADDRESS),
    ]
    own = NewsletterSettings(from_address="news@coast.example.net", postal_address="1 Quay, Dakar")
    assert own.shipped_placeholders() == []


def newsletter(**keys: str) -> dict[str, Any]:
    return {"from_address": "news@coast.example.net", "postal_address": "1 Quay, Dakar"} | keys


def test_an_smtp_run_with_the_placeholder_postal_address_is_refused_before_sending(
    write_config: Any, smtp_server: FixtureSMTPServer
) -> None:
    config = smtp_config(smtp_server)
    config["newsletter"] = newsletter(postal_address=SHIPPED_POSTAL_ADDRESS)
    config["lists"][0]["demo_subscribers"] = ["reader@example.org"]
    settings = write_config(config)

    result = digest(settings.config_path, "run")

    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"error: config.yaml: newsletter.postal_address: still the shipped placeholder "
        f"{SHIPPED_POSTAL_ADDRESS!r}: nothing sent through SMTP",
        "hint: set newsletter.postal_address to your organisation's postal address (printed in "
        "every footer) in config.yaml; the file outbox (delivery.transport: file) takes the "
        "placeholders",
    ]
    assert smtp_server.handler.received == [] and smtp_server.handler.events == []


def test_the_placeholder_from_address_is_named_first_and_the_other_key_in_the_hint(
    write_config: Any, smtp_server: FixtureSMTPServer
) -> None:
    config = smtp_config(smtp_server)
    config["newsletter"] = newsletter(
        from_address=SHIPPED_FROM_ADDRESS, postal_address=SHIPPED_POSTAL_ADDRESS
    )
    settings = write_config(config)

    result = digest(settings.config_path, "send")

    assert result.returncode == 1
    error, hint = result.stderr.strip().splitlines()
    assert error == (
        "error: config.yaml: newsletter.from_address: still the shipped placeholder "
        f"{SHIPPED_FROM_ADDRESS!r}: nothing sent through SMTP"
    )
    assert hint.startswith("hint: set newsletter.from_address to an address of your own domain")
    assert "and newsletter.postal_address" in hint
    assert smtp_server.handler.events == []


def test_an_smtp_send_with_addresses_of_its_own_goes_out(
    write_config: Any, smtp_server: FixtureSMTPServer
) -> None:
    config = smtp_config(smtp_server)
    config["newsletter"] = newsletter()
    config["lists"][0]["demo_subscribers"] = ["reader@example.org"]
    settings = write_config(config)

    result = digest(settings.config_path, "run")

    assert result.returncode == 0, result.stderr
    assert [r.mail_from for r in smtp_server.handler.received] == ["news@coast.example.net"]


def test_the_file_outbox_takes_the_placeholders(write_config: Any) -> None:
    settings = write_config(
        {
            "newsletter": {
                "from_address": SHIPPED_FROM_ADDRESS,
                "postal_address": SHIPPED_POSTAL_ADDRESS,
            },
            "sources": SOURCES,
        }
    )

    result = digest(settings.config_path, "run")

    assert result.returncode == 0, result.stderr
    assert "Delivered to 1 recipient(s) via file outbox" in result.stdout
    assert len(list((settings.config_path.parent / "outbox").glob("*.eml"))) == 1
