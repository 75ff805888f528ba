"""An article's region: its source's, its page's section, or the places it names (pure)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# A place in the title counts as much as this many mentions in the text.
TITLE_WEIGHT = 3
# Fewer weighted mentions than this say too little to place an article.
MIN_EVIDENCE = 2


@dataclass(frozen=True)
class Gazetteer:
    """Region -> a matcher for the places (countries, cities, demonyms) that belong to it."""

    regions: tuple[tuple[str, re.Pattern[str]], ...] = ()

    @classmethod
    def from_mapping(cls, places_by_region: Mapping[str, Sequence[str]]) -> Gazetteer:
        regions = []
        for region, places in places_by_region.items():
            names = sorted(
                {" ".join(p.split()) for p in places if p.strip()}, key=len, reverse=True
            )
            if names:
                alternatives = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names)
                # Place names are proper nouns: match their case, whole words only.
                regions.append((region, re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")))
        return cls(tuple(regions))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(region for region, _ in self.regions)


def infer_region(title: str, text: str, gazetteer: Gazetteer) -> str | None:
    """The region whose places the article names most (a place in the title weighs more);
    None when no region has enough evidence or two regions tie."""
    scores = []
    for region, matcher in gazetteer.regions:
        score = TITLE_WEIGHT * len(matcher.findall(title)) + len(matcher.findall(text))
        if score:
            scores.append((score, region))
    scores.sort(reverse=True)
    if not scores or scores[0][0] < MIN_EVIDENCE:
        return None
    if len(scores) > 1 and scores[1][0] == scores[0][0]:
        return None
    return scores[0][1]


def choose_region(
    *,
    source_region: str,
    section: str | None,
    title: str,
    text: str,
    gazetteer: Gazetteer,
    infer: bool = True,
) -> str:
    """The source's region when configured; else the page's section (or breadcrumb) when it
    names a known region; else the region its places point to; else the section as it is."""
    if source_region.strip():
        return source_region.strip()
    section = " ".join((section or "").split())
    for name in gazetteer.names:
        # "Home › Northern Africa" or "northern africa": the section names a known region.
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", section, re.IGNORECASE):
            return name
    if infer:
        inferred = infer_region(title, text, gazetteer)
        if inferred:
            return inferred
    return section
