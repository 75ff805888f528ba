"""Fetch feeds and pages safely: httpx with limits, an SSRF guard, conditional GET, local files."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import zlib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore
import httpx

from digest.collect.addresses import IPAddress, refusal
from digest.collect.local_files import read_local_file
from digest.config import CollectSettings
from digest.errors import FetchError, RetryLater, SourceGone

_REDIRECTS = {301, 302, 303, 307, 308}
_PERMANENT = {301, 308}
# A site asking for a week's pause is treated as asking for a week: never longer.
_LONGEST_WAIT = timedelta(days=7)
_DEFAULT_WAIT = timedelta(hours=1)


@dataclass(frozen=True)
class FetchResponse:
    url: str  # after redirects
    status: int
    body: bytes
    etag: str | None = None
    last_modified: str | None = None
    # Where a permanent redirect (301/308) sent us: the URL to fetch from now on.
    moved_to: str | None = None
    content_type: str = ""

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def _utcnow() -> datetime:
    return datetime.now(UTC)


class Fetcher:
    """One HTTP client for a collection run, with a global and a per-host concurrency limit."""

    def __init__(self, settings: CollectSettings, clock: Callable[[], datetime] = _utcnow) -> None:
        self.settings = settings
        self._clock = clock
        self._limit = asyncio.Semaphore(settings.concurrency)
        self._per_host: dict[str, asyncio.Semaphore] = {}
        self._allowed_names, self._allowed_networks = _allow_list(settings.allow_private_hosts)
        limits = httpx.Limits(max_connections=settings.concurrency)
        self._client = httpx.AsyncClient(
            # Connections go only to addresses the guard accepts, checked when connecting:
            # a name that resolves to a public address for the check and to a private one for
            # the connection (DNS rebinding) is refused. No proxy from the environment either:
            # it would connect for us, unchecked.
            transport=_GuardedTransport(_GuardedBackend(self._checked_addresses), limits),
            trust_env=False,
            timeout=httpx.Timeout(
                settings.timeout_seconds,
                connect=settings.connect_timeout_seconds,
                pool=settings.deadline_seconds,
            ),
            follow_redirects=False,  # each hop goes through the SSRF guard first
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": "gzip, deflate"},
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        local_folders: Sequence[Path] = (),
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResponse:
        """url's answer; a file: URL is read only from inside local_folders (a file source's
        own folders), never for a source fetched over the network."""
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            if not local_folders:
                raise FetchError(f"{url}: local files are read only for sources marked file:")
            body = read_local_file(url, local_folders, self.settings.max_bytes)
            return FetchResponse(url=url, status=200, body=body)
        if scheme not in ("http", "https"):
            raise FetchError(f"{url}: only http and https URLs can be fetched")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        host = (urlsplit(url).hostname or "").lower()
        per_host = self._per_host.setdefault(
            host, asyncio.Semaphore(self.settings.per_host_concurrency)
        )
        deadline = self.settings.deadline_seconds
        # Per host first: a request waiting for its busy site holds no global slot, so
        # pages queued for one site never keep the other sites waiting.
        async with per_host, self._limit:
            try:
                async with asyncio.timeout(deadline):
                    response = await self._follow(url, headers)
            except TimeoutError:
                raise FetchError(
                    f"{url}: not fetched within collect.deadline_seconds ({deadline:g}s)",
                    hint="the site sends too slowly; raise collect.deadline_seconds if it is slow",
                ) from None
            except httpx.TimeoutException as exc:
                which = "connect_timeout" if isinstance(exc, httpx.ConnectTimeout) else "timeout"
                raise FetchError(
                    f"{url}: timed out (collect.{which}_seconds)",
                    hint="the site is slow or down; raise collect.timeout_seconds if it is slow",
                ) from None
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from None
        if response.not_modified:
            return FetchResponse(
                response.url, 304, b"", etag, last_modified, moved_to=response.moved_to
            )
        return response

    async def _follow(self, url: str, headers: dict[str, str]) -> FetchResponse:
        moved_to: str | None = None
        permanent = True  # only an unbroken chain of 301/308 moves the source for good
        for _hop in range(self.settings.max_redirects + 1):
            await self._guard(url)
            request = self._client.build_request("GET", url, headers=headers)
            response = await self._client.send(request, stream=True)
            try:
                if response.status_code in _REDIRECTS:
                    location = response.headers.get("Location", "").strip()
                    if not location:
                        raise FetchError(f"{url}: HTTP {response.status_code} without a Location")
                    try:
                        url = urljoin(url, location)
                    except ValueError:  # "http://[bad/": no URL at all
                        raise FetchError(
                            f"{url}: HTTP {response.status_code} to a malformed Location"
                            f" {location[:200]!r}"
                        ) from None
                    permanent = permanent and response.status_code in _PERMANENT
                    if permanent:
                        moved_to = url
                    continue
                return await self._answer(url, response, moved_to)
            finally:
                await response.aclose()
        raise FetchError(
            f"{url}: more than collect.max_redirects ({self.settings.max_redirects}) redirects"
        )

    async def _answer(
        self, url: str, response: httpx.Response, moved_to: str | None
    ) -> FetchResponse:
        status = response.status_code
        if status == 304:
            return FetchResponse(url, 304, b"", moved_to=moved_to)
        if status == 410:
            raise SourceGone(f"{url}: HTTP 410 Gone: the source is deactivated")
        if status in (429, 503):
            wait = _retry_after(response.headers.get("Retry-After"), self._clock())
            if wait is not None or status == 429:
                retry_at = self._clock() + min(wait or _DEFAULT_WAIT, _LONGEST_WAIT)
                raise RetryLater(
                    f"{url}: HTTP {status}: not fetched again before {retry_at:%Y-%m-%d %H:%M} UTC",
                    retry_at=retry_at,
                )
        if status >= 400 or status < 200:
            raise FetchError(f"{url}: HTTP {status} {response.reason_phrase}")
        body = await self._read_body(url, response)
        return FetchResponse(
            url=url,
            status=status,
            body=body,
            etag=response.headers.get("ETag"),
            last_modified=response.headers.get("Last-Modified"),
            moved_to=moved_to,
            content_type=response.headers.get("Content-Type", ""),
        )

    async def _read_body(self, url: str, response: httpx.Response) -> bytes:
        """The body decompressed as it streams in: a gzip bomb stops at collect.max_bytes."""
        cap = self.settings.max_bytes
        too_big = FetchError(
            f"{url}: larger than collect.max_bytes ({cap} bytes after decompression)",
            hint="raise collect.max_bytes if this feed or page is really that large",
        )
        decoder = _Decoder(url, response.headers.get("Content-Encoding", ""))
        declared = response.headers.get("Content-Length", "")
        if decoder.identity and declared.isdigit() and int(declared) > cap:
            raise too_big
        chunks: list[bytes] = []
        size = 0
        async for raw in response.aiter_raw():
            for chunk in decoder.decode(raw, cap - size):
                size += len(chunk)
                if size > cap:
                    raise too_big
                chunks.append(chunk)
        return b"".join(chunks)

    async def check_url(self, url: str) -> None:
        """Raise FetchError unless url may be fetched: http(s), its host resolving only to
        addresses the SSRF guard accepts (as a fetch checks it, before any request)."""
        await self._guard(url)

    async def _guard(self, url: str) -> None:
        """Refuse anything but http(s) to public addresses, unless the host is allowed."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https"):
            raise FetchError(f"{url}: only http and https URLs can be fetched (a redirect?)")
        host = (parts.hostname or "").lower().rstrip(".")
        if not host:
            raise FetchError(f"{url}: no host in the URL")
        try:
            port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
        except ValueError:
            raise FetchError(f"{url}: invalid port") from None
        await self._checked_addresses(url, host, port)

    async def _checked_addresses(self, url: str, host: str, port: int) -> list[IPAddress]:
        """The addresses host resolves to, each one allowed; raises FetchError otherwise."""
        host = host.lower().rstrip(".")
        addresses = await _resolve(url, host, port)
        if host in self._allowed_names:
            return addresses
        for address in addresses:
            if any(address in n for n in self._allowed_networks):
                continue
            reason = refusal(address)
            if reason is not None:
                raise FetchError(
                    f"{url}: refused: {host} resolves to {address}, {reason}",
                    hint="add the host to collect.allow_private_hosts if it really is a source",
                )
        return addresses


class _Decoder:
    """Content-Encoding undone chunk by chunk, never producing more than asked for."""

    def __init__(self, url: str, encoding: str) -> None:
        name = encoding.strip().lower()
        self.identity = name in ("", "identity")
        if self.identity:
            self._inflate = None
        elif name in ("gzip", "x-gzip"):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif name == "deflate":
            self._inflate = zlib.decompressobj(32 + zlib.MAX_WBITS)
        else:
            raise FetchError(f"{url}: unsupported Content-Encoding {encoding!r}")
        self._url = url

    def decode(self, data: bytes, room: int) -> list[bytes]:
        if self._inflate is None:
            return [data]
        out: list[bytes] = []
        try:
            while data:
                # Never more than one byte past the room left: that is enough to see the cap hit.
                chunk = self._inflate.decompress(data, max(room, 0) + 1)
                out.append(chunk)
                room -= len(chunk)
                if room < 0:
                    break
                data = self._inflate.unconsumed_tail
                if self._inflate.eof:
                    break
        except zlib.error as exc:
            raise FetchError(f"{self._url}: corrupt compressed body ({exc})") from None
        return out


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to the addresses the check returns for the
    host (TLS still verifies the certificate against the host's name)."""

    def __init__(self, check: Callable[[str, str, int], Awaitable[list[IPAddress]]]) -> None:
        self._check = check
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await self._check(f"{host}:{port}", host, port)
        failure: Exception = httpcore.ConnectError(f"{host}: no address to connect to")
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    str(address), port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:
        raise httpcore.ConnectError("sources are not fetched over unix sockets")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport over a pool that uses the guarded network backend (httpx itself
    offers no way to pass one)."""

    def __init__(self, backend: httpcore.AsyncNetworkBackend, limits: httpx.Limits) -> None:
        super().__init__(limits=limits, trust_env=False)
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=backend,
        )


def _allow_list(hosts: list[str]) -> tuple[set[str], list[Network]]:
    names: set[str] = set()
    networks: list[Network] = []
    for host in hosts:
        try:
            networks.append(ipaddress.ip_network(host, strict=False))
        except ValueError:
            names.add(host.lower().rstrip("."))
    return names, networks


async def _resolve(url: str, host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise FetchError(f"{url}: cannot resolve {host}: {exc.strerror or exc}") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def _retry_after(value: str | None, now: datetime) -> timedelta | None:
    """Retry-After as seconds or as an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    # isdigit() alone takes "²" and other Unicode digits that int() refuses; a huge number
    # would overflow timedelta (or pass int()'s 4300-digit limit): a week is the most.
    if value.isascii() and value.isdigit():
        digits = value.lstrip("0") or "0"
        if len(digits) > 7:  # ten million seconds: more than a week already
            return _LONGEST_WAIT
        return min(timedelta(seconds=int(digits)), _LONGEST_WAIT)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(when - now, timedelta(0))
