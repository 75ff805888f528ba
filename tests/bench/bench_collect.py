"""Benchmark: `digest collect` of many slow feeds and pages against a sequential fetch of the same
work, and the second collection where every feed answers 304, in one run.

Run by hand: python -m tests.bench.bench_collect [--feeds 200] [--items 5] [--delay 0.1]
    [--concurrency 64]

A local server in its own process serves `feeds` RSS feeds of `items` teasers each (so
feeds × items article pages in the seed's shape) and answers every request `delay` seconds
late. The figures:
- digest: wall time of the first collection into a fresh SQLite database (every page fetched,
  extracted in worker processes, stored), and the CPU it used over all its processes;
- the baseline: one request after the other (httpx.Client), each page extracted as it comes;
- digest again: the second collection, every feed answering 304 (the issue: under 2 s).
All sources are one host here (127.0.0.1), so collect.per_host_concurrency is raised to the
global limit: 200 real sites are 200 hosts.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import httpx
import yaml

from digest import pipeline
from digest.collect.extract import extract_article
from digest.collect.feeds import parse_feed
from digest.config import load_settings
from tests.bench.collect_rig import NOW, SlowSite

REPO = Path(__file__).resolve().parents[2]


def write_settings(workdir: Path, urls: list[str], concurrency: int) -> Path:
    config = {
        "database": {"url": f"sqlite:///{workdir / 'digest.db'}"},
        "paths": {"templates": str(REPO / "templates")},
        "collect": {
            "concurrency": concurrency,
            "per_host_concurrency": concurrency,
            "allow_private_hosts": ["127.0.0.1"],
            "timeout_seconds": 30,
            "deadline_seconds": 120,
        },
        "sources": [{"name": f"Desk {i}", "url": url} for i, url in enumerate(urls)],
        "lists": [{"slug": "weekly", "name": "Weekly"}],
    }
    path = workdir / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds of this process, and of its reaped children (the extraction workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def sequential(site: SlowSite) -> tuple[float, int]:
    """The same work one request at a time: every feed, then every teaser's page, extracted."""
    started = time.perf_counter()
    pages = 0
    with httpx.Client(timeout=30) as client:
        for url in site.feed_urls():
            feed = parse_feed(client.get(url).content, url)
            for entry in feed.entries:
                assert entry.link is not None
                response = client.get(entry.link)
                extract_article(response.content, entry.link)
                pages += 1
    return time.perf_counter() - started, pages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=200)
    parser.add_argument("--items", type=int, default=5)
    parser.add_argument("--delay", type=float, default=0.1)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--skip-sequential", action="store_true")
    args = parser.parse_args()

    with SlowSite(args.feeds, args.items, args.delay) as site, tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(
            write_settings(Path(tmp), site.feed_urls(), args.concurrency), environ={}
        )
        with pipeline.runtime(settings, NOW) as rt:
            cpu_before = cpu_seconds()
            started = time.perf_counter()
            first = pipeline.collect(rt, NOW)
            first_wall = time.perf_counter() - started
            cpu_after = cpu_seconds()
            main_cpu, workers_cpu = (a - b for a, b in zip(cpu_after, cpu_before, strict=True))
            cpu_used = main_cpu + workers_cpu
            errors = [s.error or s.problems for s in first.sources if s.error or s.problems]
            if errors:
                raise SystemExit(f"first collection had errors: {errors[:3]}")

            started = time.perf_counter()
            second = pipeline.collect(rt, NOW + timedelta(hours=1))
            second_wall = time.perf_counter() - started
            unchanged = sum(s.not_modified for s in second.sources)

        print(f"machine: {os.cpu_count()} CPU(s); server delay {args.delay * 1000:.0f} ms/answer")
        print(
            f"work: {args.feeds} feeds + {args.feeds * args.items} article pages "
            f"({args.feeds * (args.items + 1)} requests), concurrency {args.concurrency}"
        )
        print(
            f"digest, first collection:  {first_wall:8.2f} s  {first.new_articles} articles "
            f"stored; CPU {cpu_used:.1f} s = {cpu_used / first_wall:.2f} cores "
            f"(collector {main_cpu:.1f} s, extraction workers {workers_cpu:.1f} s)"
        )
        print(
            f"digest, second (all 304):  {second_wall:8.2f} s  "
            f"{unchanged}/{len(second.sources)} feeds not modified (issue: under 2 s)"
        )
        if args.skip_sequential:
            return
        seq_wall, pages = sequential(site)
        print(f"sequential fetch+extract:  {seq_wall:8.2f} s  {pages} pages")
        print(
            f"ratio: digest is {seq_wall / first_wall:.1f}x faster than sequential "
            "(issue: at least 10x)"
        )


if __name__ == "__main__":
    main()
