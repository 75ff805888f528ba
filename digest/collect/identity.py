"""How an article is recognised again: GUID, else canonical link, else a content hash."""

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
    # "3 killed" and "5 killed", "Story 1" and "Story 2": a different number is another story.
    if [w for w in words_a if w.isdigit()] != [w for w in words_b if w.isdigit()]:
        return False
    if min(len(words_a), len(words_b)) < 4:
        return False  # too short to tell an edit from another headline
    # The ratio's upper bound from the lengths alone (real_quick_ratio), before paying for a
    # matcher: most candidates stop here.
    if 2 * min(len(wa), len(wb)) < threshold * (len(wa) + len(wb)):
        return False
    matcher = difflib.SequenceMatcher(None, wa, wb, autojunk=False)
    return matcher.quick_ratio() >= threshold and matcher.ratio() >= threshold


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

    def match(self, title: str) -> int | None:
        """The key of a near-identical title, if there is one."""
        words = title_words(title)
        distinct = set(words)
        if not distinct:
            return None
        shared: dict[int, int] = {}
        for word in distinct:
            for key in self._by_word.get(word, ()):
                shared[key] = shared.get(key, 0) + 1
        for key, count in sorted(shared.items(), key=lambda kv: -kv[1]):
            if count < len(distinct) // 2:
                break
            if _near_identical_words(self._words[key], words):
                return key
        return None
