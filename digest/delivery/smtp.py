"""A pooled SMTP transport (aiosmtplib): persistent connections, each reused for a number of
messages, reset after a refused transaction and reopened after any other error.

Addresses go with their domains as IDNA A-labels; one whose local part is UTF-8 goes only with
SMTPUTF8 (RFC 6531), and fails alone when the server does not offer it.

Replies map to outcomes: 250 -> sent; 4xx, a dropped connection, or a timeout before the
message data was handed over -> deferred; 5xx -> failed; a timeout or a dropped connection
while waiting for the reply to the data -> uncertain (RFC 5321 4.5.3.2.6: the server may have
accepted it, so retrying could send it twice).
"""

from __future__ import annotations

import asyncio
import re
import ssl

import aiosmtplib
from aiosmtplib.protocol import SMTPProtocol

from digest.delivery.addresses import UnencodableAddress, needs_smtputf8, wire_address
from digest.delivery.transport import SendResult
from digest.errors import DeliveryError
from digest.states import DeliveryStatus

# A line starting with a dot. (The regex engine finds a literal like this about three times
# faster than `in` on a 66 KB message, which it scans whole when there is none.)
_LEADING_DOT = re.compile(rb"\n\.")

# Replies that ask the client to slow down, for every connection to this server.
SLOW_DOWN_CODES = (421, 454)


class _Connection:
    def __init__(self, pool: SmtpPool) -> None:
        self.pool = pool
        self.client: aiosmtplib.SMTP | None = None
        self.sent_on_connection = 0

    async def connect(self) -> aiosmtplib.SMTP:
        pool = self.pool
        client = aiosmtplib.SMTP(
            hostname=pool.host,
            port=pool.port,
            timeout=pool.timeout,
            use_tls=pool.security == "tls",
            start_tls=pool.security == "starttls",
            tls_context=pool.tls_context,
        )
        try:
            await client.connect()
            if pool.username:
                await client.login(pool.username, pool.password or "")
        except BaseException:
            client.close()  # a greeting that never came leaves the socket open otherwise
            raise
        self.client, self.sent_on_connection = client, 0
        return client

    async def send(self, sender: str, recipient: str, message: bytes) -> SendResult:
        try:
            return await self._send(sender, recipient, message)
        except Exception:
            # An error none of the cases below expects: the session may be anywhere in its
            # transaction, so it is never reused; the caller records the message's failure.
            self.drop()
            raise

    async def _send(self, sender: str, recipient: str, message: bytes) -> SendResult:
        try:
            sender, recipient = wire_address(sender), wire_address(recipient)
        except UnencodableAddress as exc:
            return SendResult(DeliveryStatus.FAILED, str(exc))
        utf8 = needs_smtputf8(sender, recipient)
        client = self.client
        if client is not None and (
            not client.is_connected or self.sent_on_connection >= self.pool.messages_per_connection
        ):
            await self.close()
            client = None
        # Until RCPT TO, a refusal is of the connection or the sender, never of this reader.
        about_reader = False
        try:
            if client is None:
                client = await self.connect()
            if utf8 and not await _offers_smtputf8(client):
                # Not a reply of the server's: no transaction was begun, nothing to reset.
                return SendResult(
                    DeliveryStatus.FAILED,
                    f"the server does not offer SMTPUTF8, needed for {recipient}",
                )
            encoding = "utf-8" if utf8 else "ascii"
            await client.mail(sender, options=["SMTPUTF8"] if utf8 else [], encoding=encoding)
            about_reader = True
            await client.rcpt(recipient, encoding=encoding)
            start = await client.execute_command(b"DATA")
            if start.code != 354:
                raise aiosmtplib.SMTPDataError(start.code, start.message)
        except aiosmtplib.SMTPResponseException as exc:
            await self.reset()
            result = self.pool.classify(exc.code, exc.message)
            if about_reader or result.outcome != DeliveryStatus.FAILED:
                return result
            # A greeting, AUTH or MAIL FROM refused for good ("553 5.1.8 sender domain not
            # found") says nothing of the reader: failing the row, and suppressing the address
            # for its 5.1.x, would wipe the list. Deferred, it is retried once that is fixed.
            return SendResult(
                DeliveryStatus.DEFERRED, f"the server refused the sender: {result.reply}"
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            self.drop()
            return SendResult(DeliveryStatus.DEFERRED, f"before data: {exc or type(exc).__name__}")
        try:
            protocol = _hand_over(client, message)
        except (aiosmtplib.SMTPException, OSError) as exc:
            # The final dot never left: the server cannot have accepted the message.
            self.drop()
            return SendResult(DeliveryStatus.DEFERRED, f"during data: {exc or type(exc).__name__}")
        try:
            reply = await protocol.read_response(timeout=self.pool.data_timeout)
        except aiosmtplib.SMTPResponseException as exc:
            await self.reset()
            return self.pool.classify(exc.code, exc.message)
        except (aiosmtplib.SMTPException, OSError) as exc:
            # A timeout, or the connection lost, after the final dot (RFC 5321 4.5.3.2.6): the
            # server may have accepted the message, so retrying could send it twice.
            self.drop()
            text = str(exc) or type(exc).__name__
            return SendResult(DeliveryStatus.UNCERTAIN, f"no reply to the message data: {text}")
        if reply.code != 250:
            await self.reset()
            return self.pool.classify(reply.code, reply.message)
        self.sent_on_connection += 1
        return SendResult(DeliveryStatus.SENT, f"{reply.code} {reply.message}")

    async def reset(self) -> None:
        """RSET after a refused transaction; reconnect next time if even that fails."""
        if self.client is None or not self.client.is_connected:
            return
        try:
            await self.client.rset()
        except (aiosmtplib.SMTPException, OSError):
            self.drop()

    def drop(self) -> None:
        if self.client is not None:
            self.client.close()
        self.client = None

    async def close(self) -> None:
        if self.client is not None and self.client.is_connected:
            try:
                await self.client.quit()
            except (aiosmtplib.SMTPException, OSError):
                self.client.close()
        self.client = None


def _hand_over(client: aiosmtplib.SMTP, message: bytes) -> SMTPProtocol:
    """Write the message after the server's 354, with its final dot; the protocol to read the
    reply from.

    Messages come in SMTP wire form (CRLF line ends: see Transport), and those made by
    MessageTemplate have no line starting with a dot either, so they are written as they are:
    aiosmtplib's data() rewrites every message with two regular expressions, over half the CPU
    of a send. A leading dot, should one come, is still doubled here."""
    protocol = client.protocol
    if protocol is None:
        raise aiosmtplib.SMTPServerDisconnected("Connection lost")
    protocol.write(dot_stuffed(message) + b".\r\n")
    return protocol


async def _offers_smtputf8(client: aiosmtplib.SMTP) -> bool:
    """Whether the server's EHLO reply lists SMTPUTF8 (greeted first if it was not yet)."""
    if client.is_ehlo_or_helo_needed:
        try:
            await client.ehlo()
        except aiosmtplib.SMTPHeloError:
            await client.helo()  # no ESMTP at all, so no SMTPUTF8; MAIL still needs a greeting
    return client.supports_extension("smtputf8")


class SmtpPool:
    """Up to `size` connections; send() may be awaited by that many tasks at once."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        security: str = "starttls",
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        data_timeout: float = 120.0,
        size: int = 4,
        messages_per_connection: int = 100,
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host, self.port, self.security = host, port, security
        self.username, self.password = username, password
        self.timeout, self.data_timeout = timeout, data_timeout
        self.size = size
        self.messages_per_connection = messages_per_connection
        self.tls_context = tls_context
        self.slow_down_replies = 0
        self._idle: asyncio.Queue[_Connection] = asyncio.Queue()
        self._all: list[_Connection] = []

    @property
    def concurrency(self) -> int:
        return self.size

    def describe(self) -> str:
        return f"SMTP {self.host}:{self.port} ({self.security}, {self.size} connections)"

    async def open(self) -> None:
        """Open one connection up front, so a dead server fails before any row is touched."""
        self._idle = asyncio.Queue()
        self._all = [_Connection(self) for _ in range(self.size)]
        try:
            await self._all[0].connect()
        except (aiosmtplib.SMTPException, OSError) as exc:
            raise self._open_failure(exc) from None
        for connection in self._all:
            self._idle.put_nowait(connection)

    def _open_failure(self, exc: aiosmtplib.SMTPException | OSError) -> DeliveryError:
        """What went wrong opening the first connection, with what to check for that case."""
        where, text = self.describe(), str(exc) or type(exc).__name__
        if isinstance(exc, TimeoutError):  # aiosmtplib's timeouts are TimeoutErrors too
            return DeliveryError(
                f"{where}: no answer within {self.timeout:g} s: {text}",
                hint="the server did not answer in delivery.smtp.timeout_seconds: check "
                "delivery.smtp.host and delivery.smtp.port (a firewall may drop the "
                "connection), or allow more seconds",
            )
        if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
            return DeliveryError(
                f"{where}: login refused: {exc.code} {exc.message}",
                hint="check delivery.smtp.username and the password in the environment "
                "variable named by delivery.smtp.password_env",
            )
        if "SMTP AUTH extension" in text:
            return DeliveryError(
                f"{where}: login impossible: {text}",
                hint="the server offers no AUTH on this connection: many offer it only over "
                "TLS (delivery.smtp.security: starttls or tls); a relay that needs no login "
                "takes an empty delivery.smtp.username",
            )
        tls = _tls_error(exc)
        if tls is not None or "STARTTLS" in text:
            return DeliveryError(f"{where}: TLS failed: {text}", hint=_tls_hint(tls))
        return DeliveryError(
            f"{where}: cannot connect: {text}",
            hint="nothing accepts connections there: check delivery.smtp.host and "
            "delivery.smtp.port in config.yaml and that the server is up",
        )

    async def send(self, sender: str, recipient: str, message: bytes) -> SendResult:
        connection = await self._idle.get()
        try:
            return await connection.send(sender, recipient, message)
        finally:
            self._idle.put_nowait(connection)

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self._all), return_exceptions=True)

    def classify(self, code: int, message: str) -> SendResult:
        reply = f"{code} {message}".strip()
        if code in SLOW_DOWN_CODES:
            self.slow_down_replies += 1
            return SendResult(DeliveryStatus.DEFERRED, reply, slow_down=True)
        if 400 <= code < 500:
            return SendResult(DeliveryStatus.DEFERRED, reply)
        return SendResult(DeliveryStatus.FAILED, reply)


def _tls_error(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error behind exc (aiosmtplib wraps a failed handshake in SMTPConnectError)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _tls_hint(error: ssl.SSLError | None) -> str:
    if error is None:
        return (
            "the server does not offer STARTTLS: set delivery.smtp.security to tls if the port "
            "is one of implicit TLS (465), or to none only for a local relay"
        )
    if isinstance(error, ssl.SSLCertVerificationError):
        return (
            "the server's certificate is not trusted for delivery.smtp.host: use the host name "
            "its certificate names, or add its certificate authority to the system's trust store"
        )
    return (
        "the TLS handshake failed: security tls needs a port of implicit TLS (465); a port that "
        "starts in plain text (587, 25) needs starttls; check delivery.smtp.security and "
        "delivery.smtp.port"
    )


def dot_stuffed(message: bytes) -> bytes:
    """Lines starting with a dot doubled (RFC 5321 4.5.2) and a final CRLF: the one search
    over the message is cheap, the rewriting happens only when it is needed."""
    if message.startswith(b".") or _LEADING_DOT.search(message):
        message = message.replace(b"\n.", b"\n..")
        if message.startswith(b"."):
            message = b"." + message
    return message if message.endswith(b"\r\n") else message + b"\r\n"
