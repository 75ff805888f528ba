"""Fetch feeds and pages: httpx (async, timeouts, size cap, conditional GET) and local files."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from urllib.parse import urlsplit
from urllib.request import url2pathname

import httpx

from digest.config import CollectSettings
from digest.errors import FetchError


@dataclass(frozen=True)
class FetchResponse:
    url: str  # after redirects
    status: int
    body: bytes
    etag: str | None = None
    last_modified: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class Fetcher:
    """One HTTP client for a collection run, with a global concurrency limit."""

    def __init__(self, settings: CollectSettings) -> None:
        self.settings = settings
        self._limit = asyncio.Semaphore(settings.concurrency)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(settings.timeout_seconds),
            follow_redirects=True,
            max_redirects=settings.max_redirects,
            headers={"User-Agent": settings.user_agent},
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
        allow_file: bool = False,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> FetchResponse:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "file":
            if not allow_file:
                raise FetchError(f"{url}: local files are read only for sources marked file:")
            return self._read_file(url)
        if scheme not in ("http", "https"):
            raise FetchError(f"{url}: only http and https URLs can be fetched")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        async with self._limit:
            try:
                return await asyncio.wait_for(
                    self._get(url, headers), timeout=self.settings.timeout_seconds * 2
                )
            except (httpx.TimeoutException, TimeoutError):
                raise FetchError(
                    f"{url}: timed out after {self.settings.timeout_seconds:g}s",
                    hint="the site is slow or down; raise collect.timeout_seconds if it is slow",
                ) from None
            except httpx.TooManyRedirects:
                raise FetchError(
                    f"{url}: more than {self.settings.max_redirects} redirects"
                ) from None
            except httpx.HTTPError as exc:
                raise FetchError(f"{url}: {type(exc).__name__}: {exc}") from None

    async def _get(self, url: str, headers: dict[str, str]) -> FetchResponse:
        async with self._client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return FetchResponse(str(response.url), 304, b"", etag=headers.get("If-None-Match"))
            if response.status_code >= 400:
                raise FetchError(f"{url}: HTTP {response.status_code} {response.reason_phrase}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.settings.max_bytes:
                    raise FetchError(
                        f"{url}: larger than collect.max_bytes ({self.settings.max_bytes} bytes)"
                    )
                chunks.append(chunk)
            return FetchResponse(
                url=str(response.url),
                status=response.status_code,
                body=b"".join(chunks),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
            )

    def _read_file(self, url: str) -> FetchResponse:
        path = Path(url2pathname(urlsplit(url).path))
        try:
            size = path.stat().st_size
            if size > self.settings.max_bytes:
                raise FetchError(f"{path}: larger than collect.max_bytes")
            return FetchResponse(url=url, status=200, body=path.read_bytes())
        except FileNotFoundError:
            raise FetchError(
                f"{path}: file not found", hint="check the source's file: path"
            ) from None
        except OSError as exc:
            raise FetchError(f"{path}: cannot read: {exc.strerror}") from None
