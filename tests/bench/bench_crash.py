"""Benchmark: repeats after SIGKILLs of `digest send`, against the baseline's code, in one run.

Run by hand:

    python -m tests.bench.bench_crash [--recipients 5000] [--kills 20] [--connections 4]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/DB]
        [--baseline DIR]   (a checkout of other code, e.g. `git archive` of main, run the same)
        [--no-pipelining]  (the server offers no PIPELINING; by default it does)

A fresh database with the bundled samples collected and `--recipients` subscribers; an aiosmtpd
server on 127.0.0.1 that keeps each accepted message's recipient and Message-ID. `digest send`
runs as a process of its own and is killed with SIGKILL once the server has accepted a random
number (1 to 400) of further messages; then it is run again (once the killed process's heartbeat
is older than delivery.worker_stale_seconds, on the database's clock, and time moved on with the
hidden --now option), and so on `--kills` times; a last run finishes the send. Printed: lost
messages (must be 0), repeats in all, the most from one kill (the messages the server had
accepted whose rows were not yet recorded as sent when the process died), and whether every
copy of a repeated message carried the Message-ID its row records.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from aiosmtpd.controller import Controller
from sqlalchemy import create_engine, text

from tests.bench.delivery_rig import (
    HOST,
    git_commit,
    load_subscribers,
    scratch_database,
    stop_on_signals,
    write_config,
)
from tests.servers import OffersPipelining

# A killed sender's rows are taken back once its heartbeat (on the database's clock) is older than
# this: each run after a kill starts that much later, in real time.
STALE_SECONDS = 2.0
_MESSAGE_ID = re.compile(rb"^Message-ID:[ \t]*(<[^>\r\n]*>)", re.MULTILINE | re.IGNORECASE)


class KeepingHandler(OffersPipelining):
    """Accepts every message; keeps its recipient and Message-ID, not its bytes. Offers
    PIPELINING (RFC 2920) when asked, as most servers do: a sender then has the next
    transaction begun behind each final dot, in flight when it is killed."""

    def __init__(self, pipelining: bool = True) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[str, str]] = []
        self.pipelining = pipelining

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content: bytes = envelope.content
        found = _MESSAGE_ID.search(content, 0, content.find(b"\r\n\r\n"))
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.received.append((recipient, found.group(1).decode() if found else ""))
        return "250 2.0.0 Ok"

    def count(self) -> int:
        with self.lock:
            return len(self.received)


@dataclass
class Outcome:
    kills: int = 0
    unrecorded_at_kill: list[int] = field(default_factory=list)
    lost: int = 0
    repeats: int = 0
    same_message_id: bool = True
    seconds: float = 0.0


def _config(path: Path, database_url: str, port: int, connections: int) -> Path:
    write_config(path, database_url=database_url, smtp_port=port, connections=connections)
    config = yaml.safe_load(path.read_text())
    config["delivery"]["worker_stale_seconds"] = STALE_SECONDS
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True))
    return path


def _digest(code: Path | None, config: Path, now: datetime, *args: str) -> subprocess.Popen[str]:
    env = dict(os.environ)
    if code is not None:
        env["PYTHONPATH"] = str(code)
    return subprocess.Popen(
        [sys.executable, "-m", "digest", "--config", str(config), "--now", now.isoformat(), *args],
        cwd=code or config.parent,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _rows(database_url: str) -> dict[str, tuple[str, str | None]]:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT email, status, message_id FROM deliveries"))
            return {email: (status, message_id) for email, status, message_id in rows}
    finally:
        engine.dispose()


def scenario(
    code: Path | None, workdir: Path, args: argparse.Namespace, label: str, seed: int
) -> Outcome:
    """One database, one server, args.kills SIGKILLs of `digest send` by the given code."""
    rng = random.Random(seed)
    handler = KeepingHandler(args.pipelining)
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port = int(probe.getsockname()[1])
    controller = Controller(handler, hostname=HOST, port=port)
    controller.start()
    outcome = Outcome()
    started = time.perf_counter()
    try:
        with scratch_database(workdir, args.database_url, label) as url:
            config = _config(workdir / f"{label}.yaml", url, port, args.connections)
            subprocess.run(
                [sys.executable, "-m", "digest", "--config", str(config), "collect"],
                cwd=code or workdir,
                env=dict(os.environ, **({"PYTHONPATH": str(code)} if code else {})),
                check=True,
                capture_output=True,
            )
            load_subscribers(url, args.recipients)
            now = datetime.now(UTC)
            while outcome.kills < args.kills:
                process = _digest(code, config, now, "send")
                before, target = handler.count(), rng.randint(1, 400)
                while process.poll() is None and handler.count() - before < target:
                    time.sleep(0.001)
                if process.poll() is not None:
                    _out, err = process.communicate()
                    if process.returncode != 0:
                        raise RuntimeError(f"digest send exited {process.returncode}: {err}")
                    break  # it finished before this kill
                process.kill()
                process.communicate()
                outcome.kills += 1
                time.sleep(0.3)  # data that reached the server before the kill is taken in
                sent = {e for e, (status, _) in _rows(url).items() if status == "sent"}
                with handler.lock:
                    accepted = {recipient for recipient, _ in handler.received}
                outcome.unrecorded_at_kill.append(len(accepted - sent))
                time.sleep(STALE_SECONDS)  # the killed sender's heartbeat goes stale
                now += timedelta(seconds=STALE_SECONDS + 1)
                print(
                    f"  {label}: kill {outcome.kills}: {len(accepted)} accepted, "
                    f"{len(accepted - sent)} of them unrecorded",
                    flush=True,
                )
            for command in ("send", "worker"):
                now += timedelta(seconds=STALE_SECONDS + 1)
                extra = ("--once",) if command == "worker" else ()
                process = _digest(code, config, now, command, *extra)
                _out, err = process.communicate()
                if process.returncode != 0:
                    raise RuntimeError(f"digest {command} exited {process.returncode}: {err}")
            rows = _rows(url)
    finally:
        controller.stop()
    outcome.seconds = time.perf_counter() - started
    copies: dict[str, list[str]] = defaultdict(list)
    for recipient, message_id in handler.received:
        copies[recipient].append(message_id)
    counts = Counter({recipient: len(ids) for recipient, ids in copies.items()})
    outcome.lost = sum(1 for e, (status, _) in rows.items() if status != "sent" or e not in counts)
    outcome.repeats = sum(n - 1 for n in counts.values())
    outcome.same_message_id = all(
        set(ids) == {rows[recipient][1]} for recipient, ids in copies.items() if len(ids) > 1
    )
    return outcome


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recipients", type=int, default=5000)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--database-url", help="PostgreSQL server to use instead of SQLite")
    parser.add_argument("--baseline", type=Path, help="a checkout of the code to compare with")
    parser.add_argument("--seed", type=int, default=20261205)
    parser.add_argument(
        "--no-pipelining",
        dest="pipelining",
        action="store_false",
        help="the server does not offer PIPELINING",
    )
    args = parser.parse_args()
    stop_on_signals()
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"digest {git_commit()} · {database} · {args.recipients} recipients · {args.kills}"
        f" SIGKILLs · {args.connections} connections"
        f" · PIPELINING {'offered' if args.pipelining else 'not offered'}"
        f" · load average {os.getloadavg()[0]:.1f}"
    )
    runs: dict[str, Outcome] = {}
    with tempfile.TemporaryDirectory(prefix="digest-bench-crash-") as folder:
        workdir = Path(folder)
        if args.baseline is not None:
            runs["baseline"] = scenario(args.baseline.resolve(), workdir, args, "base", args.seed)
        runs["this code"] = scenario(None, workdir, args, "this", args.seed)
    print(
        f"\n  {'code':<10} {'kills':>5} {'lost':>5} {'repeats':>8} {'most from one kill':>19}"
        f" {'same Message-ID':>16} {'seconds':>8}"
    )
    for name, o in runs.items():
        most = max(o.unrecorded_at_kill, default=0)
        print(
            f"  {name:<10} {o.kills:>5} {o.lost:>5} {o.repeats:>8} {most:>19}"
            f" {'yes' if o.same_message_id else 'NO':>16} {o.seconds:>8.0f}"
        )
    if "baseline" in runs and runs["baseline"].repeats:
        ratio = runs["this code"].repeats / runs["baseline"].repeats
        print(f"\n  repeats, this code / baseline: {ratio:.3f}")
    print(f"  bound: at most {args.connections} (connections) per kill")


if __name__ == "__main__":
    main()
