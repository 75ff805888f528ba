"""Benchmark: peak RSS of `digest send` to a small and a large list: memory must stay flat.

Run by hand (needs Postfix's smtp-sink: apt-get install -y postfix):

    python -m tests.bench.bench_delivery_memory --small 100000 --large 1000000
        [--connections 4] [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Each list gets a fresh database (the bundled samples collected, its subscribers loaded in bulk)
and is sent in full through SMTP to Postfix's smtp-sink on 127.0.0.1; afterwards every
delivery row must be "sent" and the sink must have counted one message per subscriber. Peak
RSS is the `digest send` process's own (ru_maxrss). The issue's floors: the large list's peak
at most 150 MB and at most 1.2x the small list's. Beside them, the peak of `digest send --help`
(the interpreter and what `digest send` imports, no work; `digest --version` imports none of it).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.delivery_rig import HOST, Rig, git_commit, stop_on_signals, timed_run

LARGE_MB = 150
GROWTH = 1.2


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--connections", type=int, default=4, help="SMTP sessions in parallel")
    parser.add_argument("--database-url", help="PostgreSQL server to use instead of SQLite")
    parser.add_argument("--timeout", type=float, default=3 * 3600, help="seconds per send, at most")
    parser.add_argument("--keep", action="store_true", help="keep the working folder")
    args = parser.parse_args()
    stop_on_signals()

    workdir = Path(tempfile.mkdtemp(prefix="digest-bench-memory-"))
    results: dict[str, tuple[int, float, float, float, float]] = {}
    try:
        print(
            f"digest {git_commit()} · Python {platform.python_version()} · {os.cpu_count()} cores"
            f" · {'PostgreSQL' if args.database_url else 'SQLite'} · {args.connections}"
            f" connection(s) · working folder {workdir}"
        )
        imports = timed_run([sys.executable, "-m", "digest", "send", "--help"], workdir, 120)
        with Rig(workdir, args.database_url, args.connections) as rig:
            print(f"smtp-sink on {HOST}:{rig.sink.port}; pool: {rig.describe_pool()}")
            for label, count in (("small", args.small), ("large", args.large)):
                if "small" in results:
                    rate = results["small"][0] / results["small"][3]
                    print(f"{label}: expect about {count / rate / 60:.1f} min at the small rate")
                started = time.perf_counter()
                with rig.prepared(label, count) as prepared:
                    print(
                        f"{label}: fresh database + collect {prepared.setup_seconds:.1f} s, "
                        f"{count} subscribers loaded in {prepared.load_seconds:.1f} s",
                        flush=True,
                    )
                    run = rig.send(prepared, args.timeout)
                results[label] = (
                    count,
                    prepared.load_seconds,
                    prepared.setup_seconds,
                    run.seconds,
                    run.peak_rss_mb,
                )
                print(
                    f"{label}: digest send {run.seconds:.1f} s ({run.seconds / 60:.1f} min), "
                    f"peak RSS {run.peak_rss_mb:.1f} MB; all {count} rows sent, sink received "
                    f"{count}; phase total {time.perf_counter() - started:.0f} s",
                    flush=True,
                )
        own_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        print(
            f"\n  {'list':<22} {'recipients':>10} {'load s':>7} {'send s':>8} {'msg/s':>7}"
            f" {'peak RSS MB':>12}"
        )
        print(f"  {'digest send --help':<22} {'':>35} {imports.peak_rss_mb:>12.1f}")
        for label, (count, load_s, _setup_s, send_s, rss_mb) in results.items():
            print(
                f"  {'send, ' + label + ' list':<22} {count:>10} {load_s:>7.1f} {send_s:>8.1f}"
                f" {count / send_s:>7.0f} {rss_mb:>12.1f}"
            )
        small, large = results["small"][4], results["large"][4]
        growth = large / small
        print(
            f"\n  large / small peak RSS: {growth:.2f}x "
            f"({'meets' if growth <= GROWTH else 'ABOVE'} the ceiling of {GROWTH}x); "
            f"large: {large:.1f} MB ({'meets' if large <= LARGE_MB else 'ABOVE'} the ceiling of"
            f" {LARGE_MB} MB)"
            f"\n  this benchmark's own peak RSS (it generates and loads the subscribers):"
            f" {own_mb:.0f} MB"
        )
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
