"""Attacks on the collector, run against the real collection on loopback: SSRF through IPv6
forms that embed an IPv4 address, `file:` sources reading outside their folder, and feed bombs
(entity expansion, external and parameter entities, a NUL in the XML declaration, too many
entries, feeds that take too long or too much memory to parse)."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from digest import pipeline
from digest.collect.fetch import Fetcher
from digest.config import CollectSettings, Settings
from digest.errors import FetchError
from digest.models import Article, Source
from tests.servers import FixtureHTTPServer, Route
from tests.test_pipeline import full_item, rss

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
REPO = Path(__file__).resolve().parents[2]


def stored(rt: pipeline.Runtime) -> dict[str, Article]:
    with rt.sessions() as session:
        return {a.title: a for a in session.scalars(select(Article))}


# SSRF: IPv6 forms that carry an IPv4 address -----------------------------------------------

# Each one leads (through a tunnel, a translator or the kernel) to the IPv4 address inside it.
EMBEDDING = [
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "2002:c0a8:101::1",  # 6to4 of 192.168.1.1
    "2002:a9fe:a9fe::",  # 6to4 of 169.254.169.254 (cloud metadata)
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1
    "2001:0:4136:e378:8000:63bf:f7f7:f7f7",  # Teredo, client 8.8.8.8: a tunnel all the same
    "64:ff9b::7f00:1",  # NAT64 (well-known prefix) of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "64:ff9b:1::a00:1",  # NAT64 local-use prefix (RFC 8215)
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "::7f00:1",  # IPv4-compatible (deprecated)
    "::ffff:0:7f00:1",  # IPv4-translated (SIIT)
    "fec0::1",  # site-local (deprecated, still routed inside some networks)
]


@pytest.fixture(scope="module")
def shared_server() -> Iterator[FixtureHTTPServer]:
    """One server for the many addresses (stopping one takes half a second)."""
    http = FixtureHTTPServer().start()
    yield http
    http.stop()


@pytest.mark.parametrize("address", EMBEDDING)
def test_an_ipv6_form_embedding_a_private_ipv4_is_refused(
    shared_server: FixtureHTTPServer, address: str
) -> None:
    """Asked directly and reached by a redirect from an allowed host: refused before any
    connection, naming the address."""
    http_server = shared_server
    http_server.requests.clear()
    http_server.routes["/feed"] = Route(
        b"", status=302, headers={"Location": f"http://[{address}]:{http_server.port}/feed"}
    )
    collect = CollectSettings(allow_private_hosts=["127.0.0.1"], connect_timeout_seconds=1)

    async def fetch(url: str) -> None:
        async with Fetcher(collect, clock=lambda: NOW) as fetcher:
            await fetcher.fetch(url)

    for url in (f"http://[{address}]:{http_server.port}/feed", http_server.url("/feed")):
        with pytest.raises(FetchError) as refused:
            asyncio.run(fetch(url))
        assert "refused" in refused.value.message, refused.value.message
        assert "collect.allow_private_hosts" in refused.value.hint
    assert [path for path, _ in http_server.requests] == ["/feed"]  # only the redirect


def test_a_teaser_linking_to_a_6to4_loopback_page_is_that_items_error(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/teasers.xml"] = Route(
        rss(
            [
                {
                    "title": "Inside job",
                    "link": f"http://[2002:7f00:1::1]:{http_server.port}/admin",
                    "guid": "inside-1",
                },
                full_item(1),
            ]
        )
    )
    settings = write_config(
        {"sources": [{"name": "Teasers", "url": http_server.url("/teasers.xml")}]}
    )
    with pipeline.runtime(settings, NOW) as rt:
        [report] = pipeline.collect(rt, NOW).sources
        assert set(stored(rt)) == {"Story number 1"}
    assert report.error is None
    [problem] = report.problems
    assert problem.startswith("Inside job: http://[2002:7f00:1::1]")
    assert "refused" in problem and "127.0.0.1" in problem


# file: sources read their pages only from their folder ---------------------------------------

PAGE = "".join(
    f"<p>Paragraph {i}: the harbour board met the traders again and agreed new quay fees "
    "for the coming season, after a long public consultation.</p>"
    for i in range(8)
)


def _teaser(title: str, link: str) -> dict[str, str]:
    return {"title": title, "link": link, "guid": title.lower().replace(" ", "-")}


def _local_site(root: Path) -> Path:
    """A site on disk laid out as the bundled samples are: feeds/ and pages/ side by side,
    with a secret next to them that no feed may read."""
    (root / "feeds").mkdir(parents=True)
    (root / "pages").mkdir()
    (root / "secret").mkdir()
    (root / "pages" / "good.html").write_text(
        f"<html><body><article><h1>Good</h1>{PAGE}</article></body></html>", encoding="utf-8"
    )
    (root / "secret" / "notes.html").write_text(
        "<html><body><article>" + "<p>SECRET-NOTES never to be mailed out.</p>" * 20,
        encoding="utf-8",
    )
    (root / "pages" / "leak.html").symlink_to("/etc/passwd")
    (root / "pages" / "secret-link.html").symlink_to(root / "secret" / "notes.html")
    return root / "feeds" / "local.xml"


HOSTILE_LINKS = {
    "Absolute path": "/etc/passwd",
    "Climbing out": "../" * 16 + "etc/hostname",
    "Encoded climb": "..%2F" * 16 + "etc%2Fpasswd",
    "Dotted climb": "%2e%2e/" * 16 + "etc/passwd",
    "File URL": "file:///etc/passwd",
    "File URL with a host": "file://files.example.org/etc/passwd",
    "Symlink out": "../pages/leak.html",
    "Symlink to a sibling": "../pages/secret-link.html",
    "Sibling folder": "../secret/notes.html",
}


def _assert_nothing_leaked(articles: dict[str, Article]) -> None:
    hostname = Path("/etc/hostname").read_text(encoding="utf-8").strip()
    for article in articles.values():
        for value in (article.text, article.summary or "", article.title):
            assert "root:" not in value
            assert "SECRET-NOTES" not in value
            assert not hostname or hostname not in value.split()


def test_a_file_source_reads_pages_only_from_its_pages_folder(
    write_config: Any, tmp_path: Path
) -> None:
    feed = _local_site(tmp_path / "site")
    items = [_teaser("Good story", "../pages/good.html")]
    items += [_teaser(title, link) for title, link in HOSTILE_LINKS.items()]
    feed.write_bytes(rss(items))
    settings = write_config({"sources": [{"name": "Local", "file": str(feed)}]})

    with pipeline.runtime(settings, NOW) as rt:
        [report] = pipeline.collect(rt, NOW).sources
        articles = stored(rt)

    _assert_nothing_leaked(articles)
    assert report.error is None
    assert "the harbour board met the traders" in articles["Good story"].text
    problems = {p.split(": ", 1)[0]: p for p in report.problems}
    assert set(problems) == set(HOSTILE_LINKS), report.problems
    pages = str((tmp_path / "site" / "pages").resolve())
    for problem in problems.values():
        # Named: the link resolved, the folder it had to stay in. (feedparser turns
        # file:///etc/passwd into file://etc/passwd: a host, refused as another machine's.)
        outside = "is outside the folder" in problem and pages in problem
        # A root-relative link of a feed file is on the site the feed names, never on disk.
        on_site = problem.startswith("Absolute path: https://desk.example.org/etc/passwd: ")
        assert outside or on_site or "not on this machine: never read" in problem, problem
    # The refused items were not stored: nothing of them reaches an issue.
    assert set(articles) == {"Good story"}


def test_pages_dir_names_the_folder_a_file_source_reads_its_pages_from(
    write_config: Any, tmp_path: Path
) -> None:
    site = tmp_path / "site"
    (site / "articles").mkdir(parents=True)
    (site / "articles" / "story.html").write_text(
        f"<html><body><article>{PAGE}</article></body></html>", encoding="utf-8"
    )
    (site / "pages").mkdir()
    (site / "pages" / "other.html").write_text(
        f"<html><body><article>{PAGE}</article></body></html>", encoding="utf-8"
    )
    feed = site / "index.xml"
    feed.write_bytes(
        rss(
            [_teaser("In articles", "articles/story.html"), _teaser("In pages", "pages/other.html")]
        )
    )
    settings = write_config(
        {"sources": [{"name": "Local", "file": str(feed), "pages_dir": str(site / "articles")}]}
    )
    with pipeline.runtime(settings, NOW) as rt:
        [report] = pipeline.collect(rt, NOW).sources
        assert set(stored(rt)) == {"In articles"}
    [problem] = report.problems
    assert problem.startswith("In pages: ") and str((site / "articles").resolve()) in problem


def test_the_bundled_samples_keep_reading_their_pages(write_config: Any) -> None:
    samples = REPO / "digest" / "samples" / "feeds"
    settings = write_config(
        {
            "sources": [
                {"name": "Maghreb", "file": str(samples / "northern-africa.xml")},
                {"name": "Sahel", "file": str(samples / "west-africa.atom")},
            ]
        }
    )
    with pipeline.runtime(settings, NOW) as rt:
        report = pipeline.collect(rt, NOW)
    assert not report.failed, [(s.error, s.problems) for s in report.failed]
    assert report.new_articles >= 6


def test_a_file_link_in_a_feed_fetched_over_http_is_never_read(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    http_server.routes["/feed.xml"] = Route(
        rss([_teaser("Passwords", "file:///etc/passwd"), full_item(1)])
    )
    settings = write_config({"sources": [{"name": "Web", "url": http_server.url("/feed.xml")}]})
    with pipeline.runtime(settings, NOW) as rt:
        [report] = pipeline.collect(rt, NOW).sources
        articles = stored(rt)
    assert report.error is None
    _assert_nothing_leaked(articles)
    assert "Story number 1" in articles


# Feed bombs ---------------------------------------------------------------------------------


def _feed(prolog: str, items: str, version: str = "2.0") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        + prolog
        + f'\n<rss version="{version}"><channel><title>Bomb desk</title>'
        "<link>https://bombs.example.org/</link><description>Bombs</description>"
        + items
        + "</channel></rss>"
    ).encode()


def _item(n: int, title: str = "", description: str = "") -> str:
    body = full_item(n)["content"].replace("<", "&lt;").replace(">", "&gt;")
    return (
        f"<item><title>{title or f'Story number {n}'}</title>"
        f"<link>https://bombs.example.org/{n}</link><guid>bombs-{n}</guid>"
        f"<description>{description or body}</description></item>"
    )


LAUGHS = (
    "<!DOCTYPE rss [\n"
    '<!ENTITY lol0 "lol">\n'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n' for i in range(1, 10))
    + "]>"
)
QUADRATIC = '<!DOCTYPE rss [\n<!ENTITY e "' + "x" * 10_000 + '">\n]>'
BOMBS = {
    "laughs": (_feed(LAUGHS, _item(1, title="&lol9;")), "refers to another entity"),
    "quadratic": (
        _feed(QUADRATIC, _item(1, description="&e;" * 100_000)),
        "entity",
    ),
    "external": (
        _feed('<!DOCTYPE rss [\n<!ENTITY e SYSTEM "file:///etc/passwd">\n]>', _item(1, "&e;")),
        "external entity",
    ),
    "parameter": (
        _feed(
            '<!DOCTYPE rss [\n<!ENTITY % p SYSTEM "file:///etc/passwd">\n%p;\n]>',
            _item(1),
        ),
        "parameter entit",
    ),
    "nul": (
        _feed("", _item(1)).replace(b'encoding="utf-8"', b'encoding="utf\x00-8"'),
        "XML declaration",
    ),
}
NETSCAPE = _feed(
    '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"\n'
    ' "http://my.netscape.com/publish/formats/rss-0.91.dtd">',
    _item(7, title="Old but gold"),
    version="0.91",
)
# A few short plain-text entities, as some hand-made feeds declare: expanded, within bounds.
DECLARED = _feed(
    '<!DOCTYPE rss [\n<!ENTITY desk "Harbour Desk">\n<!ENTITY nbsp "&#160;">\n]>',
    _item(8, title="From the &desk;&nbsp;today"),
)


def test_feed_bombs_are_their_sources_errors_in_a_run_that_collects_the_others(
    write_config: Any, http_server: FixtureHTTPServer, tmp_path: Path
) -> None:
    """The real `digest collect` on every bomb at once: each is its source's error, fast and
    without memory to speak of, and the good feeds beside them are collected."""
    sources = []
    for name, (body, _) in BOMBS.items():
        http_server.routes[f"/{name}.xml"] = Route(body)
        sources.append({"name": name, "url": http_server.url(f"/{name}.xml")})
    for name, body in (("netscape", NETSCAPE), ("declared", DECLARED)):
        http_server.routes[f"/{name}.xml"] = Route(body)
        sources.append({"name": name, "url": http_server.url(f"/{name}.xml")})
    http_server.routes["/calm.xml"] = Route(rss([full_item(2)]))
    sources.append({"name": "calm", "url": http_server.url("/calm.xml")})
    # teaser_words 0: every item is whole, no page is fetched (their links are not on loopback).
    collect = {"allow_private_hosts": ["127.0.0.1"], "teaser_words": 0}
    settings = write_config({"collect": collect, "sources": sources})

    # A fresh interpreter runs `digest collect` and reports the peak memory of it and of every
    # process it started, and how long it took.
    measure = textwrap.dedent(
        """
        import json, resource, subprocess, sys, time
        start = time.perf_counter()
        try:
            done = subprocess.run(sys.argv[1:], capture_output=True, text=True, timeout=60)
            code, stderr = done.returncode, done.stderr[-2000:]
        except subprocess.TimeoutExpired:
            code, stderr = "timeout", "still collecting after 60 s"
        print(json.dumps({
            "seconds": time.perf_counter() - start,
            "peak_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            "code": code,
            "stderr": stderr,
        }))
        """
    )
    environ = {**os.environ, "DIGEST_SECRET_KEY": "k" * 48, "NO_COLOR": "1"}
    command = [sys.executable, "-c", measure, sys.executable, "-m", "digest"]
    command += ["--config", str(settings.config_path), "--now", NOW.isoformat(), "collect"]
    # What `digest collect` imports before it collects: the command, and the collecting step
    # (the pipeline imports each step on first use, so `collect --help` alone loads less).
    imports = "import digest.cli.sources\nfrom digest import pipeline\npipeline.collect"
    baseline = [sys.executable, "-c", measure, sys.executable, "-c", imports]
    run = json.loads(subprocess.run(command, capture_output=True, env=environ, timeout=90).stdout)
    idle = json.loads(subprocess.run(baseline, capture_output=True, env=environ, timeout=60).stdout)
    assert run["code"] == 0, run["stderr"]

    with pipeline.runtime(settings, NOW) as rt, rt.sessions() as session:
        errors = {s.name: s.last_error for s in session.scalars(select(Source))}
        titles = set(stored(rt))
    for name, (_, reason) in BOMBS.items():
        error = errors[name] or ""
        assert reason in error and error.startswith(http_server.url(f"/{name}.xml")), error
    assert errors["netscape"] is None and errors["declared"] is None and errors["calm"] is None
    assert titles == {"Old but gold", "From the Harbour Desk today", "Story number 2"}
    # Bounds: unguarded, this run goes on past 60 s and 2.9 GB (the quadratic bomb alone:
    # 85 s). Starting Python and importing what collecting needs (timed in the same way) is
    # most of what is left; the margin is for a loaded machine.
    assert run["seconds"] < 3 * idle["seconds"] + 5, (run, idle)
    assert run["peak_kb"] < idle["peak_kb"] + 150_000, (run, idle)


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_each_bomb_is_refused_by_the_parser_within_a_fraction_of_a_second(name: str) -> None:
    """parse_feed alone, in a fresh interpreter: refused quickly, with little memory."""
    body, reason = BOMBS[name]
    probe = textwrap.dedent(
        """
        import resource, sys, time
        from digest.collect.feeds import parse_feed
        from digest.errors import CollectError
        data = sys.stdin.buffer.read()
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        try:
            parse_feed(data, "https://bombs.example.org/feed.xml")
            outcome = "parsed"
        except CollectError as exc:
            outcome = exc.message
        except Exception as exc:
            outcome = f"bare {type(exc).__name__}: {exc}"
        seconds = time.perf_counter() - start
        grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        print(f"{seconds:.3f} {grown}")
        print(outcome)
        """
    )
    try:
        done = subprocess.run(
            [sys.executable, "-c", probe], input=body, capture_output=True, timeout=10
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{name}: still parsing after 10 s")
    figures, outcome = done.stdout.decode().split("\n", 1)
    seconds, grown_kb = figures.split()
    assert reason in outcome and not outcome.startswith(("parsed", "bare")), outcome
    assert float(seconds) < 0.5 and int(grown_kb) < 50_000, (seconds, grown_kb)


def _hostile_and_calm(
    write_config: Any, server: FixtureHTTPServer, body: bytes, **collect: Any
) -> Settings:
    server.routes["/hostile.xml"] = Route(body)
    server.routes["/calm.xml"] = Route(rss([full_item(2)]))
    return write_config(
        {
            "collect": {"allow_private_hosts": ["127.0.0.1"], "teaser_words": 0, **collect},
            "sources": [
                {"name": "Hostile", "url": server.url("/hostile.xml")},
                {"name": "Calm", "url": server.url("/calm.xml")},
            ],
        }
    )


def test_a_feed_with_more_entries_than_allowed_is_refused_before_parsing(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    # 200,000 empty items fit in 1.4 MB and took feedparser 15 s (700,000 in 5 MB: 53 s).
    items = "<item/>" * 200_000
    settings = _hostile_and_calm(write_config, http_server, _feed("", items), max_entries=500)
    start = time.perf_counter()
    with pipeline.runtime(settings, NOW) as rt:
        hostile, calm = pipeline.collect(rt, NOW).sources
    # About 1.5 s alone, 3.7 s seen on a loaded machine: still far from parsing it (15 s).
    assert time.perf_counter() - start < 8
    assert hostile.error is not None and "collect.max_entries (500)" in hostile.error
    assert calm.error is None and calm.new_articles == 1


def test_a_feed_that_parses_too_slowly_is_stopped_at_the_deadline(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    # Escaped markup opening a million tags in one description: seconds of feedparser's time.
    slow = _feed("", _item(1, description="&lt;b&gt;" * 300_000))
    settings = _hostile_and_calm(write_config, http_server, slow, parse_timeout_seconds=0.5)
    start = time.perf_counter()
    with pipeline.runtime(settings, NOW) as rt:
        hostile, calm = pipeline.collect(rt, NOW).sources
    assert time.perf_counter() - start < 4
    assert hostile.error is not None and "collect.parse_timeout_seconds" in hostile.error
    assert calm.error is None and calm.new_articles == 1


def test_a_feed_that_needs_too_much_memory_to_parse_is_stopped(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    # One tag with half a million attributes, escaped in a description: about 150 bytes of
    # memory for each byte of the feed in feedparser's sanitiser.
    hungry = _feed("", _item(1, description="&lt;a " + "a=b " * 500_000 + "&gt;"))
    settings = _hostile_and_calm(write_config, http_server, hungry, parse_memory_mb=100)
    with pipeline.runtime(settings, NOW) as rt:
        hostile, calm = pipeline.collect(rt, NOW).sources
    assert hostile.error is not None and "collect.parse_memory_mb" in hostile.error
    assert calm.error is None and calm.new_articles == 1


def test_an_external_dtd_or_entity_is_never_fetched(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    """Both point at the loopback server, which records every request it gets."""
    dtd = http_server.url("/evil.dtd")
    http_server.routes["/evil.dtd"] = Route(b'<!ENTITY leak "leaked">', content_type="text/xml")
    feeds = {
        "/entity.xml": _feed(f'<!DOCTYPE rss [\n<!ENTITY e SYSTEM "{dtd}">\n]>', _item(1, "&e;")),
        "/dtd.xml": _feed(f'<!DOCTYPE rss SYSTEM "{dtd}">', _item(3, title="Plain &leak;")),
        "/calm.xml": rss([full_item(2)]),
    }
    http_server.routes.update({path: Route(body) for path, body in feeds.items()})
    settings = write_config(
        {
            "collect": {"allow_private_hosts": ["127.0.0.1"], "teaser_words": 0},
            "sources": [{"name": path, "url": http_server.url(path)} for path in feeds],
        }
    )
    with pipeline.runtime(settings, NOW) as rt:
        entity, with_dtd, calm = pipeline.collect(rt, NOW).sources
        titles = set(stored(rt))
    assert entity.error is not None and "an external entity" in entity.error
    assert with_dtd.error is None and calm.error is None
    assert "Story number 2" in titles and not any("leaked" in title for title in titles)
    assert "/evil.dtd" not in [path for path, _ in http_server.requests]


def test_a_small_feed_that_parses_slowly_stops_at_the_deadline_and_freezes_nothing(
    write_config: Any, http_server: FixtureHTTPServer
) -> None:
    """A 63 kB feed whose description holds one long style attribute: feedparser's style
    sanitiser is quadratic on it (97 s) and holds the GIL, so parsed in a thread it froze the
    whole process (web app and scheduler too) and no deadline applied."""
    style = _feed("", _item(1, description="&lt;p style='" + "a" * 62_000 + "'&gt;x&lt;/p&gt;"))
    assert len(style) < 64_000
    settings = _hostile_and_calm(write_config, http_server, style, parse_timeout_seconds=1)
    stalls: list[float] = []
    done = threading.Event()

    def probe() -> None:
        while not done.is_set():
            before = time.perf_counter()
            time.sleep(0.02)
            stalls.append(time.perf_counter() - before)

    # The garbage collector holds the GIL too: in a test worker with a large heap, a full
    # collection during the run is a stall this test is not about (CI once saw a 4.35 s stall
    # here on a loaded machine; a full collection is the likely cause, not feed parsing, which
    # never runs in this process). Collected first, then off while it measures.
    gc.collect()
    gc.disable()
    watcher = threading.Thread(target=probe, daemon=True)
    watcher.start()
    start = time.perf_counter()
    try:
        with pipeline.runtime(settings, NOW) as rt:
            hostile, calm = pipeline.collect(rt, NOW).sources
    finally:
        done.set()
        watcher.join()
        gc.enable()
    assert time.perf_counter() - start < 8
    assert hostile.error is not None and "collect.parse_timeout_seconds" in hostile.error
    assert calm.error is None and calm.new_articles == 1
    assert max(stalls) < 1.5, max(stalls)
