"""Feed bytes made fit for feedparser: decoded once, bounded, and declared as UTF-8; pure.

feedparser expands the entities a feed declares (its fallback parser without any limit: one
10 kB entity referenced 100,000 times took 85 s and 2.9 GB), trusts the encoding a feed names
(a NUL in it raised a bare ValueError; "punycode" decodes in quadratic time) and searches the
first line with a regular expression that is quadratic on a long one. So the feed is decoded
here, its declarations checked, and feedparser only ever gets UTF-8 behind a one-line
declaration, with entities it may expand only a bounded number of times.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass

from digest.collect.text import decode_undeclared
from digest.errors import CollectError

# An entity's value is expanded only when it is this short, and plain text (or one character
# reference such as &#160;, as feeds declaring HTML's &nbsp; do).
LONGEST_ENTITY = 64

_DECLARED_UTF8 = b'<?xml version="1.0" encoding="utf-8"?>\n'
_BOMS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
# '<?' (or '<' for UTF-32) without a BOM, XML 1.0 appendix F.
_MARKERS = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),
)
# Codecs that turn bytes into text but are no character set a document is written in: IDNA and
# punycode (quadratic to decode), Python escapes, and the codec that always fails.
_NOT_CHARSETS = {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"}

_CHARSET_PARAMETER = re.compile(r""";\s*charset\s*=\s*("[^"]{0,100}"|[^;\s]{0,100})""", re.I)
_XML_DECLARATION = re.compile(r"<\?xml[^>]{0,1024}?\?>")
_CONTROL_IN_DECLARATION = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ENCODING = re.compile(rb"""\bencoding\s*=\s*["']([^"']{0,100})["']""")
# An entity declaration: quoted literals may hold '>'. Bounded, so that a declaration that
# never ends costs one bounded look, not a scan to the end of the feed.
_ENTITY_DECLARATION = re.compile(
    r"""<!ENTITY(?P<body>(?:[^>"']|"[^"]{0,1024}"|'[^']{0,1024}'){0,1024})>""", re.IGNORECASE
)
_ENTITY_BODY = re.compile(
    r"""\s+(?P<parameter>%\s+)?(?P<name>[^\s%"'>]+)\s+(?P<rest>.*?)\s*""", re.DOTALL
)
_ENTITY_START = re.compile("<!ENTITY", re.IGNORECASE)
_LITERAL = re.compile(r""""(?P<double>[^"]*)"|'(?P<single>[^']*)'""")
_CHARACTER_REFERENCE = re.compile(r"&#(?:[0-9]{1,7}|x[0-9A-Fa-f]{1,6});")
_REFERENCE = re.compile(r"&([^\s&;<>\"']{1,200});")
_ROOT = re.compile(r"<(?P<name>(?:[A-Za-z_][\w.-]*:)?(?P<local>rss|feed|RDF|channel))[\s/>]")
# An entry's start tag in any namespace prefix and case (feedparser's loose mode lowers them).
_ENTRY = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s/>]", re.IGNORECASE)


@dataclass(frozen=True)
class CheckedXml:
    """A feed's XML as feedparser gets it, and what parsing it may cost."""

    xml: bytes  # UTF-8, with only the declaration on its first line
    expansion: int  # characters the declared entities add once expanded


def checked_xml(
    data: bytes, url: str, *, max_entries: int, max_expansion: int, content_type: str = ""
) -> CheckedXml:
    """data decoded and checked: an XML declaration with a control character or naming no
    character set, an entity that is external, a parameter entity, nested or long, entities
    expanding to more than max_expansion characters, or more than max_entries entries is the
    source's CollectError, before any parser runs. content_type is the HTTP Content-Type the
    feed came with, if any: its charset is honoured."""
    text = _decoded(data, url, http_charset(content_type))
    match = _XML_DECLARATION.match(text)
    if match is not None:
        _check_declaration(match.group().encode("utf-8", "replace"), url)
        text = text[match.end() :]
    elif text.startswith("<?xml"):
        raise CollectError(f"{url}: the XML declaration does not end within 1024 characters")
    expansion = _entity_expansion(text, url, max_expansion)
    _check_entry_count(text, url, max_entries)
    _check_complete(text, url, len(data))
    return CheckedXml(_DECLARED_UTF8 + text.encode("utf-8", "replace"), expansion)


def http_charset(content_type: str) -> str | None:
    """The codec of the charset an HTTP Content-Type names; None when it names none, or none
    a document can be written in."""
    found = _CHARSET_PARAMETER.search(content_type or "")
    if found is None:
        return None
    return _text_codec(found.group(1).strip("\"' "))


def _decoded(data: bytes, url: str, http_codec: str | None = None) -> str:
    """The feed's text by XML's rules (RFC 7303): its byte order mark, else the HTTP charset,
    else the charset its XML declaration names, else UTF-8, else the best guess for
    undeclared legacy bytes. A charset the bytes do not decode in is passed over, and so is
    the HTTP charset of bytes that are UTF-8 beyond ASCII: servers name one for every file they
    serve (Apache's AddDefaultCharset ISO-8859-1), and legacy text is never valid UTF-8 by
    chance."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, "replace").lstrip(" \t\r\n")
    if http_codec is not None and not _utf8_beyond_ascii(data):
        try:
            return data.decode(http_codec).lstrip(" \t\r\n")
        except UnicodeDecodeError:
            pass
    for marker, codec in _MARKERS:
        if data.startswith(marker):
            return data.decode(codec, "replace")
    stripped = data.lstrip(b" \t\r\n")
    declared = _declared_charset(stripped, url)
    if declared is not None:
        try:
            return stripped.decode(declared)
        except UnicodeDecodeError:
            pass  # a feed declaring one charset and written in another: as if undeclared
    try:
        return stripped.decode("utf-8")
    except UnicodeDecodeError:
        return decode_undeclared(stripped)


def _utf8_beyond_ascii(data: bytes) -> bool:
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _declared_charset(data: bytes, url: str) -> str | None:
    """The codec of the charset the XML declaration names; None when it names none we know."""
    if not data.startswith(b"<?xml"):
        return None
    end = data.find(b"?>", 0, 1024)
    declaration = data[: end + 2] if end >= 0 else data[:1024]
    _check_declaration(declaration, url)
    found = _ENCODING.search(declaration)
    if found is None:
        return None
    name = found.group(1).decode("ascii", "replace").strip()
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None  # a typo or an unknown charset: detected like an undeclared one
    if _text_codec(name) is None:
        raise CollectError(
            f"{url}: the XML declaration names {name!r}, which is not a character set"
            " a feed can be written in",
            hint="the feed is broken or hostile; ask the site to declare its real encoding",
        )
    return info.name


def _text_codec(name: str) -> str | None:
    """Python's codec for a charset's name; None for an unknown name or a codec that is no
    character set (see _NOT_CHARSETS)."""
    try:
        info = codecs.lookup(name)
    except LookupError:
        return None
    if info.name in _NOT_CHARSETS or not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _check_declaration(declaration: bytes, url: str) -> None:
    if _CONTROL_IN_DECLARATION.search(declaration):
        raise CollectError(
            f"{url}: the XML declaration holds a control character"
            f" ({declaration[:120]!r}): not a feed",
            hint="the feed is broken or hostile; ask the site to fix it",
        )


def _entity_expansion(text: str, url: str, max_expansion: int) -> int:
    """How many characters the declared entities add when expanded; raises CollectError for a
    declaration that is refused or an expansion beyond max_expansion."""
    values: dict[str, int] = {}
    end = 0
    # Anywhere in the feed, not only before the root element: a declaration feedparser's
    # fallback parser might still find is never left unchecked.
    for found in _ENTITY_START.finditer(text):
        if found.start() < end:
            continue  # inside the declaration just read (a literal may hold "<!ENTITY")
        match = _ENTITY_DECLARATION.match(text, found.start())
        if match is None:
            excerpt = text[found.start() : found.start() + 40]
            raise _refused(url, f"an entity too long or never closed ({excerpt!r}…)")
        name, length = _entity(match.group("body"), url)
        values[name] = length
        end = match.end()
    if not values:
        return 0
    expansion = sum(values.get(m.group(1), 0) for m in _REFERENCE.finditer(text))
    if expansion > max_expansion:
        raise _refused(
            url,
            f"entities expanding to {expansion:,} characters, more than collect.max_bytes"
            f" ({max_expansion:,}) allows",
        )
    return expansion


def _entity(body: str, url: str) -> tuple[str, int]:
    """An entity's name and the length of its value; refused unless internal, general, plain
    and short."""
    parts = _ENTITY_BODY.fullmatch(body)
    if parts is None:
        raise _refused(url, f"an entity it cannot read ({body[:80]!r})")
    name, rest = parts.group("name"), parts.group("rest")
    if parts.group("parameter"):
        raise _refused(url, f"a parameter entity (%{name};)")
    if rest[:6].upper() in ("SYSTEM", "PUBLIC"):
        raise _refused(url, f"an external entity ({name}, {rest[:100]})")
    literal = _LITERAL.fullmatch(rest)
    if literal is None:
        raise _refused(url, f"an entity it cannot read ({name}: {rest[:80]!r})")
    value = literal.group("double")
    if value is None:
        value = literal.group("single")
    if _CHARACTER_REFERENCE.fullmatch(value):
        return name, 1
    if "&" in value or "%" in value:
        raise _refused(url, f"entity {name!r}, whose value refers to another entity")
    if len(value) > LONGEST_ENTITY:
        raise _refused(
            url, f"entity {name!r} of {len(value):,} characters (at most {LONGEST_ENTITY})"
        )
    return name, len(value)


def _refused(url: str, what: str) -> CollectError:
    return CollectError(
        f"{url}: the feed declares {what}; refused to expand its entities",
        hint="the feed is broken or hostile; ask the site to drop its DOCTYPE's entities",
    )


def _check_complete(text: str, url: str, size: int) -> None:
    """A feed whose root element never closes was cut off in transfer (a dropped connection,
    a full disk on the server): feedparser's loose parser would read it as a feed with none
    or some of its items, and the source would look healthy."""
    root = _ROOT.match(text, _prolog_end(text))
    if root is None:
        return  # not a feed's root: feedparser says what it is
    start_tag_end = text.find(">", root.start())
    if start_tag_end > 0 and text[start_tag_end - 1] == "/":
        return  # <rss/>: empty, and complete
    if re.search(rf"</{re.escape(root.group('name'))}\s*>", text[root.end() :]) is None:
        raise CollectError(
            f"{url}: the feed is cut off: its <{root.group('name')}> never closes"
            f" ({size:,} bytes received)",
            hint="the server sent only part of the feed; it is fetched again next run,"
            " and if it stays cut off, ask the site to check its feed",
        )


def _prolog_end(text: str) -> int:
    """Where the root element may start: after space, processing instructions, comments and
    a DOCTYPE (its internal subset in brackets); in one pass, whatever the bytes."""
    at = 0
    while True:
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        if text.startswith("<?", at):
            end, length = text.find("?>", at), 2
        elif text.startswith("<!--", at):
            end, length = text.find("-->", at), 3
        elif text.startswith("<!DOCTYPE", at):
            subset = text.find("[", at)
            closing = text.find(">", at)
            if 0 <= subset < closing:
                closing = text.find(">", max(text.find("]", subset), subset))
            end, length = closing, 1
        else:
            return at
        if end < 0:
            return at
        at = end + length


def _check_entry_count(text: str, url: str, max_entries: int) -> None:
    for count, _ in enumerate(_ENTRY.finditer(text), start=1):
        if count > max_entries:
            raise CollectError(
                f"{url}: more than collect.max_entries ({max_entries}) entries in one feed",
                hint="raise collect.max_entries if this feed really carries that many",
            )
