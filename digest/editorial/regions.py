"""An article's region: its source's, its page's section, or the places it names (pure)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

# A place in the title counts as much as this many mentions in the text.
TITLE_WEIGHT = 3
# Fewer weighted mentions than this say too little to place an article.
MIN_EVIDENCE = 2


@dataclass(frozen=True)
class Gazetteer:
    """Place names (countries, cities, demonyms) and the region each belongs to."""

    region_of: Mapping[str, str] = field(default_factory=dict)
    names: tuple[str, ...] = ()  # the regions, in the configuration's order
    matcher: re.Pattern[str] | None = None

    @classmethod
    def from_mapping(cls, places_by_region: Mapping[str, Sequence[str]]) -> Gazetteer:
        region_of: dict[str, str] = {}
        for region, places in places_by_region.items():
            for place in places:
                name = " ".join(place.split())
                if name:
                    region_of.setdefault(name, region)  # a name listed twice: its first region
        if not region_of:
            return cls(names=tuple(places_by_region))
        # Longest names first: "South Sudan" is read whole, not as "Sudan". Place names are
        # proper nouns: their capitals count, and only whole words.
        names = sorted(region_of, key=len, reverse=True)
        alternatives = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in names)
        matcher = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")
        return cls(region_of, tuple(places_by_region), matcher)

    def regions_named(self, text: str) -> Counter[str]:
        """How many times text names a place of each region."""
        if self.matcher is None:
            return Counter()
        return Counter(self.region_of[" ".join(m.split())] for m in self.matcher.findall(text))


def infer_region(title: str, text: str, gazetteer: Gazetteer) -> str | None:
    """The region whose places the article names most (a place in the title weighs more);
    None when no region has enough evidence or two regions tie."""
    scores = gazetteer.regions_named(text)
    for region, count in gazetteer.regions_named(title).items():
        scores[region] += TITLE_WEIGHT * count
    ranked = scores.most_common(2)
    if not ranked or ranked[0][1] < MIN_EVIDENCE:
        return None
    if len(ranked) > 1 and ranked[1][1] == ranked[0][1]:
        return None
    return ranked[0][0]


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
