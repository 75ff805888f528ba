"""count_words and reading_minutes: whole minutes, rounded up, at least one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from digest.editorial.reading_time import count_words, reading_minutes, words_per_minute_in

LOCALES = Path(__file__).resolve().parents[2] / "templates" / "locales"
_PLACEHOLDER = re.compile(r"%\(\w+\)s|\{\w+\}|<[^>]+>")


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


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # Chinese and Japanese: two characters to the word, rounded up.
        ("在美国旧金山举行的中美元首会晤", 8),
        ("ナイジェリア北東部", 5),
        # Mixed with spaced words, each counted its own way.
        ("iPhone 15 在美国", 4),
        # Thai: five characters to the word.
        ("ผู้สื่อข่าวได้รับแจ้ง", 5),
        # Korean is written with spaces: its words count as words.
        ("북한 신문이 남한을 비난했다", 4),
        ("Москва и Киев", 3),
    ],
)
def test_count_words_of_scripts_without_spaces(text: str, words: int) -> None:
    assert count_words(text) == words


def test_a_chinese_article_reads_at_about_460_characters_a_minute() -> None:
    assert reading_minutes(count_words("中" * 460)) == 1
    assert reading_minutes(count_words("中" * 462)) == 2


@pytest.mark.parametrize(
    ("words", "images", "seconds", "minutes"),
    [
        (230, 0, 12, 1),
        (230, 1, 12, 2),  # 60 s of words and 12 s of image: rounded up
        (200, 2, 12, 2),
        (100, 1, 12, 1),  # 26 s of words and 12 s of image
        (100, 4, 12, 2),  # 26 s + 48 s
        (0, 10, 12, 2),
        (460, 5, 0, 2),  # no allowance configured
    ],
)
def test_reading_minutes_with_images(words: int, images: int, seconds: int, minutes: int) -> None:
    assert reading_minutes(words, 230, images, seconds) == minutes


@pytest.mark.parametrize(
    ("language", "rate"), [("en", 230), ("ar", 139), ("ar-MA", 139), ("fr", 197), ("sw", 230)]
)
def test_reading_speed_follows_the_language(language: str, rate: int) -> None:
    assert words_per_minute_in(language, 230) == rate


def test_an_arabic_article_takes_longer_than_as_many_english_words() -> None:
    words = 700  # about a page of a news site
    english = reading_minutes(words, words_per_minute_in("en", 230))
    arabic = reading_minutes(words, words_per_minute_in("ar", 230))
    assert (english, arabic) == (4, 6)


@pytest.mark.parametrize(
    ("marked", "bare"),
    [
        ("مُحَمَّدٌ كَتَبَ الدَّرْسَ فِي المَدْرَسَةِ", "محمد كتب الدرس في المدرسة"),  # Arabic harakat
        ("שָׁלוֹם עוֹלָם", "שלום עולם"),  # Hebrew niqqud
        ("हिन्दी भाषा में समाचार", "हनद भष म समचर"),  # Devanagari vowel signs and virama
    ],
)
def test_vowel_marks_do_not_split_a_word(marked: str, bare: str) -> None:
    """A vocalised word (a headline's shadda, a quotation's full harakat) is one word, as IReST
    counts it: the marks belong to the word they sit on."""
    assert count_words(marked) == count_words(bare) == len(bare.split())


def test_arabic_reading_time_is_sane_on_the_projects_own_parallel_text() -> None:
    """The words of the Arabic catalogue beside their English msgids (the same content, written
    for the project): about as many words, read at Arabic's slower rate, so the Arabic takes
    longer, but not twice as long. A rate left at English's, or a counter that split Arabic
    words, falls outside."""
    with (LOCALES / "ar" / "LC_MESSAGES" / "digest.po").open("rb") as stream:
        catalog = read_po(stream)
    english = arabic = 0
    for message in catalog:
        if message.id and message.string:
            msgid = message.id[0] if isinstance(message.id, tuple) else message.id
            msgstr = message.string[0] if isinstance(message.string, tuple) else message.string
            english += count_words(_PLACEHOLDER.sub(" ", msgid))
            arabic += count_words(_PLACEHOLDER.sub(" ", msgstr))
    assert english > 800  # enough text to judge
    assert 0.8 <= arabic / english <= 1.1
    seconds_en = english * 60 / words_per_minute_in("en", 230)
    seconds_ar = arabic * 60 / words_per_minute_in("ar", 230)
    assert 1.2 <= seconds_ar / seconds_en <= 1.8
    vocalised = "كَتَبَ مُحَمَّدٌ " * 350  # 700 words, every one with its marks
    assert reading_minutes(count_words(vocalised), words_per_minute_in("ar", 230)) == 6
