"""A transport over SMTP (aiosmtplib): one persistent connection, reopened after any error."""

from __future__ import annotations

import aiosmtplib

from digest.delivery.transport import SendResult
from digest.errors import DeliveryError


class SmtpTransport:
    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.timeout = timeout
        self._client: aiosmtplib.SMTP | None = None

    def describe(self) -> str:
        return f"SMTP {self.host}:{self.port} ({self.security})"

    async def open(self) -> None:
        """Connect once up front, so a dead server fails the send before any row is touched."""
        try:
            await self._connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise DeliveryError(
                f"{self.describe()}: cannot connect: {exc}",
                hint="check delivery.smtp.host/port in config.yaml and that the server is up",
            ) from None

    async def _connect(self) -> aiosmtplib.SMTP:
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            timeout=self.timeout,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
        )
        await client.connect()
        if self.username:
            await client.login(self.username, self.password or "")
        self._client = client
        return client

    async def send(self, sender: str, recipient: str, message: bytes) -> SendResult:
        try:
            client = self._client if self._client and self._client.is_connected else None
            if client is None:
                client = await self._connect()
            _errors, reply = await client.sendmail(sender, [recipient], message)
            return SendResult("sent", reply)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            await self._reset()
            refused = exc.recipients[0]
            return _by_code(refused.code, refused.message)
        except aiosmtplib.SMTPResponseException as exc:
            await self._reset()
            return _by_code(exc.code, exc.message)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            # Dropped connection or timeout: the message may be retried later.
            await self._drop()
            return SendResult("deferred", f"connection: {exc or type(exc).__name__}")

    async def close(self) -> None:
        if self._client is not None and self._client.is_connected:
            try:
                await self._client.quit()
            except (aiosmtplib.SMTPException, OSError):
                self._client.close()
        self._client = None

    async def _reset(self) -> None:
        """RSET after a refused transaction; reconnect next time if even that fails."""
        if self._client is None or not self._client.is_connected:
            return
        try:
            await self._client.rset()
        except (aiosmtplib.SMTPException, OSError):
            await self._drop()

    async def _drop(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None


def _by_code(code: int, message: str) -> SendResult:
    reply = f"{code} {message}".strip()
    if 400 <= code < 500:
        return SendResult("deferred", reply)
    return SendResult("failed", reply)
