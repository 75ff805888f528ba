"""Benchmark: extraction quality, F1 of word 4-grams against hand-written reference texts, ours
beside plain trafilatura on the same pages, in one run.

Run by hand: python -m tests.bench.bench_extract_quality [--pages DIR ...]

Each page DIR/NAME.html has its reference DIR/NAME.txt: the article's paragraphs as a reader
should get them, written out by hand. The default DIRs: tests/collect/pages/ (the golden pages
of the tests) and tests/bench/pages/ (pages held out while the cleaning was written); all were
written for the project, NOT real news pages (see the READMEs beside them). Plain
trafilatura is called as digest calls it (precision mode, text output, no comments) on the
same bytes.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

import trafilatura

from digest.collect.extract import extract_article

# The golden pages of the tests, and pages held out from the cleaning rules' writing.
PAGES = [
    Path(__file__).resolve().parents[1] / "collect" / "pages",
    Path(__file__).resolve().parent / "pages",
]


def grams(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    words = re.findall(r"\w+", text.casefold())
    return Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))


def f1(candidate: str, reference: str) -> tuple[float, float, float]:
    got, want = grams(candidate), grams(reference)
    overlap = sum((got & want).values())
    precision = overlap / max(sum(got.values()), 1)
    recall = overlap / max(sum(want.values()), 1)
    score = 2 * precision * recall / (precision + recall) if overlap else 0.0
    return precision, recall, score


def plain(html: bytes, url: str) -> str:
    text = trafilatura.extract(
        html, url=url, include_comments=False, include_tables=False, favor_precision=True
    )
    return text or ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=Path, action="append", help="(repeatable)")
    args = parser.parse_args()
    rows = []
    for page in sorted(p for folder in args.pages or PAGES for p in folder.glob("*.html")):
        reference = page.with_suffix(".txt").read_text(encoding="utf-8")
        html = page.read_bytes()
        url = f"https://news.example.org/{page.stem}/"
        ours = f1(extract_article(html, url).text, reference)
        theirs = f1(plain(html, url), reference)
        rows.append((page.stem, ours, theirs))
    print(f"{'page':40s} {'ours P/R/F1':>20s} {'trafilatura P/R/F1':>22s}")
    for name, ours, theirs in rows:
        print(
            f"{name[:40]:40s} {ours[0]:6.3f}/{ours[1]:.3f}/{ours[2]:.3f}"
            f"   {theirs[0]:6.3f}/{theirs[1]:.3f}/{theirs[2]:.3f}"
        )
    mean_ours = sum(r[1][2] for r in rows) / len(rows)
    mean_theirs = sum(r[2][2] for r in rows) / len(rows)
    print(
        f"mean F1 over {len(rows)} pages: ours {mean_ours:.3f}, plain trafilatura "
        f"{mean_theirs:.3f} (ratio {mean_ours / mean_theirs:.3f})"
    )


if __name__ == "__main__":
    main()
