"""An article's tags: feed categories, page tags and source defaults, normalised."""

from __future__ import annotations

from collections.abc import Iterable


def normalise_tag(tag: str) -> str:
    return " ".join(tag.split()).strip(" ,;#")


def merge_tags(*groups: Iterable[str], limit: int = 5) -> list[str]:
    """Distinct tags (case-insensitively) in first-seen order, keeping the first spelling."""
    seen: set[str] = set()
    out: list[str] = []
    for group in groups:
        for raw in group:
            tag = normalise_tag(raw)
            key = tag.casefold()
            if tag and key not in seen:
                seen.add(key)
                out.append(tag)
    return out[:limit]
