"""Benchmark: undeclared ISO-8859-1 feeds of real French text, read by digest, beside the rule
it replaced (charset-normalizer's guess alone) and feedparser alone.

Run by hand: python -m tests.bench.bench_feed_decoding

Each French text of tests/collect/languages/ (real translations, `tuned` and `heldout` parts,
see its README) that ISO-8859-1 can hold becomes a one-item RSS feed without any declaration;
a feed counts as right when its item's title reads exactly as written. Short feeds are the
hard case: a detector has few bytes to go on.
"""

from __future__ import annotations

import html
from pathlib import Path

import feedparser
from charset_normalizer import from_bytes

from digest.collect.feeds import parse_feed

LANGUAGES = Path(__file__).parent.parent / "collect" / "languages"


def feed(title: str) -> bytes:
    return (
        '<rss version="2.0"><channel><title>Le fil</title>'
        f"<item><title>{html.escape(title)}</title><guid>1</guid></item></channel></rss>"
    ).encode("iso-8859-1")


def guessed_alone(data: bytes) -> str:
    best = from_bytes(data).best()
    text = data.decode(best.encoding if best is not None else "windows-1252", "replace")
    return html.unescape(text.split("<item><title>")[1].split("</title>")[0])


def main() -> None:
    for part in ("tuned", "heldout"):
        texts = []
        for line in (LANGUAGES / f"{part}.tsv").read_text("utf-8").splitlines():
            lang, text = line.split("\t", 1)
            if lang == "fr" and not text.isascii() and all(ord(c) < 256 for c in text):
                texts.append(" ".join(text.split()))
        ours = sum(
            parse_feed(feed(t), "https://fil.example.org/").entries[0].title == t for t in texts
        )
        alone = sum(feedparser.parse(feed(t)).entries[0].title == t for t in texts)
        baseline = sum(guessed_alone(feed(t)) == t for t in texts)
        print(
            f"{part}: {len(texts)} feeds right: digest {ours / len(texts):6.1%}"
            f"   (baseline, detector's guess alone: {baseline / len(texts):6.1%};"
            f" feedparser alone: {alone / len(texts):6.1%})"
        )


if __name__ == "__main__":
    main()
