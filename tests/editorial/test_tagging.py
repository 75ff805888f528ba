"""merge_tags: distinct tags across sources, case-insensitively, first spelling kept, limited."""

from __future__ import annotations

import pytest

from digest.editorial.tagging import compile_rule, merge_tags, normalise_tag, rule_tags


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


def test_merge_tags_dedupes_case_insensitively_keeping_the_first_spelling_capitalised() -> None:
    tags = merge_tags(
        ["Energy", "economy"], ["ENERGY", " Global  ties "], ["Economy", "global ties"]
    )

    # An all-lower-case first spelling gets its capital: case is normalised too.
    assert tags == ["Energy", "Economy", "Global ties"]


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
        (3, ["A", "B", "C"]),
        (4, ["A", "B", "C", "D"]),
        (9, ["A", "B", "C", "D"]),
    ],
)
def test_merge_tags_limit(limit: int, expected: list[str]) -> None:
    assert merge_tags(["A", "b", "B"], ["c", "C"], ["d"], limit=limit) == expected


def test_merge_tags_default_limit_is_five() -> None:
    assert merge_tags(["one", "two", "three"], ["four", "five", "six", "seven"]) == [
        "One",
        "Two",
        "Three",
        "Four",
        "Five",
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


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("economy", "Economy"),
        ("ECONOMY", "Economy"),
        ("EU", "EU"),
        ("iPhone", "iPhone"),
        ("global ties", "Global ties"),
        ("Défense", "Défense"),
    ],
)
def test_normalise_tag_case(raw: str, tag: str) -> None:
    assert normalise_tag(raw) == tag


def test_normalise_tag_synonyms_any_case_and_spacing() -> None:
    synonyms = {"Foreign  affairs": "Global ties", "défense": "Defence"}

    assert normalise_tag("FOREIGN AFFAIRS", synonyms) == "Global ties"
    assert normalise_tag(" foreign   affairs ", synonyms) == "Global ties"
    assert normalise_tag("Défense", synonyms) == "Defence"
    assert merge_tags(["Défense", "defence"], synonyms=synonyms) == ["Defence"]


def test_rule_tags_keywords_are_whole_words_any_case_any_spacing() -> None:
    rules = [
        compile_rule("Global ties", ["bilateral", "defence pact", "memorandum of understanding"]),
        compile_rule("Energy", ["solar"], min_matches=2),
    ]

    assert rule_tags("A Defence-Pact signed", "", rules) == ["Global ties"]
    assert rule_tags("", "They signed a Memorandum of\nUnderstanding.", rules) == ["Global ties"]
    assert rule_tags("Multilateralism returns", "Trilateral talks.", rules) == []
    # Energy needs two mentions; the rule matched most comes first.
    text = "Solar pumps and solar panels. A bilateral deal."
    assert rule_tags("", text, rules) == ["Energy", "Global ties"]
    assert rule_tags("", "One solar pump. A bilateral deal.", rules) == ["Global ties"]


def test_rule_tags_patterns_are_regular_expressions() -> None:
    rules = [compile_rule("Global ties", patterns=[r"\bMoUs?\b"])]

    assert rule_tags("Two MoUs signed", "", rules) == ["Global ties"]
    assert rule_tags("Mouse plague", "", rules) == []


def test_a_rule_needs_a_keyword_or_a_pattern() -> None:
    with pytest.raises(ValueError, match="at least one keyword or pattern"):
        compile_rule("Empty", [" "], [])
