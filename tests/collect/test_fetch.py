"""The fetch rules against a real HTTP server on 127.0.0.1: conditional GET, redirects and the
SSRF guard, 410, 429/503 with Retry-After, timeouts, byte caps, gzip bombs, concurrency limits."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from digest.collect.fetch import Fetcher, FetchResponse
from digest.config import CollectSettings
from digest.errors import FetchError, RetryLater, SourceGone
from tests.servers import FixtureHTTPServer, Route

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FEED = b"<?xml version='1.0'?><rss version='2.0'><channel><title>t</title></channel></rss>"


def settings(**overrides: Any) -> CollectSettings:
    values: dict[str, Any] = {"allow_private_hosts": ["127.0.0.1"], **overrides}
    return CollectSettings(**values)


def fetch(url: str, collect: CollectSettings | None = None, **kwargs: Any) -> FetchResponse:
    async def run() -> FetchResponse:
        async with Fetcher(collect or settings(), clock=lambda: NOW) as fetcher:
            return await fetcher.fetch(url, **kwargs)

    return asyncio.run(run())


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FixtureHTTPServer]:
    http = FixtureHTTPServer().start()
    yield http
    http.stop()


@pytest.fixture
def server(shared_server: FixtureHTTPServer) -> FixtureHTTPServer:
    """One server for the module (stopping one takes half a second), emptied for each test."""
    shared_server.routes.clear()
    shared_server.requests.clear()
    shared_server.most_active = 0
    return shared_server


def test_conditional_get_sends_the_stored_validators_and_304_carries_no_body(
    server: FixtureHTTPServer,
) -> None:
    server.routes["/feed"] = Route(
        FEED,
        etag='"v1"',
        headers={"ETag": '"v1"', "Last-Modified": "Mon, 23 Nov 2026 08:00:00 GMT"},
    )
    first = fetch(server.url("/feed"))
    assert (first.status, first.body, first.etag) == (200, FEED, '"v1"')
    assert first.last_modified == "Mon, 23 Nov 2026 08:00:00 GMT"

    again = fetch(server.url("/feed"), etag=first.etag, last_modified=first.last_modified)

    assert again.not_modified and again.body == b""
    assert (again.etag, again.last_modified) == (first.etag, first.last_modified)
    sent = server.requests[-1][1]
    assert sent["If-None-Match"] == '"v1"'
    assert sent["If-Modified-Since"] == "Mon, 23 Nov 2026 08:00:00 GMT"


def test_every_request_names_digest_as_its_user_agent(server: FixtureHTTPServer) -> None:
    server.routes["/feed"] = Route(FEED)
    fetch(server.url("/feed"), settings(user_agent="digest/9 (+https://example.org/bot)"))
    assert server.requests[-1][1]["User-Agent"] == "digest/9 (+https://example.org/bot)"


def test_a_permanent_redirect_reports_the_new_address(server: FixtureHTTPServer) -> None:
    server.routes["/old"] = Route(b"", status=301, headers={"Location": "/newer"})
    server.routes["/newer"] = Route(b"", status=308, headers={"Location": "/new"})
    server.routes["/new"] = Route(FEED)

    response = fetch(server.url("/old"))

    assert response.body == FEED and response.url == server.url("/new")
    assert response.moved_to == server.url("/new")


def test_a_temporary_redirect_keeps_the_old_address(server: FixtureHTTPServer) -> None:
    server.routes["/old"] = Route(b"", status=301, headers={"Location": "/step"})
    server.routes["/step"] = Route(b"", status=302, headers={"Location": "/new"})
    server.routes["/new"] = Route(FEED)

    response = fetch(server.url("/old"))

    assert response.body == FEED
    # Only the unbroken run of permanent hops counts: /step may move again.
    assert response.moved_to == server.url("/step")


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",  # cloud metadata (link-local)
        "http://10.1.2.3/feed",  # private
        "http://[::1]:8080/feed",  # loopback, IPv6
        "http://0.0.0.0/feed",  # unspecified
        "http://224.0.0.1/feed",  # multicast
        "file:///etc/passwd",  # not http(s)
        "gopher://127.0.0.1/feed",
    ],
)
def test_a_redirect_to_a_private_address_or_scheme_is_refused(
    server: FixtureHTTPServer, target: str
) -> None:
    server.routes["/feed"] = Route(b"", status=302, headers={"Location": target})

    with pytest.raises(FetchError) as refused:
        fetch(server.url("/feed"), local_folders=[Path("/")])

    assert "refused" in refused.value.message or "only http and https" in refused.value.message
    assert [path for path, _ in server.requests] == ["/feed"]


def test_loopback_is_refused_unless_allowed_in_the_configuration(
    server: FixtureHTTPServer,
) -> None:
    server.routes["/feed"] = Route(FEED)

    with pytest.raises(FetchError, match=r"resolves to 127\.0\.0\.1") as refused:
        fetch(server.url("/feed"), CollectSettings())
    assert "collect.allow_private_hosts" in refused.value.hint
    assert server.requests == []
    # A host name resolving to loopback is refused as well; the allow list lets it through.
    with pytest.raises(FetchError, match="private or reserved"):
        fetch(f"http://localhost:{server.port}/feed", CollectSettings())
    # localhost may resolve to ::1 as well as 127.0.0.1 (stock Debian): both are allowed.
    loopback = settings(allow_private_hosts=["127.0.0.1", "::1"])
    assert fetch(f"http://localhost:{server.port}/feed", loopback).body == FEED
    assert fetch(server.url("/feed"), settings(allow_private_hosts=["127.0.0.0/8"])).body == FEED


def test_a_local_path_is_read_only_for_sources_marked_as_files(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(FEED)
    with pytest.raises(FetchError, match="only for sources marked file"):
        fetch(path.as_uri())
    assert fetch(path.as_uri(), local_folders=[tmp_path]).body == FEED


def test_a_local_file_is_read_only_from_inside_the_folders_given(tmp_path: Path) -> None:
    pages, elsewhere = tmp_path / "pages", tmp_path / "elsewhere"
    pages.mkdir()
    elsewhere.mkdir()
    (elsewhere / "secret.html").write_bytes(b"secret")
    (pages / "page.html").write_bytes(b"page")
    (pages / "link.html").symlink_to(elsewhere / "secret.html")
    (pages / "up").symlink_to(tmp_path)
    (pages / "loop.html").symlink_to(pages / "loop.html")
    assert fetch((pages / "page.html").as_uri(), local_folders=[pages]).body == b"page"
    for url in (
        (elsewhere / "secret.html").as_uri(),
        (pages / "link.html").as_uri(),  # a symlink out
        (pages / "up" / "elsewhere" / "secret.html").as_uri(),  # a symlinked folder out
        pages.as_uri() + "/../elsewhere/secret.html",
        pages.as_uri() + "/%2e%2e%2felsewhere%2fsecret.html",
    ):
        with pytest.raises(FetchError, match="is outside the folder") as refused:
            fetch(url, local_folders=[pages])
        assert str(pages) in refused.value.message and "pages_dir" in refused.value.hint
    with pytest.raises(FetchError, match="not on this machine"):
        fetch("file://files.example.org" + str(pages / "page.html"), local_folders=[pages])
    with pytest.raises(FetchError, match="cannot read"):
        fetch((pages / "loop.html").as_uri(), local_folders=[pages])
    with pytest.raises(FetchError, match="not a regular file"):
        fetch(pages.as_uri(), local_folders=[tmp_path])
    with pytest.raises(FetchError, match=r"collect\.max_bytes"):
        fetch((pages / "page.html").as_uri(), settings(max_bytes=3), local_folders=[pages])


def test_too_many_redirects_stop(server: FixtureHTTPServer) -> None:
    server.routes["/loop"] = Route(b"", status=302, headers={"Location": "/loop"})
    with pytest.raises(FetchError, match=r"more than collect.max_redirects \(3\)"):
        fetch(server.url("/loop"), settings(max_redirects=3))
    assert len(server.requests) == 4


def test_410_means_the_source_is_gone(server: FixtureHTTPServer) -> None:
    server.routes["/feed"] = Route(b"gone", status=410)
    with pytest.raises(SourceGone, match="410"):
        fetch(server.url("/feed"))


@pytest.mark.parametrize(
    ("status", "retry_after", "wait"),
    [
        (429, "120", timedelta(seconds=120)),
        (503, "Mon, 23 Nov 2026 11:30:00 GMT", timedelta(hours=2, minutes=30)),
        (429, None, timedelta(hours=1)),  # no Retry-After: an hour
        (429, "99999999", timedelta(days=7)),  # never more than a week
        (429, "99999999999999999999", timedelta(days=7)),  # past what timedelta holds
        (429, "9" * 5000, timedelta(days=7)),  # past what int() reads
        (429, "²", timedelta(hours=1)),  # a Unicode digit int() refuses: unreadable
        (503, "Mon, 23 Nov 99999 11:30:00 GMT", None),  # an unreadable date: no wait
    ],
)
def test_429_and_503_say_when_to_come_back(
    server: FixtureHTTPServer, status: int, retry_after: str | None, wait: timedelta | None
) -> None:
    headers = {"Retry-After": retry_after} if retry_after else {}
    server.routes["/feed"] = Route(b"busy", status=status, headers=headers)
    if wait is None:  # a 503 without a readable Retry-After is an ordinary failure
        with pytest.raises(FetchError, match="HTTP 503") as failed:
            fetch(server.url("/feed"))
        assert not isinstance(failed.value, RetryLater)
        return
    with pytest.raises(RetryLater) as later:
        fetch(server.url("/feed"))
    assert later.value.retry_at == NOW + wait


def test_503_without_retry_after_is_an_ordinary_failure(server: FixtureHTTPServer) -> None:
    server.routes["/feed"] = Route(b"down", status=503)
    with pytest.raises(FetchError, match="HTTP 503") as failed:
        fetch(server.url("/feed"))
    assert not isinstance(failed.value, RetryLater)


def test_a_slow_answer_hits_the_read_timeout(server: FixtureHTTPServer) -> None:
    server.routes["/slow"] = Route(FEED, delay=1.5)
    with pytest.raises(FetchError, match="timed out"):
        fetch(server.url("/slow"), settings(timeout_seconds=0.3))


def test_a_body_dripping_slowly_hits_the_deadline(server: FixtureHTTPServer) -> None:
    # Each byte arrives well within the read timeout; only the whole-fetch deadline stops it.
    server.routes["/drip"] = Route(b"", chunks=lambda: itertools.repeat(b"<"), chunk_delay=0.1)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"collect.deadline_seconds \(0.8s\)"):
        fetch(server.url("/drip"), settings(timeout_seconds=5, deadline_seconds=0.8))
    assert time.monotonic() - started < 3


def test_an_endless_body_stops_at_the_byte_cap(server: FixtureHTTPServer) -> None:
    server.routes["/endless"] = Route(b"", chunks=lambda: itertools.repeat(b"x" * 65536))
    with pytest.raises(FetchError, match=r"larger than collect.max_bytes \(1000000 bytes"):
        fetch(server.url("/endless"), settings(max_bytes=1_000_000))


def test_a_declared_length_over_the_cap_is_refused_before_reading(
    server: FixtureHTTPServer,
) -> None:
    server.routes["/big"] = Route(b"y" * 300_000)
    with pytest.raises(FetchError, match=r"larger than collect\.max_bytes"):
        fetch(server.url("/big"), settings(max_bytes=100_000))


def _bomb(size: int) -> bytes:
    return gzip.compress(b"\0" * size, compresslevel=9)


def test_a_gzip_bomb_stops_at_the_cap_after_decompression(server: FixtureHTTPServer) -> None:
    bomb = _bomb(200_000_000)  # 200 MB of zeros in about 200 kB
    assert len(bomb) < 300_000
    server.routes["/bomb"] = Route(bomb, headers={"Content-Encoding": "gzip"})
    started = time.monotonic()
    with pytest.raises(FetchError, match="after decompression"):
        fetch(server.url("/bomb"), settings(max_bytes=2_000_000))
    # Stopped at the cap, not after inflating 200 MB.
    assert time.monotonic() - started < 2


def test_a_gzipped_body_under_the_cap_is_decompressed(server: FixtureHTTPServer) -> None:
    server.routes["/feed"] = Route(gzip.compress(FEED), headers={"Content-Encoding": "gzip"})
    assert fetch(server.url("/feed")).body == FEED
    assert server.requests[-1][1]["Accept-Encoding"] == "gzip, deflate"


def test_an_unknown_content_encoding_is_an_error(server: FixtureHTTPServer) -> None:
    server.routes["/feed"] = Route(FEED, headers={"Content-Encoding": "zstd-ish"})
    with pytest.raises(FetchError, match="unsupported Content-Encoding"):
        fetch(server.url("/feed"))


def _fetch_many(urls: list[str], collect: CollectSettings) -> float:
    async def run() -> float:
        async with Fetcher(collect, clock=lambda: NOW) as fetcher:
            started = time.monotonic()
            await asyncio.gather(*(fetcher.fetch(u) for u in urls))
            return time.monotonic() - started

    return asyncio.run(run())


def test_one_host_gets_at_most_per_host_concurrency_requests_at_once(
    server: FixtureHTTPServer,
) -> None:
    for i in range(6):
        server.routes[f"/p{i}"] = Route(FEED, delay=0.2)
    _fetch_many(
        [server.url(f"/p{i}") for i in range(6)], settings(concurrency=8, per_host_concurrency=2)
    )
    assert server.most_active == 2


def test_the_global_limit_holds_over_every_host(server: FixtureHTTPServer) -> None:
    for i in range(8):
        server.routes[f"/p{i}"] = Route(FEED, delay=0.25)
    # Two host names for the same server: each may have 3 at once, both together only 2.
    urls = [server.url(f"/p{i}") for i in range(4)]
    urls += [f"http://localhost:{server.port}/p{i}" for i in range(4, 8)]
    loopback = ["127.0.0.1", "::1"]  # localhost may resolve to both (stock Debian)
    _fetch_many(urls, settings(concurrency=2, per_host_concurrency=3, allow_private_hosts=loopback))
    assert server.most_active == 2


def test_pages_queued_for_one_busy_site_do_not_hold_up_another(
    server: FixtureHTTPServer,
) -> None:
    for i in range(5):
        server.routes[f"/p{i}"] = Route(FEED, delay=0.3)
    busy = [server.url(f"/p{i}") for i in range(4)]  # one at a time: 1.2 s in all
    other = f"http://localhost:{server.port}/p4"  # another host name: another site
    done: dict[str, float] = {}

    async def run() -> None:
        collect = settings(
            concurrency=2, per_host_concurrency=1, allow_private_hosts=["127.0.0.1", "localhost"]
        )
        async with Fetcher(collect, clock=lambda: NOW) as fetcher:
            started = time.monotonic()

            async def one(url: str) -> None:
                await fetcher.fetch(url)
                done[url] = time.monotonic() - started

            await asyncio.gather(*(one(u) for u in [*busy, other]))

    asyncio.run(run())
    # The other site gets the second global slot at once instead of after the busy site's queue.
    assert done[other] < 0.9, done
    assert max(done[u] for u in busy) >= 1.2


def test_a_redirect_to_a_malformed_location_is_a_fetch_error(server: FixtureHTTPServer) -> None:
    server.routes["/feed"] = Route(b"", status=301, headers={"Location": "http://[bad/"})
    with pytest.raises(FetchError, match="malformed Location"):
        fetch(server.url("/feed"))


def test_an_allowed_host_with_an_impossible_port_is_a_fetch_error() -> None:
    # An allowed host name skips resolution; the URL itself is still refused, as our error.
    with pytest.raises(FetchError, match="localhost"):
        fetch("http://localhost:99999/feed", settings(allow_private_hosts=["localhost"]))


def test_a_name_that_resolves_elsewhere_when_connecting_is_refused(
    shared_server: FixtureHTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNS rebinding: the name answers with a public address when checked, then with the
    loopback address when connected to. The connection itself must be checked."""
    import socket

    shared_server.routes["/rebound.xml"] = Route(b"<rss/>")
    answers = iter(["93.184.216.34"] + ["127.0.0.1"] * 10)
    lookups: list[str] = []
    resolve = asyncio.BaseEventLoop.getaddrinfo

    async def rebinding_resolver(  # the system's resolver, as a rebinding name answers
        self: asyncio.AbstractEventLoop, host: Any, port: Any, **kwargs: Any
    ) -> Any:
        if host not in ("rebind.example", b"rebind.example"):  # anyio passes it encoded
            return await resolve(self, host, port, **kwargs)
        address = next(answers)
        lookups.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

    blocking_resolve = socket.getaddrinfo

    def blocking_rebinding_resolver(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host not in ("rebind.example", b"rebind.example"):
            return blocking_resolve(host, port, *args, **kwargs)
        address = next(answers)
        lookups.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

    # Both ways a name is looked up: the event loop's, and the blocking call in a thread.
    monkeypatch.setattr(asyncio.BaseEventLoop, "getaddrinfo", rebinding_resolver)
    monkeypatch.setattr(socket, "getaddrinfo", blocking_rebinding_resolver)
    url = shared_server.url("/rebound.xml").replace("127.0.0.1", "rebind.example")
    with pytest.raises(FetchError, match=r"resolves to 127\.0\.0\.1"):
        fetch(url, settings(allow_private_hosts=[]))
    assert lookups[:2] == ["93.184.216.34", "127.0.0.1"]  # checked once more to connect
    assert "/rebound.xml" not in [path for path, _ in shared_server.requests]
