"""Reading time from the words of the cleaned article text, images included."""

from __future__ import annotations

import math
import re

import regex

# Scripts written without spaces between words. Chinese and Japanese are read by the character
# (a word is about two of them); Thai, Lao, Khmer and Burmese words run about five characters.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]")
_SOUTHEAST_ASIAN = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
CJK_CHARACTERS_PER_WORD = 2
SOUTHEAST_ASIAN_CHARACTERS_PER_WORD = 5
# Any other run of letters or digits, with inner apostrophes and hyphens: one word. The regex
# module's \w takes in the combining marks (Arabic harakat and shadda, Hebrew niqqud, Indic
# vowel signs), which the standard library's leaves out: a vocalised word stays one word.
_WORD = regex.compile(r"\w+(?:[’'-]\w+)*")
_NOT_SPACED = re.compile(
    r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f"
    r"\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]"
)


def count_words(text: str) -> int:
    """Words of text; characters of unspaced scripts are turned into word equivalents."""
    cjk = len(_CJK.findall(text))
    southeast = len(_SOUTHEAST_ASIAN.findall(text))
    spaced = len(_WORD.findall(_NOT_SPACED.sub(" ", text))) if cjk or southeast else None
    if spaced is None:
        return len(_WORD.findall(text))
    return (
        spaced
        + math.ceil(cjk / CJK_CHARACTERS_PER_WORD)
        + math.ceil(southeast / SOUTHEAST_ASIAN_CHARACTERS_PER_WORD)
    )


# Reading speed of each language as a share of English's: adults' mean silent reading rates of
# the same standard texts, words per minute (Trauzettel-Klosinski & Dietz, "Standardized
# assessment of reading performance: the International Reading Speed Texts IReST", IOVS 2012):
# English 228, Arabic 138, French 195... An Arabic word (article, preposition and pronoun
# attached) carries more than an English one. Chinese and Japanese are counted in word
# equivalents by count_words already.
_IREST_WORDS_PER_MINUTE = {
    "ar": 138, "de": 179, "en": 228, "es": 218, "fi": 161, "fr": 195, "he": 187, "it": 188,
    "nl": 202, "pl": 166, "pt": 181, "ru": 184, "sl": 180, "sv": 199, "tr": 166,
}  # fmt: skip


def words_per_minute_in(language: str | None, english_rate: int) -> int:
    """The configured rate (set for English) scaled to the language's; unknown: unchanged."""
    primary = (language or "en").split("-")[0].casefold()
    rate = _IREST_WORDS_PER_MINUTE.get(primary)
    if rate is None:
        return english_rate
    return max(1, round(english_rate * rate / _IREST_WORDS_PER_MINUTE["en"]))


def reading_minutes(
    words: int, words_per_minute: int = 230, images: int = 0, seconds_per_image: int = 0
) -> int:
    """Whole minutes, rounded up, never below one: the words, plus an allowance per image."""
    if words_per_minute <= 0:
        raise ValueError("words_per_minute must be positive")
    seconds = words * 60 / words_per_minute + max(images, 0) * max(seconds_per_image, 0)
    return max(1, math.ceil(seconds / 60 - 1e-9))
