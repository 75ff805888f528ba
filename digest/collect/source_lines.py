"""The page's own line breaks inside text made spaces, as a browser shows them.

HTML source is wrapped at whatever width its writer or CMS chose ("<p>Seit\\ndie schwedische
…"); a browser shows such a line break as a space, and only <br> and blocks break a line.
trafilatura's main reading does the same, but when it falls back on justext or readability
(a page where the article is a small part of the text) the source's line breaks come out as
lines, and every wrapped paragraph was cut into fragments ("Seit" / "die schwedische …"),
for the cleaning, the summary and the reader alike. Preformatted text keeps its lines.

Between two wide characters (Chinese, Japanese), which are written without spaces, a line
break is no space at all (CSS Text 3, segment break transformation rules); Korean, written
with spaces, keeps its space.
"""

from __future__ import annotations

import re
import unicodedata

import lxml.html
from lxml import etree

# Elements whose text keeps its line breaks: preformatted text (code set out of a <pre>: a
# <code> holding lines keeps them; inline code holds none), and what no reader sees.
_KEEP_LINES = frozenset(
    {"pre", "code", "samp", "kbd", "textarea", "listing", "plaintext", "xmp", "script", "style"}
)


# A line break and the spaces and tabs around it (CSS: removed with the break). A run is
# matched from its first space only: tried from each space of a long run not ending in a
# break, the search took quadratic time (a hostile page of 60,000 spaces: 25 s).
_BREAK = re.compile(r"(?<![ \t])[ \t]*\r?\n[ \t\r\n]*")


def _wide(char: str) -> bool:
    """East Asian Fullwidth, Wide or Halfwidth, and not Hangul (CSS Text 3, 4.1.3)."""
    return unicodedata.east_asian_width(char) in "FWH" and "HANGUL" not in unicodedata.name(
        char, ""
    )


def _joined(text: str) -> str:
    """The text with each line break made a space, or nothing between two wide characters."""

    def joint(found: re.Match[str]) -> str:
        start, end = found.span()
        between_wide = start > 0 and end < len(text) and _wide(text[start - 1]) and _wide(text[end])
        return "" if between_wide else " "

    return _BREAK.sub(joint, text)


def join_source_lines(tree: lxml.html.HtmlElement) -> None:
    """Replace each line break of the page's text by a space, outside preformatted elements:
    in place. A walk in Python over the elements, replacing by str.replace: an XPath choosing
    the text nodes with a line break took twice as long (lxml makes a string of every node it
    tests)."""
    # The elements themselves, not their id(): lxml makes an element's Python object anew
    # when none is held, and an id may then be another element's.
    kept = {inner for el in tree.iter(*_KEEP_LINES) for inner in el.iter()}
    for el in tree.iter(etree.Element):
        text, tail = el.text, el.tail
        if text and "\n" in text and el not in kept:
            el.text = _joined(text)
        if tail and "\n" in tail and el.getparent() not in kept:
            el.tail = _joined(tail)
