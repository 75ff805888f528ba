"""Feed bytes checked before feedparser sees them: the declaration, entities, entry count; and
the slow paths met on the way (an encoding decoded in quadratic time, a long first line)."""

from __future__ import annotations

import time

import pytest

from digest.collect.feed_xml import checked_xml
from digest.collect.feeds import parse_feed
from digest.errors import CollectError

URL = "https://desk.example.org/feed.xml"


def rss(prolog: str = "", items: str = "", declaration: str = "") -> str:
    declaration = declaration or '<?xml version="1.0" encoding="utf-8"?>'
    return (
        f"{declaration}\n{prolog}\n"
        '<rss version="2.0"><channel><title>Desk</title><link>https://desk.example.org/</link>'
        + (items or "<item><title>One</title><link>https://desk.example.org/1</link></item>")
        + "</channel></rss>"
    )


def refused(data: bytes, **limits: int) -> str:
    started = time.perf_counter()
    with pytest.raises(CollectError) as error:
        parse_feed(data, URL, **limits)
    assert time.perf_counter() - started < 0.5
    assert error.value.message.startswith(URL)
    return error.value.message


def test_short_plain_entities_are_expanded() -> None:
    data = rss(
        "<!DOCTYPE rss [\n<!ENTITY desk \"Harbour Desk\">\n<!ENTITY copy '&#169;'>\n]>",
        "<item><title>&desk; &copy; 2026</title><link>https://desk.example.org/1</link></item>",
    )
    [entry] = parse_feed(data.encode(), URL).entries
    assert entry.title == "Harbour Desk © 2026"


def test_the_netscape_doctype_without_an_internal_subset_is_read() -> None:
    data = rss(
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"\n'
        ' "http://my.netscape.com/publish/formats/rss-0.91.dtd">'
    ).replace('version="2.0"', 'version="0.91"')
    assert [e.title for e in parse_feed(data.encode(), URL).entries] == ["One"]


@pytest.mark.parametrize(
    ("prolog", "reason"),
    [
        ('<!DOCTYPE rss [\n<!ENTITY a "x">\n<!ENTITY b "&a;&a;">\n]>', "refers to another"),
        ('<!DOCTYPE rss [\n<!ENTITY e SYSTEM "file:///etc/passwd">\n]>', "an external entity"),
        ('<!DOCTYPE rss [\n<!ENTITY e PUBLIC "-//x//y" "http://x.example/">\n]>', "external"),
        ('<!DOCTYPE rss [\n<!ENTITY % p SYSTEM "file:///etc/passwd">\n%p;\n]>', "parameter"),
        ("<!DOCTYPE rss [\n<!ENTITY % p \"<!ENTITY x 'y'>\">\n%p;\n]>", "parameter"),
        ('<!DOCTYPE rss [\n<!ENTITY e "' + "x" * 65 + '">\n]>', "of 65 characters"),
        ('<!DOCTYPE rss [\n<!ENTITY e "' + "x" * 10_000 + '">\n]>', "too long or never closed"),
        ('<!DOCTYPE rss [\n<!ENTITY e "never closed>\n]>', "too long or never closed"),
        ('<!DOCTYPE rss [<!ENTITY e "100%">]>', "refers to another"),  # one line: still seen
        ('<!DOCTYPE rss [\n<!entity e SYSTEM "file:///etc/passwd">\n]>', "external"),
        ('<!DOCTYPE rss [\n<!ENTITY e "x" NDATA gif>\n]>', "cannot read"),
    ],
)
def test_an_entity_that_is_not_short_plain_text_is_refused(prolog: str, reason: str) -> None:
    message = refused(rss(prolog, "<item><title>&e;</title></item>").encode())
    assert reason in message and "refused to expand its entities" in message


def test_entities_expanding_beyond_the_bound_are_refused() -> None:
    prolog = '<!DOCTYPE rss [\n<!ENTITY e "' + "x" * 60 + '">\n]>'
    data = rss(prolog, "<item><title>t</title><description>" + "&e;" * 20_000).encode()
    assert "1,200,000 characters, more than collect.max_bytes (1,000,000)" in refused(
        data, max_expansion=1_000_000
    )
    assert parse_feed(data, URL, max_expansion=2_000_000).title == "Desk"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-32"])
def test_a_doctype_in_a_wider_encoding_is_checked_as_well(encoding: str) -> None:
    bomb = rss('<!DOCTYPE rss [\n<!ENTITY e "' + "x" * 1000 + '">\n]>', "&e;" * 1000)
    message = refused(bomb.replace("utf-8", encoding).encode(encoding))
    assert "refused to expand its entities" in message


def test_a_doctype_hidden_in_utf7_is_checked_after_decoding() -> None:
    # "+ADw-" is "<" in UTF-7: invisible to a byte-level search, expanded by a parser.
    bomb = rss('<!DOCTYPE rss [\n<!ENTITY e "' + "x" * 1000 + '">\n]>', "&e;" * 1000)
    data = bomb.replace("utf-8", "utf-7").replace("<!", "+ADw-!").encode("ascii")
    assert b"<!ENTITY" not in data and data.decode("utf-7").count("<!ENTITY") == 1
    assert "refused to expand its entities" in refused(data)


@pytest.mark.parametrize("control", ["\x00", "\x01", "\x1b", "\x7f"])
def test_a_control_character_in_the_xml_declaration_is_the_feeds_error(control: str) -> None:
    data = rss(declaration=f'<?xml version="1.0" encoding="utf{control}-8"?>').encode()
    assert "the XML declaration holds a control character" in refused(data)


@pytest.mark.parametrize("encoding", ["punycode", "idna", "unicode_escape", "undefined", "rot13"])
def test_an_encoding_that_is_no_character_set_is_the_feeds_error(encoding: str) -> None:
    data = rss(declaration=f'<?xml version="1.0" encoding="{encoding}"?>').encode()
    assert "which is not a character set" in refused(data)


def test_a_feed_declaring_punycode_is_refused_before_its_quadratic_decoding() -> None:
    # feedparser decoded this 200 kB feed for 3.8 s (5 MB: about 40 minutes).
    data = rss(declaration='<?xml version="1.0" encoding="punycode"?>').encode()
    data += b"-" + ("\u00e9" * 200_000).encode("punycode")
    assert "punycode" in refused(data)


def test_a_long_first_line_is_not_searched_in_quadratic_time() -> None:
    # feedparser's declaration pattern took 5 s on this 40 kB line (hours at 5 MB).
    data = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        '<title>encoding="' + '"' * 200_000 + "</title></channel></rss>"
    ).encode()
    started = time.perf_counter()
    parse_feed(data, URL)
    assert time.perf_counter() - started < 1


def test_an_unknown_or_mistyped_encoding_falls_back_to_detection() -> None:
    for name in ("utf8x", "UTF-8 ", "latin-1x"):
        data = rss(declaration=f'<?xml version="1.0" encoding="{name}"?>', items="")
        assert parse_feed(data.encode(), URL).title == "Desk"


def test_more_entries_than_allowed_are_refused_before_parsing() -> None:
    items = "<item/>" * 11 + "<atom:entry/>"
    assert "more than collect.max_entries (11)" in refused(
        rss(items=items).encode(), max_entries=11
    )
    assert len(parse_feed(rss(items="<item/>" * 11).encode(), URL, max_entries=11).entries) == 11
    json_feed = (
        b'{"version": "https://jsonfeed.org/version/1.1", "items": ['
        + b",".join(b'{"id": "%d"}' % i for i in range(12))
        + b"]}"
    )
    assert "collect.max_entries (11)" in refused(json_feed, max_entries=11)


def test_the_xml_feedparser_gets_is_utf8_with_the_declaration_alone_on_its_first_line() -> None:
    data = rss(declaration='<?xml version="1.0" encoding="windows-1251"?>').encode("cp1251")
    checked = checked_xml(data, URL, max_entries=10, max_expansion=10)
    first, rest = checked.xml.split(b"\n", 1)
    assert first == b'<?xml version="1.0" encoding="utf-8"?>'
    assert b"<?xml" not in rest and checked.expansion == 0
