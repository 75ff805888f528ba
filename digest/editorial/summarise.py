"""A lead summary: the article's first whole sentences within a word budget."""

from __future__ import annotations

import re

from digest.editorial.reading_time import count_words

# A sentence ends at . ! ? (and closing quotes) followed by space and a capital or a quote,
# unless the dot closes a common abbreviation or an initial.
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "gen",
    "col",
    "lt",
    "sgt",
    "capt",
    "gov",
    "sen",
    "rep",
    "st",
    "jr",
    "sr",
    "no",
    "vs",
    "etc",
    "inc",
    "ltd",
    "co",
    "corp",
    "dept",
    "est",
    "approx",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
    "m",
    "mme",
    "mlle",
}
# French typography puts a (no-break) space inside « »: "… parlé. « Le pays »".
_BOUNDARY = re.compile(r"(?<=[.!?])(?:\s?[\"'”’»)])*\s+(?=[\"'“‘«(]?\s?[A-ZÀ-Ý0-9])")


def split_sentences(text: str) -> list[str]:
    sentences: list[str] = []
    for paragraph in text.split("\n\n"):
        paragraph = " ".join(paragraph.split())
        start = 0
        for match in _BOUNDARY.finditer(paragraph):
            candidate = paragraph[start : match.start()]
            last_word = re.findall(r"([\w.]+)[.!?][\"'”’»)]*$", candidate)
            word = last_word[0].casefold() if last_word else ""
            if word in _ABBREVIATIONS or (re.fullmatch(r"(\w\.)*\w", word) and len(word) <= 3):
                continue  # "Mr." or "U.S." or an initial: not the end of a sentence
            sentences.append(paragraph[start : match.end()].strip())
            start = match.end()
        tail = paragraph[start:].strip()
        if tail:
            sentences.append(tail)
    return sentences


def lead_summary(text: str, title: str = "", word_budget: int = 60) -> str:
    """Whole sentences from the start, in order, within the budget; never the title again."""
    title_key = " ".join(title.casefold().split())
    chosen: list[str] = []
    used = 0
    for sentence in split_sentences(text):
        if " ".join(sentence.casefold().split()).rstrip(".") == title_key.rstrip("."):
            continue
        words = count_words(sentence)
        if used + words > word_budget:
            if not chosen:
                # A first sentence longer than the budget: cut at a word, and say so.
                return " ".join(sentence.split()[:word_budget]).rstrip(",;:") + "…"
            break
        chosen.append(sentence)
        used += words
    return " ".join(chosen)
