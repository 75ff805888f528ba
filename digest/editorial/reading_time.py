"""Reading time from the words of the cleaned article text."""

from __future__ import annotations

import math
import re

_WORD = re.compile(r"\w+(?:[’'-]\w+)*")


def count_words(text: str) -> int:
    return len(_WORD.findall(text))


def reading_minutes(words: int, words_per_minute: int = 230) -> int:
    """Whole minutes, rounded up, never below one."""
    if words_per_minute <= 0:
        raise ValueError("words_per_minute must be positive")
    return max(1, math.ceil(words / words_per_minute))
