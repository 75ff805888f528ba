"""Split news text into sentences: abbreviations, initials, decimals, quotes; English, French,
Arabic (no capitals; ؟), Chinese and Japanese by these rules, other scripts by pysbd."""

from __future__ import annotations

import re
from functools import cache

import pysbd

# A dot after one of these does not end a sentence ("Mr. Yao", "Gen. Mahamat", "M. Traoré").
# Lower-cased, without the dot; single letters (initials, "U.S." pieces) are handled apart.
ABBREVIATIONS = frozenset(
    {
        # English titles and ranks
        "mr", "mrs", "ms", "dr", "prof", "gen", "col", "lt", "maj", "sgt", "capt", "cmdr",
        "adm", "gov", "sen", "rep", "pres", "rev", "hon", "st", "jr", "sr", "fr",
        # French titles
        "mme", "mmes", "mlle", "mlles", "mm", "me", "mgr", "pr",
        # months (English and French short forms)
        "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "janv", "févr", "fév", "avr", "juil", "déc",
        # everyday abbreviations
        "no", "nos", "vs", "inc", "ltd", "co", "corp", "dept", "est", "approx", "fig",
        "vol", "p", "pp", "ch", "art", "al", "cf", "av", "bd", "boul", "env", "mt", "ft",
    }
)  # fmt: skip

# Arabic letters and digits (Arabic has no capitals: any letter may start a sentence).
_ARABIC = "\u0621-\u064a\u0660-\u0669\u0671-\u06d3\u06f0-\u06f9"
# A candidate boundary: . ! ? … or Arabic ؟ and ۔ (with any closing quotes or brackets),
# whitespace, then what can start a sentence: a capital, a digit, an Arabic letter or an opening
# quote. French typography puts a (no-break) space inside « »: "… parlé. « Le pays »".
_BOUNDARY = re.compile(
    r"(?<=[.!?…؟۔])(?:\s?[\"'”’»)\]])*\s+"
    rf"(?=[\"'“‘«(\[]?\s?[A-ZÀ-ÝĀ-Ž0-9{_ARABIC}])"
)
_LAST_TOKEN = re.compile(r"([\w.\-]+)[.!?…][\"'”’»)\]]*$")
# Languages whose stops or capitals these rules do not know (Armenian ։, Amharic ።, Hindi ।,
# Burmese ။, Greek ;, Cyrillic capitals): pysbd's rules for them. Measured on real news text
# (tests/bench/bench_sentences.py), pysbd split French and Arabic worse than these rules: it
# misses boundaries before « L’ » and cuts Arabic sentences at every comma (،).
PYSBD_LANGUAGES = frozenset({"am", "bg", "el", "hi", "hy", "kk", "mr", "my", "ru"})
# "U.S", "e.g", "J.-C", an initial "F": a short dotted run of single letters.
_INITIALS = re.compile(r"(?:\w\.-?)*\w")


def split_sentences(text: str, language: str | None = None) -> list[str]:
    """Sentences in order; a blank line (paragraph break) always ends one. language (BCP 47,
    when known) picks pysbd for the languages in PYSBD_LANGUAGES."""
    primary = (language or "").split("-")[0].casefold()
    if primary in PYSBD_LANGUAGES:
        return _pysbd_sentences(text, primary)
    sentences: list[str] = []
    for paragraph in text.split("\n\n"):
        paragraph = " ".join(paragraph.split())
        start = 0
        for match in _BOUNDARY.finditer(paragraph):
            candidate = paragraph[start : match.start()]
            if candidate.endswith(".") and _ends_with_abbreviation(candidate):
                continue
            sentences.append(paragraph[start : match.end()].strip())
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    if any(stop in text for stop in "。！？"):
        return [part for sentence in sentences for part in _split_ideographic(sentence)]
    return sentences


# Chinese and Japanese end a sentence with 。！？ (and closing brackets), with no space after.
_IDEOGRAPHIC_SENTENCE = re.compile(r"[^。！？]+(?:[。！？]+[」』”’）)]*|$)|[。！？]+")


def _split_ideographic(sentence: str) -> list[str]:
    return [
        m.group().strip() for m in _IDEOGRAPHIC_SENTENCE.finditer(sentence) if m.group().strip()
    ]


@cache
def _segmenter(language: str) -> pysbd.Segmenter:
    return pysbd.Segmenter(language=language, clean=False)


def _pysbd_sentences(text: str, language: str) -> list[str]:
    segmenter = _segmenter(language)
    return [
        sentence.strip()
        for paragraph in text.split("\n\n")
        if paragraph.strip()
        for sentence in segmenter.segment(" ".join(paragraph.split()))
        if sentence.strip()
    ]


def _ends_with_abbreviation(candidate: str) -> bool:
    found = _LAST_TOKEN.search(candidate)
    if not found:
        return False
    token = found.group(1).casefold()
    if token in ABBREVIATIONS:
        return True
    # "U.S." or "J.-C." or an initial such as the F. in "John F. Kennedy" (a lone letter,
    # or dotted letters; in Arabic "د." doctor, "أ.د." professor); a whole word ("ferry.") is a
    # real end.
    return bool(_INITIALS.fullmatch(token)) and len(token.replace(".", "").replace("-", "")) <= 3
