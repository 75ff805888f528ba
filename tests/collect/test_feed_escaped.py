"""Feed HTML escaped twice ("&amp;lt;p&amp;gt;") is read as the HTML it is, never shown as
markup."""

from __future__ import annotations

from digest.collect.extract import html_to_text
from digest.collect.feeds import parse_feed


def rss(description: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title>'
        f"<item><title>Market</title><guid>1</guid><description>{description}</description>"
        "</item></channel></rss>"
    ).encode()


def test_html_escaped_twice_is_read_as_html() -> None:
    twice = "&amp;lt;p&amp;gt;The council voted to close the old market.&amp;lt;/p&amp;gt;"
    entry = parse_feed(rss(twice), "https://desk.example.org/rss").entries[0]
    assert html_to_text(entry.summary_html) == "The council voted to close the old market."


def test_text_that_only_mentions_a_tag_is_left_as_it_is() -> None:
    # Escaped once, as RSS descriptions are: real markup beside a tag written about as text.
    once = "&lt;p&gt;Use the &amp;lt;p&amp;gt; element for paragraphs.&lt;/p&gt;"
    entry = parse_feed(rss(once), "https://desk.example.org/rss").entries[0]
    assert html_to_text(entry.summary_html) == "Use the <p> element for paragraphs."
