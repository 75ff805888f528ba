"""Feed bytes decoded by XML's rules (byte order mark, then the HTTP charset, then the XML
declaration), and undeclared legacy bytes read as browsers and feedparser read them."""

from __future__ import annotations

import html
from pathlib import Path

import pytest

from digest.collect.feeds import parse_feed

LANGUAGES = Path(__file__).parent / "languages"


def french_texts() -> list[str]:
    # Real French text people wrote (Django's catalogues, see languages/README.md).
    texts = []
    for part in ("tuned.tsv", "heldout.tsv"):
        for line in (LANGUAGES / part).read_text("utf-8").splitlines():
            lang, text = line.split("\t", 1)
            if lang == "fr" and any(ord(c) > 127 for c in text):
                texts.append(text)
    return texts


def rss(title: str, description: str, declaration: str = '<?xml version="1.0"?>') -> str:
    return (
        f'{declaration}\n<rss version="2.0"><channel><title>Le fil</title>'
        f"<item><title>{html.escape(title)}</title><guid>1</guid>"
        f"<description>{html.escape(description)}</description></item></channel></rss>"
    )


def test_undeclared_iso_8859_1_feeds_of_real_french_text_read_right() -> None:
    texts = [t for t in french_texts() if all(ord(c) < 256 for c in t)]
    assert len(texts) > 100
    wrong = []
    for text in texts:
        data = rss(text[:50], text).encode("iso-8859-1")
        entry = parse_feed(data, "https://fil.example.org/rss").entries[0]
        if entry.title != " ".join(text[:50].split()):
            wrong.append(entry.title)
    assert wrong == []


def test_the_http_charset_is_honoured_for_an_undeclared_feed() -> None:
    data = rss("Sétif : la récolte d'orge", "Échos des Hauts-Plateaux").encode("iso-8859-1")
    for content_type in ("text/xml; charset=iso-8859-1", "application/rss+xml;charset=latin1"):
        feed = parse_feed(data, "https://fil.example.org/rss", content_type=content_type)
        assert feed.entries[0].title == "Sétif : la récolte d'orge"


def test_the_http_charset_wins_over_the_xml_declaration() -> None:
    # RFC 7303: the charset parameter is authoritative, the declaration only a fallback.
    declared = '<?xml version="1.0" encoding="utf-8"?>'
    data = rss("Бишкек", "Новости", declared).encode("koi8-r")
    feed = parse_feed(data, "https://x.example.org/rss", content_type="text/xml; charset=koi8-r")
    assert feed.entries[0].title == "Бишкек"


def test_a_byte_order_mark_wins_over_the_http_charset() -> None:
    data = b"\xef\xbb\xbf" + rss("Sétif", "Échos").encode("utf-8")
    feed = parse_feed(data, "https://x.example.org/rss", content_type="text/xml; charset=latin1")
    assert feed.entries[0].title == "Sétif"


@pytest.mark.parametrize(
    "content_type",
    ["text/xml; charset=utf-8", "text/xml; charset=no-such-charset", "text/xml; charset=idna"],
)
def test_an_http_charset_the_bytes_do_not_fit_is_not_trusted(content_type: str) -> None:
    # Servers often add charset=utf-8 to every file: ISO-8859-1 bytes that are not UTF-8 are
    # then read as if nothing had been said.
    data = rss("Sétif : la récolte", "Échos").encode("iso-8859-1")
    feed = parse_feed(data, "https://x.example.org/rss", content_type=content_type)
    assert feed.entries[0].title == "Sétif : la récolte"


def test_a_utf8_feed_served_with_a_default_latin1_charset_stays_utf8() -> None:
    data = rss("Sétif : la récolte", "Échos").encode("utf-8")
    served = "text/xml; charset=ISO-8859-1"
    feed = parse_feed(data, "https://x.example.org/rss", content_type=served)
    assert feed.entries[0].title == "Sétif : la récolte"
