"""The other articles a page appends after its own left out before extraction.

Pages with an endless scroll carry the next stories of the site after the article, each a
whole <article> with its own <h1> (11 on one real page, the article the first). trafilatura's
main reading keeps the page's own article, but finding it a small part of the page's text it
tries justext on the whole page, and takes justext's longer text: every appended story came
out with the article, and the article's lead, whose links justext counts against it, did not.

The page's own article is the one headed by the page's title; when exactly one of several
<article>s with an <h1> is, the others go. Teaser cards (an <h2> or <h3> to a link) are not
whole articles and stay; so does everything when no heading or several are the title.
"""

from __future__ import annotations

import lxml.html
from lxml import etree

from digest.collect.text import fingerprint

# <article>s not inside another one, that have an <h1> of their own.
_HEADED_ARTICLES = etree.XPath("//article[not(ancestor::article)][.//h1]")


def drop_appended_articles(tree: lxml.html.HtmlElement, title: str | None) -> None:
    """Remove the headed <article>s other than the one whose <h1> is the page's title."""
    if not title:
        return
    articles = _HEADED_ARTICLES(tree)
    if len(articles) < 2:
        return
    wanted = fingerprint(title)
    own = [
        a for a in articles if any(fingerprint(h.text_content()) == wanted for h in a.iter("h1"))
    ]
    if len(own) != 1:
        return
    for article in articles:
        if article is not own[0]:
            article.drop_tree()
