"""Bare text beside an article's blocks wrapped in paragraphs, so the extractor reads it too.

A browser shows text that stands directly in a container, between its blocks ("<div>text<p>…",
"…</div>text<p>…"), as a paragraph of its own; trafilatura reads paragraphs, and loses such
text: a container's text before its first block, or the text after a box it leaves out (the
dateline lead after an inline "related articles" box). So did our own reading of feed content
and of a source's selected element, block by block. Each run of it, with the inline elements
it holds, becomes a <p> in its place before the text is read.
"""

from __future__ import annotations

import lxml.html

# Containers whose bare text a browser lays out as paragraphs between their blocks.
_CONTAINERS = frozenset({"div", "section", "article", "main", "td", "body", "center"})
# Elements that flow within a line: they belong to the run of text around them.
_INLINE = frozenset(
    {
        "a", "abbr", "b", "bdi", "bdo", "br", "cite", "code", "del", "dfn", "em", "font", "i",
        "img", "ins", "kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong",
        "sub", "sup", "time", "tt", "u", "var", "wbr",
    }
)  # fmt: skip
# A run shorter than this is a label, a separator or a date, not a paragraph: left alone.
_MIN_WORDS = 10


def wrap_loose_text(tree: lxml.html.HtmlElement, min_words: int = _MIN_WORDS) -> None:
    """Wrap in <p> each run of bare text (of min_words words or more, less than half of them
    in links) that stands beside a block in a container, tree itself included. Text known to
    be the article's (a feed item's content, a source's selected element) needs no minimum:
    min_words=1."""
    containers = [
        el
        for el in tree.iter(*_CONTAINERS)
        if any(isinstance(c.tag, str) and c.tag not in _INLINE for c in el)
    ]
    for container in containers:
        _wrap_runs(container, min_words)


def _wrap_runs(container: lxml.html.HtmlElement, min_words: int) -> None:
    # Each run: the block it follows (None: the container's own text), its inline elements.
    runs: list[tuple[lxml.html.HtmlElement | None, list[lxml.html.HtmlElement]]] = []
    after: lxml.html.HtmlElement | None = None
    inline: list[lxml.html.HtmlElement] = []
    for child in container:
        if isinstance(child.tag, str) and child.tag not in _INLINE:
            runs.append((after, inline))
            after, inline = child, []
        else:
            inline.append(child)  # an inline element, or a comment or instruction left in
    runs.append((after, inline))
    for block, elements in runs:
        text = (container.text if block is None else block.tail) or ""
        if text.strip() and _is_paragraph(text, elements, min_words):
            _wrap(container, block, text, elements)


def _is_paragraph(text: str, elements: list[lxml.html.HtmlElement], min_words: int) -> bool:
    words = len(text.split())
    linked = 0
    for el in elements:
        inner = len(el.text_content().split()) if isinstance(el.tag, str) else 0
        words += inner + len((el.tail or "").split())
        linked += inner if el.tag == "a" else 0
    return words >= min_words and linked * 2 < words


def _wrap(
    container: lxml.html.HtmlElement,
    block: lxml.html.HtmlElement | None,
    text: str,
    elements: list[lxml.html.HtmlElement],
) -> None:
    paragraph = lxml.html.Element("p")
    paragraph.text = text
    if block is None:
        container.text = None
        container.insert(0, paragraph)
    else:
        block.tail = None
        block.addnext(paragraph)
    for el in elements:
        paragraph.append(el)  # moves it, with its tail, out of the container
