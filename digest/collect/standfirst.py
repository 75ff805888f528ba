"""The standfirst shown above an article, put back when the extractor left it out.

Many sites print a standfirst (a dek, a teaser) between the headline and the article's first
paragraph, in a block of its own ("standfirst", "teaser", "dek") that trafilatura discards as
page furniture: the one sentence that says what the article is about was lost. The page names
it itself: its meta description (description, og:description, twitter:description) is that
sentence. A block of the page showing exactly that text, before the article's first kept
paragraph and under the headline (<h1>), is the standfirst: it goes first. Above the
headline, the same text is the site's tagline, where a site gives every page one description.
"""

from __future__ import annotations

import re

import lxml.html

from digest.collect.text import fingerprint

_WORDS = re.compile(r"\w+")
_DESCRIPTIONS = (
    "//meta[@name='description' or @property='og:description'"
    " or @name='twitter:description' or @property='twitter:description']/@content"
)
# Blocks that may hold a standfirst, and what never does (links, scripts, forms).
_BLOCKS = frozenset({"p", "div", "h2", "h3", "h4", "span", "section", "header", "strong"})
_NEVER_INSIDE = frozenset({"a", "script", "style", "noscript", "template", "form", "button"})
# A description shorter than this is a slogan or a label, not a standfirst.
_MIN_WORDS = 5


def with_standfirst(tree: lxml.html.HtmlElement, text: str) -> str:
    """`text` (the extractor's paragraphs, one a line or more) with the page's standfirst
    first, when the page shows its meta description as a block of its own after its <h1> and
    before the first <p> of `text`, and `text` does not hold it yet."""
    whole = fingerprint(text)
    wanted = {d for d in (fingerprint(c) for c in tree.xpath(_DESCRIPTIONS)) if d}
    wanted = {d for d in wanted if len(d.split()) >= _MIN_WORDS and d not in whole}
    if not whole or not wanted:
        return text
    firsts = {d.split()[0] for d in wanted}
    headline = False  # a standfirst stands under the headline, never above it (a tagline)
    for el in tree.iter():
        headline = headline or el.tag == "h1"
        if el.tag == "p" and (words := fingerprint(el.text_content())) and words in whole:
            return text  # the article's first kept paragraph: no standfirst above it
        if not headline or el.tag not in _BLOCKS or not el.text:
            continue
        if _first_word(el.text) not in firsts:
            continue
        shown = " ".join(el.text_content().split())
        if fingerprint(shown) in wanted and not _inside_unwanted(el):
            return f"{shown}\n{text}"
    return text


def _first_word(text: str) -> str:
    found = _WORDS.search(text.casefold())
    return found.group() if found else ""


def _inside_unwanted(el: lxml.html.HtmlElement) -> bool:
    return any(a.tag in _NEVER_INSIDE for a in el.iterancestors()) or el.tag in _NEVER_INSIDE
