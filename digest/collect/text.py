"""Text from feeds and pages made fit to show and store: control characters out, labels cut."""

from __future__ import annotations

import re
import unicodedata

from charset_normalizer import from_bytes

# C0 controls but tab and line breaks, DEL, C1, the two non-characters and lone surrogates:
# nothing a reader should see; lxml refuses them, PostgreSQL refuses NUL in text, and a lone
# surrogate cannot be encoded at all (JSON Feed can carry \u0000 and \udc00, feedparser's
# loose mode &#xDC00;: one such author stopped the whole collection run).
_CONTROLS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff"
CONTROL = re.compile(f"[{_CONTROLS}]")
# Those, and the bidi embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069): a
# right-to-left override in a title turns the rest of a subject line or an email row around
# (CVE-2021-42574, "Trojan Source"). The digest sets each story's direction itself. The marks
# (U+200E, U+200F, U+061C) stay: they reorder nothing beyond themselves.
_UNSHOWN = re.compile(f"[{_CONTROLS}\u202a-\u202e\u2066-\u2069]")

# articles.language is String(35): BCP 47 tags are far shorter, anything longer is junk.
LANGUAGE_LENGTH = 35
# articles.region and sources.region are String(200).
REGION_LENGTH = 200


def decode_undeclared(data: bytes) -> str:
    """Bytes that are not UTF-8 and declare no charset (windows-1251 served bare, say):
    charset_normalizer's guess from the first 200 kB when it reads another script than Latin,
    else windows-1252; never an error.

    Among Latin code pages the guess is unreliable (ISO-8859-1 French was read as windows-1250
    and windows-1257: "récolte" became "rŕcolte"), and windows-1252, what browsers and
    feedparser fall back to, is what undeclared Latin text on the web is written in."""
    best = from_bytes(data[:200_000]).best()
    if best is not None and not _latin(data[:200_000].decode(best.encoding, errors="replace")):
        return data.decode(best.encoding, errors="replace")
    return data.decode("windows-1252", errors="replace")


def _latin(text: str) -> bool:
    """Every letter beyond ASCII is a Latin one: the text is in a Latin script whatever code
    page read it."""
    return all(
        unicodedata.name(c, "").startswith("LATIN")
        for c in set(text)
        if ord(c) > 127 and c.isalpha()
    )


def without_control_chars(text: str) -> str:
    return _UNSHOWN.sub("", text)


def short_label(value: str | None, limit: int) -> str | None:
    """A one-line label (a language tag, a breadcrumb step, a category) as a column of
    limit characters holds it: controls dropped, spaces collapsed; None when nothing is left."""
    if not value:
        return None
    label = " ".join(without_control_chars(value).split())[:limit].rstrip()
    return label or None


def language_tag(value: str | None) -> str | None:
    return short_label(value, LANGUAGE_LENGTH)


_WORDS = re.compile(r"\w+")


def fingerprint(line: str) -> str:
    """A text's words, case folded, one space between: two paragraphs that differ only in
    punctuation, spacing, markup or case have the same."""
    return " ".join(_WORDS.findall(line.casefold()))
