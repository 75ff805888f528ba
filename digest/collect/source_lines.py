"""The page's own line breaks inside text made spaces, as a browser shows them.

HTML source is wrapped at whatever width its writer or CMS chose ("<p>Seit\\ndie schwedische
…"); a browser shows such a line break as a space, and only <br> and blocks break a line.
trafilatura's main reading does the same, but when it falls back on justext or readability
(a page where the article is a small part of the text) the source's line breaks come out as
lines, and every wrapped paragraph was cut into fragments ("Seit" / "die schwedische …"),
for the cleaning, the summary and the reader alike. Preformatted text keeps its lines.
"""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

# Elements whose text keeps its line breaks: preformatted text, and what no reader sees.
_KEEP_LINES = frozenset({"pre", "textarea", "listing", "plaintext", "xmp", "script", "style"})
_LINE_BREAKS = re.compile(r"[ \t]*[\r\n][\s]*")
# Text nodes with a line break and a word, or between two inline elements of a paragraph
# ("</b>\n<i>"): a break between blocks (indentation) is no text, and a script's text is no
# reader's. Chosen in C, where most of a page's text nodes are skipped.
_WRAPPED_TEXT = etree.XPath(
    "//text()[contains(., '\n') and not(parent::script or parent::style) and (normalize-space(.)"
    " or parent::p or parent::li or parent::td or parent::blockquote or parent::span"
    " or parent::a or parent::b or parent::i or parent::em or parent::strong)]"
)


def join_source_lines(tree: lxml.html.HtmlElement) -> None:
    """Replace each line break of the page's text (with the spaces around it) by one space,
    outside preformatted elements: in place."""
    # The elements themselves, not their id(): lxml makes an element's Python object anew
    # when none is held, and an id may then be another element's.
    kept = {inner for el in tree.iter(*_KEEP_LINES) for inner in el.iter()}
    for found in _WRAPPED_TEXT(tree):
        owner = found.getparent()
        if found.is_text and owner not in kept:
            owner.text = _LINE_BREAKS.sub(" ", owner.text)
        elif found.is_tail and owner.getparent() not in kept:
            owner.tail = _LINE_BREAKS.sub(" ", owner.tail)
