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

Whitespace alone beside a block (the source's indentation between a <div> and its <p>s)
shows as nothing, line break or not: it is no line to join and is left as it is, so that the
tree trafilatura reads keeps the page's own text lengths. Made one space, it changed them,
and trafilatura's guards that count whitespace in an element's text (how much of a subtree a
pruning may remove) tipped: an article's second half was pruned on a real page where plain
trafilatura kept it. Whitespace between two inline pieces ("<i>x</i>\n<i>y</i>") is a space
on screen and still becomes one.
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


# Elements laid out as blocks (or never shown): whitespace alone next to one shows nothing.
_BLOCK = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "center", "dd", "details", "dialog",
        "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1",
        "h2", "h3", "h4", "h5", "h6", "head", "header", "hgroup", "hr", "html", "legend", "li",
        "main", "menu", "nav", "noscript", "ol", "p", "pre", "script", "section", "style",
        "summary", "table", "tbody", "td", "tfoot", "th", "thead", "title", "tr", "ul",
    }
)  # fmt: skip


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
        # whitespace alone beside a block shows nothing: left as it is (see the module's doc)
        if text and "\n" in text and el not in kept and not (text.isspace() and _is_block(el)):
            el.text = _joined(text)
        if (
            tail
            and "\n" in tail
            and el.getparent() not in kept
            and not (tail.isspace() and _blank_after(el))
        ):
            el.tail = _joined(tail)


def _is_block(el: etree._Element | None) -> bool:
    """A block, or no element at all (the edge of the parent); comments count as inline.
    Whitespace at the start of a block's content is a line's leading whitespace: not shown."""
    return el is None or (isinstance(el.tag, str) and el.tag in _BLOCK)


def _blank_after(el: lxml.html.HtmlElement) -> bool:
    """Whether whitespace after el shows nothing: el is a block, or the next sibling is, or
    el ends a block."""
    following = el.getnext()
    if _is_block(el) or (following is not None and _is_block(following)):
        return True
    return following is None and _is_block(el.getparent())
