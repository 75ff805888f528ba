"""How an article is recognised again: GUID, else canonical link, else a content hash; and
when two articles are one story told twice (near-identical titles and content)."""

from __future__ import annotations

import difflib
import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from digest.links import is_http_url

_TRACKING = ("utm_", "mc_", "fbclid", "gclid", "yclid", "_hsenc", "_hsmi", "ref_src")


def canonical_link(url: str) -> str:
    """The link without fragment and tracking parameters, with a lower-case scheme and host."""
    parts = urlsplit(url.strip())
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING)
    ]
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), "")
    )


def reader_link(url: str) -> str:
    """The link readers are sent to: the canonical http(s) URL, or "" for anything else
    (javascript:, data:, file: links never reach an email)."""
    if not is_http_url(url):
        return ""
    return canonical_link(url)


def article_identity(
    guid: str | None, link: str | None, title: str, text: str, *, feed_url: str
) -> str:
    """feed_url is the source's configured address: a GUID that is not a URL ("1",
    "post-42") is unique only within its site, so it is scoped by that address's host."""
    if guid:
        if _host(guid) and is_http_url(guid):
            return f"guid:{guid}"[:512]
        return f"guid:{_host(feed_url) or feed_url.lower()}:{guid}"[:512]
    if link:
        return f"url:{canonical_link(link)}"[:512]
    digest = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
    return f"hash:{digest}"


def _host(url: str) -> str:
    try:
        return (urlsplit(url.strip()).hostname or "").lower()
    except ValueError:  # "http://[bad": no host to read
        return ""


def title_words(title: str) -> list[str]:
    return re.findall(r"\w+", unicodedata.normalize("NFKC", title).casefold())


def near_identical_titles(a: str, b: str, threshold: float = 0.9) -> bool:
    """Two headlines of the same story: the same words bar a few characters (a typo, a tense,
    punctuation, case)."""
    return _near_identical_words(title_words(a), title_words(b), threshold)


def _near_identical_words(words_a: list[str], words_b: list[str], threshold: float = 0.9) -> bool:
    wa, wb = " ".join(words_a), " ".join(words_b)
    if not wa or not wb:
        return False
    if wa == wb:
        return True
    # "3 killed" and "5 killed", "Story 1" and "Story 2", "v201603" and "v201605": a different
    # number is another story.
    if _numbers(words_a) != _numbers(words_b):
        return False
    if min(len(words_a), len(words_b)) < 4:
        return False  # too short to tell an edit from another headline
    # The ratio's upper bound from the lengths alone (real_quick_ratio), before paying for a
    # matcher: most candidates stop here.
    if 2 * min(len(wa), len(wb)) < threshold * (len(wa) + len(wb)):
        return False
    matcher = difflib.SequenceMatcher(None, wa, wb, autojunk=False)
    return matcher.quick_ratio() >= threshold and matcher.ratio() >= threshold


def _numbers(words: list[str]) -> list[str]:
    return [w for w in words if any(c.isdigit() for c in w)]


# Word sequences this long are compared: short enough to survive an edit, long enough that
# two texts on one subject share few by chance.
SHINGLE_WORDS = 4
# Fewer words than this in either text and the texts cannot tell two stories apart.
FEWEST_WORDS = 40
# The share of the shorter text's word sequences found in the other: a teaser within its full
# article counts as all of it.
SAME_CONTENT = 0.5
# Titles that alone may make a duplicate, when there is no text to compare: "Photo" cannot.
FEWEST_TITLE_WORDS = 4


def content_overlap(text_a: str, text_b: str) -> float | None:
    """The share of the shorter text's SHINGLE_WORDS-word sequences the other text holds too;
    None when either has fewer than FEWEST_WORDS words, too few to tell."""
    words_a, words_b = title_words(text_a), title_words(text_b)
    if min(len(words_a), len(words_b)) < FEWEST_WORDS:
        return None
    shingles_a, shingles_b = _shingles(words_a), _shingles(words_b)
    return len(shingles_a & shingles_b) / min(len(shingles_a), len(shingles_b))


def _shingles(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


def same_story(title_a: str, text_a: str, title_b: str, text_b: str) -> bool:
    """Two articles with near-identical titles (as TitleIndex.matches finds them), under
    different links: the same story when their texts share most of their word sequences
    (short texts: when they are near-identical as titles are), or, with next to no text to
    compare, when their titles are long enough to say so alone.
    Eleven posts titled "Photo" are eleven stories; "Announcing v201603" with other text than
    "Announcing v201605" is another story."""
    overlap = content_overlap(text_a, text_b)
    if overlap is not None:
        return overlap >= SAME_CONTENT
    words_a, words_b = title_words(text_a), title_words(text_b)
    if min(len(words_a), len(words_b)) >= FEWEST_TITLE_WORDS:
        # Short texts (a teaser, a caption): compared as titles are.
        return _near_identical_words(words_a, words_b)
    shortest = min(len(title_words(title_a)), len(title_words(title_b)))
    return shortest >= FEWEST_TITLE_WORDS


def may_repeat(title: str, text: str) -> bool:
    """Whether same_story could be true of this article and any other: not for a short title
    over next to no text ("Photo"), for which no candidate needs to be read."""
    return max(len(title_words(title)), len(title_words(text))) >= FEWEST_TITLE_WORDS


class TitleIndex:
    """Titles seen recently, looked up by shared words so that n titles cost far less than n²
    comparisons; each title is split into words once, when added."""

    def __init__(self) -> None:
        self._words: dict[int, list[str]] = {}
        self._by_word: dict[str, set[int]] = {}

    def __len__(self) -> int:
        return len(self._words)

    def add(self, key: int, title: str) -> None:
        words = title_words(title)
        self._words[key] = words
        for word in set(words):
            self._by_word.setdefault(word, set()).add(key)

    def matches(self, title: str) -> list[int]:
        """The keys of near-identical titles, the most words shared first."""
        words = title_words(title)
        distinct = set(words)
        if not distinct:
            return []
        shared: dict[int, int] = {}
        for word in distinct:
            for key in self._by_word.get(word, ()):
                shared[key] = shared.get(key, 0) + 1
        found = []
        for key, count in sorted(shared.items(), key=lambda kv: -kv[1]):
            if count < len(distinct) // 2:
                break
            if _near_identical_words(self._words[key], words):
                found.append(key)
        return found
