"""Split news text into sentences: abbreviations, initials, decimals, quotes, French and English."""

from __future__ import annotations

import re

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
        "no", "nos", "vs", "etc", "inc", "ltd", "co", "corp", "dept", "est", "approx", "fig",
        "vol", "p", "pp", "ch", "art", "al", "cf", "av", "bd", "boul", "env", "mt", "ft",
    }
)  # fmt: skip

# A candidate boundary: . ! ? or … (with any closing quotes or brackets), whitespace, then what
# can start a sentence: a capital, a digit or an opening quote. French typography puts a
# (no-break) space inside « »: "… parlé. « Le pays »".
_BOUNDARY = re.compile(r"(?<=[.!?…])(?:\s?[\"'”’»)\]])*\s+(?=[\"'“‘«(\[]?\s?[A-ZÀ-ÝĀ-Ž0-9])")
_LAST_TOKEN = re.compile(r"([\w.\-]+)[.!?…][\"'”’»)\]]*$")
# "U.S", "e.g", "J.-C", an initial "F": a short dotted run of single letters.
_INITIALS = re.compile(r"(?:\w\.-?)*\w")


def split_sentences(text: str) -> list[str]:
    """Sentences in order; a blank line (paragraph break) always ends one."""
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


def _ends_with_abbreviation(candidate: str) -> bool:
    found = _LAST_TOKEN.search(candidate)
    if not found:
        return False
    token = found.group(1).casefold()
    if token in ABBREVIATIONS:
        return True
    # "U.S." or "J.-C." or an initial such as the F. in "John F. Kennedy" (a lone letter,
    # or dotted letters); a whole word ("ferry.") is a real end.
    return bool(_INITIALS.fullmatch(token)) and len(token.replace(".", "").replace("-", "")) <= 3
