"""Benchmark: peak memory of `digest collect` with 1,000 new article pages against 100, in one run.

Run by hand: python -m tests.bench.bench_collect_memory [--small 100] [--large 1000]

Each size runs in a fresh process (peak RSS only grows): a local server in another process
serves pages/5 feeds of 5 teasers each (seed-shaped pages), and the child collects them all
into a fresh SQLite database. The figures: the collector's peak RSS, and the largest peak of
its extraction worker processes (the server's process is not counted). The issue: 1,000 pages
within 1.5x the peak with 100.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

from digest import pipeline
from digest.config import load_settings
from tests.bench.bench_collect import write_settings
from tests.bench.collect_rig import NOW, SlowSite

ITEMS = 5


def child(pages: int) -> None:
    with SlowSite(pages // ITEMS, ITEMS, 0.0) as site, tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(write_settings(Path(tmp), site.feed_urls(), 32), environ={})
        with pipeline.runtime(settings, NOW) as rt:
            report = pipeline.collect(rt, NOW)
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        # The extraction workers, reaped when the collection ended (the server is still up).
        children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    print(json.dumps({"articles": report.new_articles, "rss_kib": own, "children_kib": children}))


def measure(pages: int) -> dict[str, int]:
    out = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_collect_memory", "--child", str(pages)],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=1000)
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    small, large = measure(args.small), measure(args.large)
    for pages, got in ((args.small, small), (args.large, large)):
        print(
            f"{pages:5d} pages: {got['articles']:5d} articles, collector peak RSS "
            f"{got['rss_kib'] / 1024:7.1f} MiB, "
            f"largest worker {got['children_kib'] / 1024:7.1f} MiB"
        )
    ratio = large["rss_kib"] / small["rss_kib"]
    print(
        f"ratio: peak RSS with {args.large} pages is {ratio:.2f}x that with {args.small} "
        "(issue: at most 1.5x)"
    )


if __name__ == "__main__":
    main()
