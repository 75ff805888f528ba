"""An article's tags: feed categories, page tags and source tags normalised, plus rule tags."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class TagRule:
    """A tag given to every article whose title and text match it at least min_matches times."""

    tag: str
    matcher: re.Pattern[str]
    min_matches: int = 1


def compile_rule(
    tag: str, keywords: Sequence[str] = (), patterns: Sequence[str] = (), min_matches: int = 1
) -> TagRule:
    """Keywords match as whole words or phrases, any case, any spacing or hyphen between their
    words; patterns are regular expressions (any case). Raises re.error for a bad pattern."""
    alternatives = [_keyword_pattern(k) for k in keywords if k.strip()]
    alternatives += [f"(?:{p})" for p in patterns if p]
    if not alternatives:
        raise ValueError("a tag rule needs at least one keyword or pattern")
    return TagRule(tag, re.compile("|".join(alternatives), re.IGNORECASE), min_matches)


def _keyword_pattern(keyword: str) -> str:
    words = [re.escape(w) for w in keyword.split()]
    return r"(?<!\w)" + r"[\s\-‑]+".join(words) + r"(?!\w)"


def normalise_tag(tag: str, synonyms: Mapping[str, str] | None = None) -> str:
    """Spaces collapsed, stray punctuation dropped, the synonym map's spelling if it has one
    (keys compared case-insensitively), otherwise a capital first letter for an all-lower or
    shouted tag ("economy", "ECONOMY" -> "Economy"; "EU" and "iPhone" are left alone)."""
    tag = " ".join(tag.split()).strip(" ,;:#|/·•")
    if not tag:
        return ""
    if synonyms:
        canonical = _synonym_index(synonyms).get(tag.casefold())
        if canonical:
            return canonical
    letters = [c for c in tag if c.isalpha()]
    if letters and all(c.islower() for c in letters):
        return tag[0].upper() + tag[1:]
    if len(letters) > 4 and all(c.isupper() for c in letters):
        return tag.capitalize()
    return tag


def _synonym_index(synonyms: Mapping[str, str]) -> dict[str, str]:
    return {" ".join(k.split()).casefold(): v for k, v in synonyms.items()}


def rule_tags(title: str, text: str, rules: Sequence[TagRule]) -> list[str]:
    """The tags of the rules that match, the most matched first (ties in the rules' order)."""
    haystack = f"{title}\n\n{text}"
    hits = []
    for order, rule in enumerate(rules):
        count = sum(1 for _ in rule.matcher.finditer(haystack))
        if count >= rule.min_matches:
            hits.append((-count, order, rule.tag))
    return [tag for _, _, tag in sorted(hits)]


def merge_tags(
    *groups: Iterable[str], limit: int = 5, synonyms: Mapping[str, str] | None = None
) -> list[str]:
    """Distinct normalised tags (case-insensitively) in first-seen order, at most limit."""
    seen: set[str] = set()
    out: list[str] = []
    for group in groups:
        for raw in group:
            tag = normalise_tag(raw, synonyms)
            key = tag.casefold()
            if tag and key not in seen:
                seen.add(key)
                out.append(tag)
    return out[: max(limit, 0)]
