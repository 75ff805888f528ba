"""Benchmark: Arabic reading time on real Arabic text, beside the rules it replaced.

Run by hand: python -m tests.bench.bench_reading_time_arabic

The rate is IReST's (Trauzettel-Klosinski & Dietz 2012): the same passage read silently, 138
words a minute in Arabic where English is 228, so the configured (English) rate is scaled by
138/228. Two things decide whether that is sane on our texts:

1. Our words are IReST's words (runs between spaces): our count beside the whitespace count
   and beside the previous counter (the standard library's \\w, which split a word at each
   vowel mark), on a real news article: newspaper4k 0.9.6's tests/data/txt/arabic_article.txt
   (a CNN Arabic article kept in its MIT-licensed sdist), and on Django 5.2.19's Arabic
   catalogues (its sdist, BSD 3-clause, translations by Django's translators). Both sdists are
   fetched once with pip into ~/.cache/digest-bench (tests/bench/package_fixtures.py), never
   copied into the project.
2. The same content in both languages: each Arabic msgstr beside its English msgid (Django's
   catalogues, held out; the project's own templates/locales/ar, which the test suite reads):
   Arabic words per English word, and how much longer the Arabic reads at our rate, beside the
   English rate applied to Arabic (the rule before the language rates).
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from babel.messages.pofile import read_po

from digest.editorial.reading_time import count_words, words_per_minute_in
from tests.bench.package_fixtures import unpack

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}|<[^>]+>")
STDLIB_WORD = re.compile(r"\w+(?:[’'-]\w+)*")  # the counter before combining marks counted
ENGLISH_RATE = 230  # editorial.words_per_minute's default


def pairs_of(catalogues: list[Path]) -> list[tuple[str, str]]:
    """(English, Arabic) of every translated message, placeholders and markup taken out."""
    found = []
    for path in catalogues:
        with path.open("rb") as stream:
            catalog = read_po(stream)
        for message in catalog:
            if not message.id or not message.string or message.fuzzy:
                continue
            msgid = message.id[0] if isinstance(message.id, tuple) else message.id
            msgstr = message.string[0] if isinstance(message.string, tuple) else message.string
            found.append((PLACEHOLDER.sub(" ", msgid), PLACEHOLDER.sub(" ", msgstr)))
    return found


def units(name: str, texts: list[str]) -> None:
    ours = sum(count_words(t) for t in texts)
    spaces = sum(len(t.split()) for t in texts)
    before = sum(len(STDLIB_WORD.findall(t)) for t in texts)
    marks = sum(unicodedata.category(c) == "Mn" for t in texts for c in t)
    print(
        f"  {name:<34} ours {ours:6d}  whitespace (IReST's unit) {spaces:6d}  ratio "
        f"{ours / spaces:.3f}   (baseline, stdlib \\w: {before:6d}, ratio {before / spaces:.3f};"
        f" {marks} vowel marks)"
    )


def parallel(name: str, pairs: list[tuple[str, str]]) -> None:
    english = sum(count_words(e) for e, _ in pairs)
    arabic = sum(count_words(a) for _, a in pairs)
    ours = (arabic / words_per_minute_in("ar", ENGLISH_RATE)) / (english / ENGLISH_RATE)
    baseline = arabic / english
    print(
        f"  {name:<34} {len(pairs):4d} messages, {english:6d} English words, {arabic:6d} Arabic:"
        f" {arabic / english:.3f} Arabic words per English word; the Arabic reads {ours:.2f}x"
        f" as long (baseline, English rate for Arabic: {baseline:.2f}x)"
    )


def main() -> None:
    article = unpack("newspaper4k==0.9.6") / "tests" / "data" / "txt" / "arabic_article.txt"
    django = unpack("django==5.2.19")
    catalogues = sorted(django.glob("django/**/locale/ar/LC_MESSAGES/*.po"))
    ours = [ROOT / "templates" / "locales" / "ar" / "LC_MESSAGES" / "digest.po"]
    print(f"Arabic rate: {words_per_minute_in('ar', ENGLISH_RATE)} words a minute "
          f"(English {ENGLISH_RATE}; IReST 138 against 228)")  # fmt: skip
    print("1. Words counted, ours against IReST's unit:")
    units("newspaper4k's Arabic article", [article.read_text("utf-8")])
    units(f"Django's Arabic ({len(catalogues)} catalogues)", [a for _, a in pairs_of(catalogues)])
    units("project's own Arabic catalogue", [a for _, a in pairs_of(ours)])
    print("2. The same content in English and Arabic:")
    parallel("Django 5.2.19 (held out)", pairs_of(catalogues))
    parallel("project's own catalogue", pairs_of(ours))


if __name__ == "__main__":
    main()
