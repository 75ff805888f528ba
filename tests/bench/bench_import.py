"""Benchmark: `digest subscribers import` of 1,000,000 CSV rows into SQLite, against baselines.

Run by hand:

    python -m tests.bench.bench_import [--small 100000] [--large 1000000] [--sample 20000]

Each import runs `digest subscribers import FILE --confirmed` as a real process into a fresh
SQLite database; the files hold generated readers (many domains, names with accents, topics,
time zones) and one bad row in a thousand. The issue's floor: the large file in under 60 s.
In the same run, beside it:

- floor: the same rows through the standard library's csv and sqlite3 `executemany` into the
  same schema, with no checks at all (what the database work alone costs);
- row by row: the ORM path `digest subscribers add` takes (membership.add_subscriber and a
  consent record per row, one transaction per 1,000 rows) on a sample, extrapolated;
- memory: the import's peak RSS (ru_maxrss of its own process) for the small and the large
  file; it must stay flat (large at most 1.2x small), beside `digest subscribers import
  --help`'s (what the command imports, no work);
- export: `digest subscribers export` of the large list, its time and peak RSS.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml

from digest import db
from subscribers.consent import record_consent
from subscribers.membership import add_subscriber, ensure_list

REPO = Path(__file__).resolve().parents[2]
DIGEST = str(Path(sys.executable).parent / "digest")
TARGET_SECONDS = 60.0
GROWTH = 1.2
NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
DOMAINS = ("example.org", "example.com", "mail.example.net", "courrier.example.ma", "ex.sn")
FIRST = ("Amina", "Kofi", "Zoé", "Youssef", "Fatou", "Mamadou", "Ngozi", "Salma", "Ibrahim")
TOPICS = ("Northern Africa", "West Africa", "")
ZONES = ("Africa/Casablanca", "Africa/Dakar", "Africa/Lagos", "")


def write_csv(path: Path, rows: int) -> int:
    """Generated readers, one bad row (an address without @) in a thousand; returns bad rows."""
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("email", "name", "topics", "timezone"))
        for i in range(rows):
            domain = DOMAINS[i % len(DOMAINS)]
            if i % 1000 == 999:
                bad += 1
                email = f"reader{i}.{domain}"
            else:
                email = f"Reader.{i}@{domain}"
            name = f"{FIRST[i % len(FIRST)]} N{i}" if i % 3 else ""
            writer.writerow((email, name, TOPICS[i % len(TOPICS)], ZONES[i % len(ZONES)]))
    return bad


def write_config(folder: Path) -> Path:
    config = {
        "database": {"url": "sqlite:///digest.db"},
        "paths": {"templates": str(REPO / "templates")},
        "sources": [
            {
                "name": "north",
                "file": str(REPO / "digest/samples/feeds/northern-africa.xml"),
                "region": "Northern Africa",
            },
            {
                "name": "west",
                "file": str(REPO / "digest/samples/feeds/west-africa.atom"),
                "region": "West Africa",
            },
        ],
        "lists": [{"slug": "weekly", "name": "The Weekly"}],
    }
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@dataclass(frozen=True)
class Measured:
    seconds: float  # wall clock
    cpu_seconds: float  # user + system of the process alone: steadier on a busy machine
    peak_mb: float  # its own ru_maxrss
    output: str


def run_measured(args: list[str], cwd: Path) -> Measured:
    """Run a command to its end and measure it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    started = time.perf_counter()
    process = subprocess.Popen(
        args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed with exit {process.returncode}: {output}")
    cpu = usage.ru_utime + usage.ru_stime
    return Measured(elapsed, cpu, usage.ru_maxrss / 1024, output)


def digest_import(folder: Path, csv_path: Path) -> Measured:
    """A fresh database, migrated first (outside the timing), then the import timed."""
    for stale in folder.glob("digest.db*"):
        stale.unlink()
    run_measured([DIGEST, "subscribers", "list"], folder)
    return run_measured([DIGEST, "subscribers", "import", str(csv_path), "--confirmed"], folder)


def executemany_floor(folder: Path, csv_path: Path) -> float:
    """The same rows into the same schema with csv + sqlite3 executemany, no checks."""
    path = folder / "floor.db"
    if path.exists():
        path.unlink()
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    engine.dispose()
    now = NOW.replace(tzinfo=None).isoformat(sep=" ")
    started = time.perf_counter()
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute(
        "INSERT INTO mailing_lists (slug, name, created_at) VALUES ('w', 'W', ?)", (now,)
    )
    with csv_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        batch: list[list[str]] = []
        for fields in reader:
            batch.append(fields)
            if len(batch) == 5000:
                _floor_batch(connection, batch, now)
                batch = []
        if batch:
            _floor_batch(connection, batch, now)
    connection.close()
    return time.perf_counter() - started


def _floor_batch(connection: sqlite3.Connection, batch: list[list[str]], now: str) -> None:
    connection.execute("BEGIN")
    cursor = connection.executemany(
        "INSERT INTO subscribers (email, name, status, created_at, soft_bounces, timezone, topics)"
        " VALUES (?, ?, 'active', ?, 0, ?, ?) RETURNING id",
        [(f[0].lower(), f[1] or None, now, f[3] or None, f'["{f[2]}"]') for f in batch],
    )
    ids = [row[0] for row in cursor.fetchall()]
    connection.executemany(
        "INSERT INTO subscriptions (subscriber_id, list_id, status, origin, created_at,"
        " confirmed_at) VALUES (?, 1, 'confirmed', 'import', ?, ?)",
        [(i, now, now) for i in ids],
    )
    connection.executemany(
        "INSERT INTO consent_records (subscriber_id, list_id, action, method, wording,"
        " created_at) VALUES (?, 1, 'subscribe', 'import', 'bench', ?)",
        [(i, now) for i in ids],
    )
    connection.execute("COMMIT")


def row_by_row(folder: Path, csv_path: Path, sample: int) -> float:
    """Seconds for `sample` rows through the ORM one at a time, as `subscribers add` does."""
    path = folder / "orm.db"
    if path.exists():
        path.unlink()
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    with db.transaction(sessions) as session:
        list_id = ensure_list(session, "weekly", "The Weekly")[0].id
    started = time.perf_counter()
    with csv_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        done = 0
        while done < sample:
            with db.transaction(sessions) as session:
                weekly = ensure_list(session, "weekly", "The Weekly")[0]
                assert weekly.id == list_id
                for fields in reader:
                    done += 1
                    try:
                        subscription, _ = add_subscriber(
                            session, weekly, fields[0], name=fields[1] or None, now=NOW
                        )
                    except Exception:
                        continue  # the bad rows
                    record_consent(
                        session,
                        subscriber_id=subscription.subscriber_id,
                        list_id=list_id,
                        action="subscribe",
                        method="import",
                        now=NOW,
                    )
                    if done % 1000 == 0 or done >= sample:
                        break
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=20_000, help="rows for the ORM baseline")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="digest-bench-import-"))
    try:
        print(
            f"Python {platform.python_version()} · SQLite {sqlite3.sqlite_version} · "
            f"{os.cpu_count()} cores · working folder {folder}"
        )
        write_config(folder)
        files = {}
        for label, rows in (("small", args.small), ("large", args.large)):
            files[label] = folder / f"{label}.csv"
            bad = write_csv(files[label], rows)
            size = files[label].stat().st_size / 1e6
            print(f"{label}: {rows:,} rows ({bad:,} bad), {size:.0f} MB")
        idle_mb = run_measured([DIGEST, "subscribers", "import", "--help"], folder).peak_mb

        results = {}
        for label in ("small", "large"):
            run = digest_import(folder, files[label])
            results[label] = run
            rows = args.small if label == "small" else args.large
            print(
                f"digest import {label}: {run.seconds:6.1f} s ({run.cpu_seconds:.1f} s CPU)  "
                f"{rows / run.seconds:9,.0f} rows/s  peak RSS {run.peak_mb:6.1f} MB"
            )
            print("    " + " ".join(run.output.split()))
        exported = folder / "exported.csv"
        export = run_measured([DIGEST, "subscribers", "export", "--output", str(exported)], folder)
        with exported.open(encoding="utf-8") as handle:
            lines = sum(1 for _ in handle) - 1
        print(
            f"digest export large: {export.seconds:6.1f} s ({export.cpu_seconds:.1f} s CPU)  "
            f"{lines / export.seconds:9,.0f} rows/s  peak RSS {export.peak_mb:6.1f} MB  "
            f"({lines:,} rows)"
        )
        floor = executemany_floor(folder, files["large"])
        orm = row_by_row(folder, files["large"], args.sample)
        orm_large = orm * args.large / args.sample
        large, small = results["large"], results["small"]
        print()
        print(
            f"large import      {large.seconds:6.1f} s   target < {TARGET_SECONDS:.0f} s: "
            f"{'met' if large.seconds < TARGET_SECONDS else 'MISSED'} "
            f"({large.seconds / TARGET_SECONDS:.2f}x the target)"
        )
        print(
            f"executemany floor {floor:6.1f} s   digest import is {large.seconds / floor:.2f}x "
            "the floor (no checks, no validation)"
        )
        print(
            f"row by row (ORM)  {orm_large:6.1f} s   extrapolated from {args.sample:,} rows "
            f"({orm:.1f} s); digest import is {orm_large / large.seconds:.1f}x faster"
        )
        print(
            f"peak RSS          {small.peak_mb:.1f} MB small, {large.peak_mb:.1f} MB large: "
            f"{large.peak_mb / small.peak_mb:.2f}x (flat if at most {GROWTH}x); "
            f"`digest subscribers import --help` {idle_mb:.1f} MB"
        )
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
