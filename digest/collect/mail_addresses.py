"""E-mail addresses written out in an article made plain text before extraction.

An article that ends "write to us:" and then the address, a link to it on a line of its own
("<p><a href="mailto:…">desk@…</a></p>"), lost the address: trafilatura takes a short
paragraph that is all link text for navigation (a "read more", a menu) and drops it. A mailto
link leads to no other page; the address it shows is text the reader copies, so the link is
unwrapped (its text and inline markup kept). A mailto link that shows no address (a share
bar's "Email" button, "mailto:?subject=…") opens the mail program and stays a link.
"""

from __future__ import annotations

import lxml.html
from lxml import etree

_MAIL_LINKS = etree.XPath(
    "//a[starts-with(translate(normalize-space(@href), 'MAILTO', 'mailto'), 'mailto:')]"
    "[contains(., '@')]"
)


def unlink_mail_addresses(tree: lxml.html.HtmlElement) -> None:
    """Unwrap the mailto links whose text shows an e-mail address."""
    for link in _MAIL_LINKS(tree):
        link.drop_tag()
