"""Benchmark: counted story links (/c/WHO/TOKEN) through a real `digest serve` on 127.0.0.1.

Run by hand: python -m tests.bench.bench_clicks [--requests 4000] [--burst 10000]
             [--clients 200] [--database-url postgresql+psycopg://…]

Three figures, each from one run of this script:

  latency    200 clients at once (one connection each), first GET /healthz (the baseline: a
             route that asks the database SELECT 1), then GET of story links: median and 99th
             percentile per request, the links' beside the baseline's as a ratio
  burst      --burst clicks as fast as the clients can send them, each from its own client
             (user agent) so none is a repeat: every 302 must be one stored click, exactly
  restart    the same burst again; a third of the way in, `digest serve` gets SIGTERM and is
             started again (and once more with SIGKILL, a crash): the clicks stored must be
             every click answered 302 (none lost), and none that was refused or cut off

The load is made by this process (httpx, asyncio) on the same machine, so the figures say what
the redirect costs beside the cheapest page that touches the database, on this machine.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import yaml
from sqlalchemy import func, select

from digest import db, pipeline
from digest.config import load_settings
from digest.models import Article, Issue, IssueArticle, StoryClick
from digest.states import IssueStatus
from subscribers.membership import get_list

REPO = Path(__file__).resolve().parents[2]
STORIES = 12
# Every request of the run comes from its own client (user agent): no click is a repeat.
READERS = itertools.count()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(folder: Path, port: int, database_url: str | None) -> Path:
    config = {
        "newsletter": {"base_url": f"http://127.0.0.1:{port}"},
        "database": {"url": database_url or f"sqlite:///{folder / 'digest.db'}"},
        "paths": {"templates": str(REPO / "templates")},
        "delivery": {"transport": "file", "file": {"directory": str(folder / "outbox")}},
        "web": {"secure_cookies": False, "max_connections_per_client": 1000},
        "lists": [{"slug": "weekly", "name": "The Weekly", "timezone": "UTC"}],
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def sent_issue(config: Path) -> tuple[list[str], int]:
    """A sent issue of STORIES stories; the path of each story's link in a mail, its id."""
    now = datetime.now(UTC)
    settings = load_settings(config)
    with pipeline.runtime(settings, now) as rt, db.transaction(rt.sessions) as session:
        weekly = get_list(session, "weekly")
        week = {"period_start": now - timedelta(days=7), "period_end": now}
        issue = Issue(list_id=weekly.id, number=1, subject="Bench", status=IssueStatus.SENT, **week)
        articles = [
            Article(identity=f"bench:{i}", url=f"https://news.example.org/story/{i}", title=f"S{i}")
            for i in range(STORIES)
        ]
        session.add(issue)
        session.add_all(articles)
        session.flush()
        session.add_all(
            IssueArticle(issue_id=issue.id, article_id=a.id, position=i)
            for i, a in enumerate(articles)
        )
        paths = [f"/c/m/{rt.signer.clicks.story_token(issue.id, a.id)}" for a in articles]
        return paths, issue.id


def stored_clicks(config: Path, issue_id: int) -> int:
    settings = load_settings(config)
    engine = db.make_engine(settings.database_url)
    try:
        with engine.connect() as connection:
            total = connection.scalar(
                select(func.coalesce(func.sum(StoryClick.clicks), 0)).where(
                    StoryClick.issue_id == issue_id
                )
            )
        return int(total or 0)
    finally:
        engine.dispose()


@dataclass
class Server:
    config: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                *(sys.executable, "-m", "digest", "--config", str(self.config), "serve"),
                *("--host", "127.0.0.1", "--port", str(self.port)),
                *("--no-scheduler", "--no-worker"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("digest serve did not start")
            time.sleep(0.1)

    def stop(self, signum: int = signal.SIGTERM) -> None:
        if self.process is not None:
            self.process.send_signal(signum)
            self.process.wait(timeout=60)
            self.process = None


@dataclass
class Run:
    latencies: list[float]
    ok: int = 0  # answered as expected (200 for /healthz, 302 for a link)
    failed: int = 0  # refused, cut off, or another status
    seconds: float = 0.0


class Connection:
    """One keep-alive HTTP/1.1 connection, as lean as a load generator needs (httpx costs more
    CPU per request than the server's answer here, on the same two cores)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get(self, path: str, agent: str) -> int:
        if self.streams is None:
            self.streams = await asyncio.open_connection("127.0.0.1", self.port)
        reader, writer = self.streams
        try:
            writer.write(
                f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {agent}\r\n\r\n".encode()
            )
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            if b"connection: close" in head.lower():
                self.close()
            return int(head.split(b" ", 2)[1])
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        if self.streams is not None:
            self.streams[1].close()
            self.streams = None


async def load(
    port: int,
    paths: list[str],
    count: int,
    clients: int,
    expect: int,
    on_progress: asyncio.Event | None = None,
    progress_at: int = 0,
) -> Run:
    """count requests answered, by `clients` concurrent clients (one connection each), each
    request from its own user agent; one refused or cut off is sent again (a reader clicks
    again), and counted as failed."""
    run = Run([])
    issued = answered = 0

    async def client() -> None:
        nonlocal issued, answered
        connection = Connection(port)
        while issued < count:
            issued += 1
            path = random.choice(paths)
            started = time.perf_counter()
            try:
                status = await connection.get(path, f"bench-reader-{next(READERS)}")
            except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
                issued -= 1  # sent again
                run.failed += 1
                await asyncio.sleep(0.05)  # the server is restarting
                continue
            answered += 1
            run.latencies.append(time.perf_counter() - started)
            if status == expect:
                run.ok += 1
            else:
                run.failed += 1
            if on_progress is not None and answered >= progress_at:
                on_progress.set()
        connection.close()

    started = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    run.seconds = time.perf_counter() - started
    return run


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def burst_with_restart(
    server: Server, paths: list[str], n: int, clients: int, signum: int
) -> Run:
    """A burst during which the server is stopped (signum) and started again."""
    third = asyncio.Event()
    burst = asyncio.create_task(load(server.port, paths, n, clients, 302, third, n // 3))
    await third.wait()
    await asyncio.to_thread(server.stop, signum)
    await asyncio.to_thread(server.start)
    return await burst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--database-url", help="default: SQLite in a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        config = write_config(Path(tmp), port, args.database_url)
        paths, issue_id = sent_issue(config)
        server = Server(config, port)
        server.start()
        try:
            asyncio.run(load(port, ["/healthz"], 200, 20, 200))  # warm up
            health = asyncio.run(load(port, ["/healthz"], args.requests, args.clients, 200))
            links = asyncio.run(load(port, paths, args.requests, args.clients, 302))
            before = stored_clicks(config, issue_id)
            burst = asyncio.run(load(port, paths, args.burst, args.clients, 302))
            after_burst = stored_clicks(config, issue_id)
            restarts = {}
            for name, signum in (("SIGTERM", signal.SIGTERM), ("SIGKILL", signal.SIGKILL)):
                start = stored_clicks(config, issue_id)
                run = asyncio.run(
                    burst_with_restart(server, paths, args.burst, args.clients, signum)
                )
                restarts[name] = (run, stored_clicks(config, issue_id) - start)
        finally:
            server.stop()
    print(
        f"counted story links, `digest serve` on 127.0.0.1, {args.clients} concurrent clients, "
        f"{'PostgreSQL' if args.database_url else 'SQLite'}"
    )
    columns = ("requests", "median ms", "p99 ms", "req/s", "median x", "p99 x")
    print(f"{'':14} " + " ".join(f"{c:>9}" for c in columns))
    base_median = statistics.median(health.latencies)
    base_p99 = percentile(health.latencies, 0.99)
    for name, run in (("GET /healthz", health), ("GET /c/m/…", links)):
        median, p99 = statistics.median(run.latencies), percentile(run.latencies, 0.99)
        print(
            f"{name:14} {run.ok:9} {median * 1000:9.1f} {p99 * 1000:9.1f} "
            f"{run.ok / run.seconds:9.0f} {median / base_median:9.2f} {p99 / base_p99:9.2f}"
        )
    stored = after_burst - before
    print(
        f"burst: {args.burst} clicks in {burst.seconds:.1f} s ({burst.ok / burst.seconds:.0f}/s): "
        f"{burst.ok} answered 302, {burst.failed} failed, {stored} stored"
    )
    exact = stored == burst.ok == args.burst and not burst.failed
    for name, (run, stored_now) in restarts.items():
        print(
            f"restart ({name} a third of the way in): {run.ok} answered 302, {run.failed} "
            f"refused or cut off (sent again), {stored_now} stored "
            f"({stored_now - run.ok:+d} beside the 302s)"
        )
    lost = [name for name, (run, stored_now) in restarts.items() if stored_now < run.ok]
    if not exact or lost:
        raise SystemExit(f"counts not exact: burst exact={exact}, lost in {lost or 'none'}")


if __name__ == "__main__":
    main()
