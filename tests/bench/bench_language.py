"""Benchmark: each article's language read from its text, beside the rule it replaced (the
feed's <language> copied over every item).

Run by hand: python -m tests.bench.bench_language

The corpus (tests/collect/languages/, see its README) holds real French, Arabic and English
text, split into `tuned` (the thresholds were chosen on it) and `heldout` (never looked at
while tuning). Each text is judged as collection judges an item: with no declaration, with a
right one, and with each wrong one a feed of another language would give. The baseline is the
feed's <language> copied over the item: right only when the feed's language is the text's.
"""

from __future__ import annotations

import time
from pathlib import Path

from digest.collect.language import article_language

CORPUS = Path(__file__).parent.parent / "collect" / "languages"
LANGUAGES = ("ar", "en", "fr")


def main() -> None:
    for part in ("tuned", "heldout"):
        lines = (CORPUS / f"{part}.tsv").read_text("utf-8").splitlines()
        rows = [(lang, text) for lang, text in (line.split("\t", 1) for line in lines)]
        counts = ", ".join(f"{c} {sum(r[0] == c for r in rows)}" for c in LANGUAGES)
        print(f"{part}: {len(rows)} texts ({counts})")
        started = time.perf_counter()
        for label, declared in (
            ("no declaration", lambda lang: []),
            ("the right declaration", lambda lang: [lang]),
            *((f"feed says {feed}", lambda lang, feed=feed: [feed]) for feed in LANGUAGES),
        ):
            right = sum(article_language(text, declared(lang)) == lang for lang, text in rows)
            print(f"  {label:<24} {right / len(rows):7.1%}", end="")
            if label.startswith("feed says"):
                feed = label.rsplit(" ", 1)[1]
                baseline = sum(lang == feed for lang, _ in rows) / len(rows)
                print(f"   (baseline, feed's language copied: {baseline:6.1%})", end="")
            print()
        took = (time.perf_counter() - started) / (5 * len(rows))
        print(f"  {took * 1000:.2f} ms per text (the model's first load included)")


if __name__ == "__main__":
    main()
