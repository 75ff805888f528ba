"""Benchmark: can the time the sign-up page takes tell a new address from a known one?

Run by hand: python -m tests.bench.bench_signup_timing [--requests 200] [--gap 0.0]
[--database-url URL]

The web app is served by uvicorn on 127.0.0.1 in a process of its own (SQLite in a temp folder,
or the database given, whose tables are DROPPED first: give an empty one you can lose; the file
outbox), and one keep-alive client posts the subscribe form for addresses of six kinds,
interleaved in a random order, `--requests` of each:

  new            never seen                       gets a pending subscription and a mail
  unsubscribed   left the list before             reopened, gets a mail
  pending        signed up a moment ago           nothing (a mail went out within the window)
  confirmed      already on the list              nothing
  suppressed     hard bounce / complaint / manual nothing
  blocked        a subscriber no longer active    nothing

Each probe is timed at the client from the POST to the last byte of the page; then, at once,
the same confirmed address is signed up again and timed too (does the probe's work after its
answer slow the next page?). Before the next probe the client waits until the app has finished
both requests' work after their answers (the app counts them), then `--gap` seconds more.

Printed, for the probes and for the requests right after them: median and 90th percentile per
kind, and the accuracy of the best threshold classifier telling new from each known kind (and
from all of them), the two samples weighted alike so that 50% is a coin toss: in-sample (the
threshold fitted on all requests, a little optimistic) and held-out (fitted on every other
request, scored on the rest, and the other way round). Beside them, the held-out figure
measured before the sign-up's database work moved behind the answer (BEFORE).
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import secrets
import socket
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path

import httpx
import sqlalchemy as sa
import yaml
from starlette.types import ASGIApp, Receive, Scope, Send

from digest import db, pipeline
from digest.config import load_settings
from digest.web import create_app
from subscribers.membership import ensure_list
from subscribers.models import Subscriber, Subscription
from subscribers.suppression import suppress
from tests.web.conftest import serving

REPO = Path(__file__).resolve().parents[2]
CSRF = 'name="csrf_token" value="'
KINDS = ("new", "unsubscribed", "pending", "confirmed", "suppressed", "blocked")
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)

# Held-out accuracy (new vs each kind) before the sign-up's database work moved behind the
# answer, on the machine this was written on (200 requests of each kind, seed 12, gap 0): the
# request path then wrote the pending subscription and its consent record, and committed, for
# the addresses that get a mail only.
BEFORE = {
    "SQLite": {
        "unsubscribed": 0.498,
        "pending": 0.685,
        "confirmed": 0.752,
        "suppressed": 0.802,
        "blocked": 0.778,
        "all known": 0.702,
    },
    "PostgreSQL": {
        "unsubscribed": 0.550,
        "pending": 0.678,
        "confirmed": 0.710,
        "suppressed": 0.788,
        "blocked": 0.780,
        "all known": 0.698,
    },
}
BEFORE_NEXT = {
    "SQLite": {
        "unsubscribed": 0.493,
        "pending": 0.765,
        "confirmed": 0.745,
        "suppressed": 0.728,
        "blocked": 0.752,
        "all known": 0.700,
    },
    "PostgreSQL": {
        "unsubscribed": 0.475,
        "pending": 0.678,
        "confirmed": 0.690,
        "suppressed": 0.738,
        "blocked": 0.740,
        "all known": 0.664,
    },
}


class Quiet:
    """The app, counting its requests still running (background work included) in memory the
    client's process can read."""

    def __init__(self, app: ASGIApp, running: Synchronized[int]) -> None:
        self.app = app
        self.running = running

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with self.running.get_lock():
            self.running.value += 1
        try:
            await self.app(scope, receive, send)
        finally:
            with self.running.get_lock():
                self.running.value -= 1


def wait_until_idle(running: Synchronized[int], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while running.value:
        if time.monotonic() > deadline:
            raise SystemExit("the app did not finish a request's background work in time")
        time.sleep(0.0005)


def serve_app(config: Path, running: Synchronized[int], port: Queue[str], stop: Event) -> None:
    """The server's process: the client must not share its interpreter (and its GIL), or the
    work after the answer would slow the client's reading of the answer, not the server's."""
    settings = load_settings(config, environ={})
    # proto IPPROTO_TCP, not socket.socket()'s 0: asyncio turns Nagle's algorithm off only on
    # sockets that say they are TCP, and without that every answer stalls ~40 ms on loopback.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    app = Quiet(create_app(settings, clock=lambda: NOW), running)
    with serving(app, sock) as live:  # type: ignore[arg-type]
        port.put(live.url)
        stop.wait()


def write_config(folder: Path, database_url: str, requests: int) -> Path:
    config = {
        "newsletter": {"base_url": "http://127.0.0.1:8000"},
        "database": {"url": database_url},
        "paths": {"templates": str(REPO / "templates")},
        "delivery": {"transport": "file", "file": {"directory": str(folder / "outbox")}},
        "web": {"secure_cookies": False},
        "lists": [{"slug": "weekly", "name": "The Weekly", "timezone": "UTC"}],
        "readers": {
            "subscribe_per_ip": 2 * len(KINDS) * (requests + 10),
            "subscribe_per_address": 2 * len(KINDS) * (requests + 10),
        },
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def load_addresses(rt: pipeline.Runtime, count: int) -> dict[str, list[str]]:
    """count addresses of each kind, the known ones stored as that kind."""
    addresses = {kind: [f"{kind}{i}@example.net" for i in range(count)] for kind in KINDS}
    with db.transaction(rt.sessions) as session:
        weekly, _ = ensure_list(session, "weekly", "The Weekly")
        for kind in ("unsubscribed", "pending", "confirmed", "blocked"):
            people = [
                Subscriber(
                    email=email,
                    created_at=NOW,
                    status="blocked" if kind == "blocked" else "active",
                )
                for email in addresses[kind]
            ]
            session.add_all(people)
            session.flush()
            session.add_all(
                Subscription(
                    subscriber_id=person.id,
                    list_id=weekly.id,
                    status="confirmed" if kind == "blocked" else kind,
                    origin="form",
                    created_at=NOW,
                    confirmed_at=NOW if kind in ("confirmed", "blocked") else None,
                    confirmation_sent_at=NOW if kind == "pending" else None,
                    unsubscribed_at=NOW if kind == "unsubscribed" else None,
                )
                for person in people
            )
        for email in addresses["suppressed"]:
            suppress(session, email, "hard_bounce", NOW)
    return addresses


def measure(
    url: str,
    running: Synchronized[int],
    addresses: dict[str, list[str]],
    gap: float,
    seed: int,
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """Seconds per request of each kind, and seconds of the request sent right after it."""
    probes: dict[str, list[float]] = {kind: [] for kind in KINDS}
    nexts: dict[str, list[float]] = {kind: [] for kind in KINDS}
    order = [(kind, email) for kind in KINDS for email in addresses[kind]]
    random.Random(seed).shuffle(order)
    # Nagle's algorithm off here too: a form's body would wait for the ACK of its headers.
    nodelay = httpx.HTTPTransport(socket_options=[(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)])
    with httpx.Client(base_url=url, timeout=30, transport=nodelay) as http:
        page = http.get("/subscribe").text
        token = page.split(CSRF, 1)[1].split('"', 1)[0]

        def post(email: str) -> float:
            started = time.perf_counter()
            answer = http.post(
                "/subscribe", data={"csrf_token": token, "email": email, "lists": "weekly"}
            )
            elapsed = time.perf_counter() - started
            if answer.status_code != 200 or "Check your inbox" not in answer.text:
                raise SystemExit(f"{email}: {answer.status_code} {answer.text[:300]}")
            return elapsed

        for i in range(30):  # warm up: templates, connections, the first mails
            post(f"warmup{i}@example.net")
            wait_until_idle(running)
        for kind, email in order:
            probes[kind].append(post(email))
            # At once, while the probe's work after its answer may still run: does it slow
            # the next page down? (The next address is always the same confirmed one.)
            nexts[kind].append(post(addresses["confirmed"][0]))
            wait_until_idle(running)
            if gap:
                time.sleep(gap)
    return probes, nexts


def accuracy(new: Sequence[float], known: Sequence[float], t: float, slower: bool) -> float:
    """Right answers of "new when slower (or faster) than t", both samples weighted alike."""
    says_new = (lambda x: x > t) if slower else (lambda x: x <= t)
    right_new = sum(map(says_new, new)) / len(new)
    right_known = sum(not says_new(x) for x in known) / len(known)
    return (right_new + right_known) / 2


def best_threshold(new: Sequence[float], known: Sequence[float]) -> tuple[float, bool]:
    """The threshold, and its side, that best tells new from known."""
    candidates = [(t, slower) for t in sorted({*new, *known}) for slower in (True, False)]
    return max(candidates, key=lambda c: accuracy(new, known, *c))


def in_sample(new: Sequence[float], known: Sequence[float]) -> float:
    return accuracy(new, known, *best_threshold(new, known))


def held_out(new: Sequence[float], known: Sequence[float]) -> float:
    """Fitted on every other request, scored on the rest; both ways, averaged."""
    halves = [(new[0::2], known[0::2], new[1::2], known[1::2])]
    halves.append((halves[0][2], halves[0][3], halves[0][0], halves[0][1]))
    scores = [accuracy(tn, tk, *best_threshold(fn, fk)) for fn, fk, tn, tk in halves]
    return sum(scores) / len(scores)


def empty(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.begin() as connection:
            meta = sa.MetaData()
            meta.reflect(connection)
            meta.drop_all(connection)
    finally:
        engine.dispose()


def report(times: dict[str, list[float]], before: dict[str, float]) -> None:
    print(f"{'':14} {'median ms':>10} {'p90 ms':>8}")
    for kind in KINDS:
        ms = sorted(t * 1000 for t in times[kind])
        p90 = ms[int(0.9 * (len(ms) - 1))]
        print(f"{kind:14} {statistics.median(ms):10.2f} {p90:8.2f}")
    print("telling new from known, best threshold (50% = a coin toss)")
    print(f"{'new vs':14} {'in-sample':>10} {'held-out':>9} {'before':>8}")
    known_all: list[float] = []
    for kind in KINDS[1:]:
        known_all += times[kind]
    rows = [(kind, times[kind]) for kind in KINDS[1:]] + [("all known", known_all)]
    for kind, known in rows:
        then = f"{before[kind]:8.1%}" if kind in before else f"{'-':>8}"
        print(
            f"{kind:14} {in_sample(times['new'], known):10.1%} "
            f"{held_out(times['new'], known):9.1%} {then}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--gap", type=float, default=0.0, help="seconds between requests")
    parser.add_argument("--seed", type=int, default=12, help="of the order of the requests")
    parser.add_argument(
        "--database-url", help="an EMPTY database you can lose (its tables are dropped)"
    )
    args = parser.parse_args()
    # A secret of this run only, for both processes.
    os.environ.setdefault("DIGEST_SECRET_KEY", secrets.token_urlsafe(32))
    # Forked before this process starts any thread; the child opens its own engine.
    processes = multiprocessing.get_context("fork")
    running = processes.Value("i", 0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.database_url or f"sqlite:///{folder / 'digest.db'}"
        if args.database_url:
            empty(url)
        config = write_config(folder, url, args.requests)
        with pipeline.runtime(load_settings(config, environ={}), NOW) as rt:
            addresses = load_addresses(rt, args.requests)
        ports: Queue[str] = processes.Queue()
        stop = processes.Event()
        server = processes.Process(target=serve_app, args=(config, running, ports, stop))
        server.start()
        try:
            app_url = ports.get(timeout=60)
            probes, nexts = measure(app_url, running, addresses, args.gap, args.seed)
        finally:
            stop.set()
            server.join(timeout=30)
            if server.is_alive():
                server.kill()
        outbox = folder / "outbox"
        mails = len(list(outbox.glob("*.eml"))) if outbox.is_dir() else 0
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"sign-up timing, {args.requests} requests of each kind in a random order (seed "
        f"{args.seed}), one keep-alive client, uvicorn on 127.0.0.1 in another process, "
        f"{database}, file outbox, gap {args.gap} s"
    )
    print("\nthe sign-up's own time, by the kind of its address")
    report(probes, BEFORE.get(database, {}))
    print("\nthe time of the sign-up sent right after it (always the same confirmed address)")
    report(nexts, BEFORE_NEXT.get(database, {}))
    expected = 30 + 2 * args.requests  # warm-up, new and unsubscribed
    print(f"\nconfirmation mails in the outbox: {mails} (expected {expected})")
    if mails != expected:
        raise SystemExit("not the mails expected: the figures measure something else")


if __name__ == "__main__":
    main()
