"""The transport the settings choose: a file outbox, or a pool of SMTP connections."""

from __future__ import annotations

from digest.config import Settings
from digest.delivery.file_outbox import FileOutbox
from digest.delivery.smtp import SmtpPool
from digest.delivery.transport import Transport
from digest.errors import ConfigError
from digest.secret_key import smtp_password


def make_transport(settings: Settings) -> Transport:
    """The configured transport; SMTP is refused while the sender is still the shipped one."""
    delivery = settings.delivery
    if delivery.transport == "file":
        return FileOutbox(settings.resolve(delivery.file.directory))
    _refuse_placeholders(settings)
    smtp = delivery.smtp
    return SmtpPool(
        host=smtp.host,
        port=smtp.port,
        security=smtp.security,
        username=smtp.username,
        password=smtp_password(settings),
        timeout=smtp.timeout_seconds,
        data_timeout=smtp.data_timeout_seconds,
        size=smtp.pool_size,
        messages_per_connection=smtp.messages_per_connection,
        # Every envelope sender is this one, or (VERP) this one with a reader's token.
        plain_sender=delivery.bounce_address or settings.newsletter.from_address,
    )


_FIXES = {
    "from_address": "an address of your own domain (where SPF and DKIM let you send)",
    "postal_address": "your organisation's postal address (printed in every footer)",
}


def _refuse_placeholders(settings: Settings) -> None:
    placeholders = settings.newsletter.shipped_placeholders()
    if not placeholders:
        return
    (key, value), others = placeholders[0], [k for k, _ in placeholders[1:]]
    also = "".join(f" and newsletter.{k} to {_FIXES[k]}" for k in others)
    raise ConfigError(
        f"{settings.config_path.name}: newsletter.{key}: still the shipped placeholder "
        f"{value!r}: nothing sent through SMTP",
        hint=f"set newsletter.{key} to {_FIXES[key]}{also} in config.yaml; the file outbox "
        "(delivery.transport: file) takes the placeholders",
    )
