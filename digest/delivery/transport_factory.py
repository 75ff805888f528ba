"""The transport the settings choose: a file outbox, or a pool of SMTP connections."""

from __future__ import annotations

from digest.config import Settings
from digest.delivery.file_outbox import FileOutbox
from digest.delivery.smtp import SmtpPool
from digest.delivery.transport import Transport
from digest.secret_key import smtp_password


def make_transport(settings: Settings) -> Transport:
    delivery = settings.delivery
    if delivery.transport == "file":
        return FileOutbox(settings.resolve(delivery.file.directory))
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
    )
