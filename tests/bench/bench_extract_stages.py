"""Benchmark: where an extraction's CPU time goes, stage by stage, on the slowest real pages.

Run by hand: python -m tests.bench.bench_extract_stages [--slowest 5] [--repeat 5] [--metadata]

The pages are bench_extract_real's (real_page_checks.py says where they come from). The
`--slowest` pages by our CPU time (best of 2 runs; the text alone unless `--metadata`) are
timed again, best of `--repeat`, beside plain trafilatura on the same page, then run
`--repeat` times more with each of our steps and each stage of trafilatura's cascade (as
trafilatura.core runs them: pass one, the baseline rescue, the recall escalation) wrapped in
a CPU timer (time.process_time). Each row is the mean per page of its calls, their number a
page beside it. Rows nest (the recall retry runs the tree cleaning, the main extractor and
readability again, and is counted in their rows too), so they add up to more than the whole.
The wrappers replace module attributes of digest and trafilatura for the run only.
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

import trafilatura
import trafilatura.baseline
import trafilatura.core
import trafilatura.external
import trafilatura.metadata

from digest.collect import extract as ours
from digest.collect import page_metadata
from tests.bench.real_page_checks import date_pages, metadata_pages, snippet_pages

# (module, attribute, label): the steps of extract_article, then trafilatura's cascade as it
# runs them (core.trafilatura_sequence): pass one (main extractor, then readability and
# justext), the baseline rescue, the page's length for the recall escalation, the recall
# retry, and its justext candidate.
STAGES: list[tuple[ModuleType, str, str]] = [
    (ours, "_parse", "ours: decode + parse"),
    (ours, "article_metadata", "ours: page metadata"),
    (page_metadata, "page_metadata", "  trafilatura extract_metadata"),
    (ours, "_drop_furniture", "ours: furniture"),
    (ours, "clean_text", "ours: cleaning"),
    (ours, "_trafilatura", "trafilatura.extract"),
    (trafilatura.core, "copy", "  copies in trafilatura.core"),
    (trafilatura.core, "_forum_thread_page", "  forum test"),
    (trafilatura.core, "prune_unwanted_nodes", "  raw tree prune"),
    (trafilatura.core, "_prepare_tree", "  tree cleaning + tag conversion"),
    (trafilatura.core, "extract_content", "  main extractor"),
    (trafilatura.external, "try_readability", "  readability"),
    (trafilatura.external, "justext_rescue", "  justext of pass one (with its cleaning)"),
    (trafilatura.core, "baseline", "  baseline rescue"),
    (trafilatura.core, "html2txt", "  page text (recall escalation test)"),
    (trafilatura.core, "_recall_retry", "  recall retry (stages above again)"),
    (trafilatura.core, "justext_rescue", "  justext of the recall escalation"),
    (trafilatura.core, "determine_returnstring", "  output as text"),
]


@contextmanager
def timed_stages(totals: dict[str, list[float]]) -> Iterator[None]:
    """Each stage's function wrapped to add its CPU time and calls to totals[label]."""
    saved = []
    for module, name, label in STAGES:
        function = getattr(module, name)
        saved.append((module, name, function))
        setattr(module, name, _timer(function, totals.setdefault(label, [0.0, 0])))
    try:
        yield
    finally:
        for module, name, function in saved:
            setattr(module, name, function)


def _timer(function: Callable[..., Any], total: list[float]) -> Callable[..., Any]:
    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            total[0] += time.process_time() - started
            total[1] += 1

    return wrapper


def best_cpu(work: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--slowest", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--metadata", action="store_true", help="time the metadata too")
    args = parser.parse_args()
    every = {p.path: p for p in snippet_pages() + metadata_pages() + date_pages()}
    pages = [(p.path.name, p.path.read_bytes(), p.url) for p in every.values()]
    meta = args.metadata

    def run(html: bytes, url: str) -> object:
        return ours.extract_article(html, url, with_metadata=meta)

    def plain(html: bytes, url: str) -> object:
        return trafilatura.extract(html, url=url, with_metadata=meta)

    for _name, html, url in pages[:3]:  # warm up: trafilatura loads its lists once
        run(html, url)
        plain(html, url)
    times = {name: best_cpu(lambda: run(html, url), 2) for name, html, url in pages}  # noqa: B023
    slowest = sorted(pages, key=lambda page: -times[page[0]])[: args.slowest]
    mode = "text + metadata" if meta else "text"
    print(f"{mode}: the {len(slowest)} slowest of {len(pages)} real pages, CPU ms per page")
    for name, html, url in slowest:
        whole = best_cpu(lambda: run(html, url), args.repeat)  # noqa: B023
        theirs = best_cpu(lambda: plain(html, url), args.repeat)  # noqa: B023
        totals: dict[str, list[float]] = {}
        with timed_stages(totals):
            for _ in range(args.repeat):
                run(html, url)
        print(f"  {name}: ours {whole * 1000:.1f} ms (plain trafilatura {theirs * 1000:.1f} ms)")
        for label, (spent, calls) in totals.items():
            if calls:
                share = spent / args.repeat
                print(
                    f"    {label:42s} {share * 1000:7.1f} ms"
                    f" {share / whole:6.1%} ({calls // args.repeat} a page)"
                )
    median = statistics.median(times.values())
    print(f"  (median page, one run: {median * 1000:.1f} ms)")


if __name__ == "__main__":
    main()
