"""count_words and reading_minutes: whole minutes, rounded up, at least one."""

from __future__ import annotations

import pytest

from digest.editorial.reading_time import count_words, reading_minutes


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", 0),
        ("   \n\n ", 0),
        ("The ferry runs twice a day.", 6),
        ("Côte d’Ivoire's well-known cocoa board", 5),
        ("Ségou — rice, solar pumps; and «water».", 6),
        ("one\n\ntwo\tthree", 3),
    ],
)
def test_count_words(text: str, words: int) -> None:
    assert count_words(text) == words


@pytest.mark.parametrize(
    ("words", "per_minute", "minutes"),
    [
        (0, 230, 1),
        (1, 230, 1),
        (229, 230, 1),
        (230, 230, 1),
        (231, 230, 2),
        (460, 230, 2),
        (461, 230, 3),
        (1000, 200, 5),
        (1001, 200, 6),
        (99, 100, 1),
        (101, 100, 2),
    ],
)
def test_reading_minutes_rounds_up_and_is_at_least_one(
    words: int, per_minute: int, minutes: int
) -> None:
    assert reading_minutes(words, per_minute) == minutes


def test_reading_minutes_default_speed_is_230_words() -> None:
    assert reading_minutes(230) == 1
    assert reading_minutes(231) == 2


@pytest.mark.parametrize("per_minute", [0, -230])
def test_reading_minutes_refuses_a_speed_that_is_not_positive(per_minute: int) -> None:
    with pytest.raises(ValueError):
        reading_minutes(100, per_minute)


def test_reading_minutes_of_a_real_text() -> None:
    text = " ".join(["The lagoon ferry now crosses twelve times a day."] * 60)  # 540 words

    assert count_words(text) == 540
    assert reading_minutes(count_words(text)) == 3
