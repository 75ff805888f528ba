"""A feed cut off in transfer is its source's error, never a healthy feed with fewer items."""

from __future__ import annotations

import pytest

from digest.collect.feeds import parse_feed
from digest.errors import CollectError

WHOLE = (
    b'<?xml version="1.0" encoding="utf-8"?>\n'
    b"<!-- generated -->\n"
    b'<!DOCTYPE rss [<!ENTITY nbsp "&#160;">]>\n'
    b'<rss version="2.0"><channel><title>Desk</title>'
    b"<item><title>One</title><guid>1</guid></item>"
    b"<item><title>Two</title><guid>2</guid></item>"
    b"</channel></rss>\n"
)


@pytest.mark.parametrize("cut", [0.55, 0.7, 0.9, 0.99])
def test_a_feed_cut_anywhere_in_its_body_is_an_error(cut: float) -> None:
    data = WHOLE[: int(len(WHOLE) * cut)]
    with pytest.raises(CollectError, match="cut off: its <rss> never closes"):
        parse_feed(data, "https://desk.example.org/rss")


def test_a_feed_cut_before_its_root_element_is_an_error_too() -> None:
    with pytest.raises(CollectError, match="not an RSS or Atom feed"):
        parse_feed(WHOLE[: WHOLE.index(b"<rss")], "https://desk.example.org/rss")


@pytest.mark.parametrize(
    "data",
    [
        WHOLE,
        WHOLE + b"<!-- served in 3 ms -->\n",
        b'<?xml version="1.0"?><rss version="2.0" />',
        b'<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title></feed  >',
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        b' xmlns="http://purl.org/rss/1.0/"><channel><title>R</title></channel></rdf:RDF>',
    ],
)
def test_a_complete_feed_is_not_taken_for_a_cut_one(data: bytes) -> None:
    parse_feed(data, "https://desk.example.org/rss")
