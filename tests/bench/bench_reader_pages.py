"""Benchmark: the reader's pages under load, against the app's own health check as the baseline.

Run by hand: python -m tests.bench.bench_reader_pages [--requests 2000]

The web app (SQLite in a temp folder, the file outbox) answers in this process through httpx's
ASGI transport, one request at a time: no sockets, so the figures are the app's own work
(through uvicorn on loopback every request, even /healthz, took ~45 ms on the machine this was
written on: a fixed stall, probably Nagle and delayed ACKs, that would swamp the figures):

  baseline     GET /healthz            a route that asks the database SELECT 1
  one-click    POST /u/TOKEN           RFC 8058 unsubscribe: verify the token, update the
                                       subscription, write a consent record, commit
  sign-up      POST /subscribe         CSRF, validation, rate windows, a pending subscription
                                       and a consent record, then the confirmation mail (MJML
                                       render + MIME + file outbox), a background task that
                                       the ASGI transport waits for: counted in the time

Each figure is printed beside the baseline as a ratio (time per request / baseline's): what a
reader's page costs over the cheapest page that still touches the database, on this machine.
The confirmation mails are counted in the outbox at the end, so none is lost to the timing.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import yaml

from digest import db, pipeline
from digest.config import Settings, load_settings
from digest.web import create_app
from subscribers.membership import ensure_list
from subscribers.models import Subscriber, Subscription
from subscribers.tokens import TokenSubject

REPO = Path(__file__).resolve().parents[2]
CSRF = 'name="csrf_token" value="'
BASE = "http://127.0.0.1:8000"  # never connected to: requests go to the app in this process


def write_config(folder: Path, requests: int) -> Path:
    config = {
        "newsletter": {"base_url": BASE},
        "database": {"url": f"sqlite:///{folder / 'digest.db'}"},
        "paths": {"templates": str(REPO / "templates")},
        "delivery": {"transport": "file", "file": {"directory": str(folder / "outbox")}},
        "web": {"secure_cookies": False},
        "lists": [{"slug": "weekly", "name": "The Weekly", "timezone": "UTC"}],
        "readers": {
            "subscribe_per_ip": requests + 1,
            "subscribe_per_address": requests + 1,
        },
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def load_readers(rt: pipeline.Runtime, count: int, now: datetime) -> list[str]:
    """count confirmed readers of weekly; their one-click unsubscribe paths."""
    with db.transaction(rt.sessions) as session:
        weekly, _ = ensure_list(session, "weekly", "The Weekly")
        people = [Subscriber(email=f"reader{i}@example.net", created_at=now) for i in range(count)]
        session.add_all(people)
        session.flush()
        session.add_all(
            Subscription(
                subscriber_id=p.id,
                list_id=weekly.id,
                status="confirmed",
                origin="import",
                created_at=now,
                confirmed_at=now,
            )
            for p in people
        )
        subjects = [TokenSubject(p.id, weekly.id) for p in people]
    return [f"/u/{rt.signer.sign('unsubscribe', s)}" for s in subjects]


async def timed(count: int, one: Callable[[int], Awaitable[httpx.Response]]) -> float:
    """Seconds per request, each answer checked."""
    started = time.perf_counter()
    for i in range(count):
        answer = await one(i)
        if answer.status_code != 200:
            raise SystemExit(f"request {i}: {answer.status_code} {answer.text[:200]}")
    return (time.perf_counter() - started) / count


async def measure(settings: Settings, paths: list[str], n: int) -> dict[str, float]:
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url=BASE) as http,
    ):
        await timed(50, lambda i: http.get("/healthz"))  # warm up
        figures = {"healthz": await timed(n, lambda i: http.get("/healthz"))}
        figures["one-click"] = await timed(
            n, lambda i: http.post(paths[i], content=b"List-Unsubscribe=One-Click", headers=form)
        )
        page = (await http.get("/subscribe")).text
        token = page.split(CSRF, 1)[1].split('"', 1)[0]
        figures["sign-up"] = await timed(
            n,
            lambda i: http.post(
                "/subscribe",
                data={"csrf_token": token, "email": f"new{i}@example.net", "lists": "weekly"},
            ),
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    n = args.requests
    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        settings = load_settings(write_config(folder, n))
        with pipeline.runtime(settings, now) as rt:
            paths = load_readers(rt, n, now)
        figures = asyncio.run(measure(settings, paths, n))
        outbox = folder / "outbox"
        mails = len(list(outbox.glob("*.eml"))) if outbox.is_dir() else 0
    baseline = figures["healthz"]
    print(f"reader pages, {n} requests each, one client in process (ASGI), SQLite, file outbox")
    print(f"{'':12} {'ms/request':>11} {'requests/s':>11} {'x baseline':>11}")
    for name, seconds in figures.items():
        print(f"{name:12} {seconds * 1000:11.2f} {1 / seconds:11.0f} {seconds / baseline:11.2f}")
    print(f"confirmation mails in the outbox: {mails} of {n}")
    if mails != n:
        raise SystemExit("some confirmation mails are missing")


if __name__ == "__main__":
    main()
