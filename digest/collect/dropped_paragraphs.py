"""Paragraphs of the article that the extractor dropped from among those it kept, put back.

trafilatura keeps an article's paragraphs, but on a page where the article is a small part of
the text (a stream of short posts, a long sidebar) it hands the page to justext, which drops
any paragraph with more than a fifth of its words in links: a lead whose sentences cite five
sources was lost so, the rest of its article kept. Such a paragraph stands beside the kept
ones in the same container, written as they are (same tag, same class): it is put back in its
place. A paragraph mostly of links (a "Read more: …" line), a short one, one of another
kind (a caption, a byline: another class) or one holding a script or an embed stays out.
"""

from __future__ import annotations

import bisect

import lxml.html

from digest.collect.text import fingerprint

# Elements whose text no reader sees (an ad's script, an embed's fallback markup): a
# paragraph holding one is an embed or an ad slot, and its text_content() would show code.
_NOT_TEXT = ("script", "style", "noscript", "iframe", "object", "embed", "template")
# A paragraph shorter than this is a label or a promo line, not article text: never put back.
_MIN_WORDS = 10


def restore_dropped_paragraphs(tree: lxml.html.HtmlElement, text: str) -> str:
    """`text` (the extractor's paragraphs, one a line or more) with each <p> of `tree` it
    lacks put back before the kept paragraph that follows it, when that <p> lies among kept
    <p>s of the same container and class: between two of them, or in the run of such <p>s
    right before the first. Paragraphs are compared by their words, case folded, so that a
    paragraph the extractor cut at the page's line breaks is found too."""
    lines = text.split("\n")
    printed = [fingerprint(line) for line in lines]
    starts, at = [], 0  # where each line's words start in `whole`
    for line_words in printed:
        starts.append(at)
        at += len(line_words) + 1
    whole = " ".join(printed)
    if not whole.strip():
        return text
    before: dict[int, list[str]] = {}  # line index -> paragraphs to put back before it
    # The text's word triples: a <p> whose first three words are not among them is not in
    # the text, known without searching it (most of a page's <p>s are not).
    every = whole.split()
    triples = set(zip(every, every[1:], every[2:], strict=False))
    # The parents themselves as keys (held, so lxml gives the same object for each again).
    parents = dict.fromkeys(p.getparent() for p in tree.iter("p"))
    for parent in parents:
        if parent is not None:
            _restore_in(parent, whole, starts, triples, before)
    if not before:
        return text
    restored: list[str] = []
    for i, line in enumerate(lines):
        restored.extend(before.get(i, ()))
        restored.append(line)
    return "\n".join(restored)


def _restore_in(
    parent: lxml.html.HtmlElement,
    whole: str,
    starts: list[int],
    triples: set[tuple[str, str, str]],
    before: dict[int, list[str]],
) -> None:
    """Record, in `before`, the dropped <p> children of parent to put back."""
    children = [c for c in parent if c.tag == "p"]
    if len(children) < 2:
        return
    found = [_line_of(fingerprint(c.text_content()), whole, starts, triples) for c in children]
    anchors = [i for i, line in enumerate(found) if line >= 0]
    if len(anchors) < 2:
        return  # one kept paragraph is no evidence of where the article's others are
    first, last = anchors[0], anchors[-1]
    kind = children[first].get("class")
    start = first
    while start > 0 and children[start - 1].get("class") == kind:
        start -= 1
    pending: list[str] = []
    for i in range(start, last + 1):
        if found[i] >= 0:
            before.setdefault(found[i], []).extend(pending)
            pending = []
        elif _is_dropped_text(children[i], kind):
            pending.append(" ".join(children[i].text_content().split()))


def _line_of(words: str, whole: str, starts: list[int], triples: set[tuple[str, str, str]]) -> int:
    """The index of the line where `words` start in `whole`; -1 when absent (or empty)."""
    first = words.split(maxsplit=3)[:3]
    if not words or (len(first) == 3 and (first[0], first[1], first[2]) not in triples):
        return -1
    at = whole.find(words)
    return -1 if at < 0 else bisect.bisect_right(starts, at) - 1


def _is_dropped_text(p: lxml.html.HtmlElement, kind: str | None) -> bool:
    if p.get("class") != kind or any(True for _ in p.iter(*_NOT_TEXT)):
        return False
    words = fingerprint(p.text_content()).split()
    if len(words) < _MIN_WORDS:
        return False
    linked = sum(len(fingerprint(a.text_content()).split()) for a in p.iter("a"))
    return linked * 2 < len(words)
