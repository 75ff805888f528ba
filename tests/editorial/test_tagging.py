"""merge_tags: distinct tags across sources, case-insensitively, first spelling kept, limited."""

from __future__ import annotations

import pytest

from digest.editorial.tagging import merge_tags, normalise_tag


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("Energy", "Energy"),
        ("  Global   ties ", "Global ties"),
        ("#Health", "Health"),
        ("Economy,", "Economy"),
        ("Trade;", "Trade"),
        ("  ", ""),
        ("#", ""),
    ],
)
def test_normalise_tag(raw: str, tag: str) -> None:
    assert normalise_tag(raw) == tag


def test_merge_tags_dedupes_case_insensitively_keeping_the_first_spelling() -> None:
    tags = merge_tags(
        ["Energy", "economy"], ["ENERGY", " Global  ties "], ["Economy", "global ties"]
    )

    assert tags == ["Energy", "economy", "Global ties"]


def test_merge_tags_keeps_first_seen_order_across_groups() -> None:
    tags = merge_tags(["Culture"], ["Agriculture", "Culture"], ["Trade"], limit=10)

    assert tags == ["Culture", "Agriculture", "Trade"]


def test_merge_tags_casefolds_beyond_lower_case() -> None:
    assert merge_tags(["Straße"], ["STRASSE"]) == ["Straße"]


def test_merge_tags_drops_empty_tags() -> None:
    assert merge_tags(["", "  ", "#", "Health"], []) == ["Health"]


@pytest.mark.parametrize(
    ("limit", "expected"),
    [
        (0, []),
        (1, ["A"]),
        (3, ["A", "b", "c"]),
        (4, ["A", "b", "c", "d"]),
        (9, ["A", "b", "c", "d"]),
    ],
)
def test_merge_tags_limit(limit: int, expected: list[str]) -> None:
    assert merge_tags(["A", "b", "B"], ["c", "C"], ["d"], limit=limit) == expected


def test_merge_tags_default_limit_is_five() -> None:
    assert merge_tags(["one", "two", "three"], ["four", "five", "six", "seven"]) == [
        "one",
        "two",
        "three",
        "four",
        "five",
    ]


def test_merge_tags_limit_counts_distinct_tags_not_raw_ones() -> None:
    # Duplicates must not use up places: three distinct tags fit in a limit of three.
    assert merge_tags(["Energy", "energy", "ENERGY"], ["Trade", "Health"], limit=3) == [
        "Energy",
        "Trade",
        "Health",
    ]


def test_merge_tags_accepts_any_iterables() -> None:
    assert merge_tags(("Energy",), iter(["Trade"]), {"Health": 1}.keys()) == [
        "Energy",
        "Trade",
        "Health",
    ]
