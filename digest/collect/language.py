"""Which language an article is written in: read from its own text, a declared tag kept only
when it agrees; pure.

A feed's <language> names the site's usual language, not each item's (a French story in an
Arabic site's feed was stored as `ar`), and a page's lang attribute is often its template's.
So the text decides, through py3langid (langid.py's model, shipped inside the wheel: nothing is
fetched), and a declaration is used only to add what detection cannot know (`pt-BR` rather than
`pt`) or when the text is too short to tell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

from digest.collect.text import language_tag

# Below this many letters a text says too little (a headline, "Comments"): the declaration
# decides. langid.py's authors measured its accuracy falling fast under about 25 characters.
SHORTEST_TEXT = 20
# Enough text to decide; the rest of a long article only costs time.
LONGEST_SAMPLE = 4000
# Below this probability the detection is a guess: a declared tag of another language wins.
CONFIDENT = 0.3

_LETTER = re.compile(r"[^\W\d_]")
_TAG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


@cache
def _identifier() -> LanguageIdentifier:
    # Loaded once per process, on first use (about half a second), with probabilities
    # normalised so that CONFIDENT means the same for every text.
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> tuple[str, float] | None:
    """The language of text (an ISO 639-1 code) and its probability; None when text is too
    short to tell."""
    if len(_LETTER.findall(text[:LONGEST_SAMPLE])) < SHORTEST_TEXT:
        return None
    code, probability = _identifier().classify(text[:LONGEST_SAMPLE])
    return str(code), float(probability)


def article_language(text: str, declared: Iterable[str | None]) -> str | None:
    """The article's language tag (BCP 47): detected from text; a declared tag (the page's
    lang or og:locale, the feed item's, the feed's, most specific first) is kept when its
    language is the one detected, or when the text is too short or the detection unsure."""
    tags = [tag for tag in (_well_formed(d) for d in declared) if tag is not None]
    detected = detect_language(text)
    if detected is None:
        return tags[0] if tags else None
    code, probability = detected
    for tag in tags:
        if _primary(tag) == code:
            return tag
    if probability < CONFIDENT and tags:
        return tags[0]
    return code


def _primary(tag: str) -> str:
    return tag.split("-")[0].lower()


def _well_formed(value: str | None) -> str | None:
    """A declared tag in its usual case (fr-FR, zh-Hant-TW), from "fr_FR" or "FR-fr" too;
    None for anything that is not a language tag ("undefined", "français")."""
    tag = language_tag((value or "").replace("_", "-").strip())
    if tag is None or not _TAG.match(tag) or _primary(tag) in ("und", "mul", "zxx"):
        return None
    parts = tag.split("-")
    cased = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 2:
            cased.append(part.upper())
        elif len(part) == 4:
            cased.append(part.title())
        else:
            cased.append(part.lower())
    return "-".join(cased)
