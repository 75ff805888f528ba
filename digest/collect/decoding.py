"""Bytes of an HTML page -> text, decoded as browsers do (WHATWG encoding sniffing); pure.

The order is the HTML standard's: a byte order mark, then the charset of the HTTP
Content-Type, then the <meta> prescan of the first 1,024 bytes, then detection (strict UTF-8,
else charset_normalizer's guess, else windows-1252). Labels are read through the WHATWG
Encoding standard's table (webencodings): "latin1", "iso-8859-1" and "ascii" all mean
windows-1252, as they do in every browser. Feeds may call `decode_html` too; XML's own rules
(the XML declaration) are theirs to add.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import webencodings
from charset_normalizer import from_bytes

# How far the standard's prescan looks for a <meta> charset.
PRESCAN_BYTES = 1024
# How much of the body the detector reads: enough to guess, bounded in time.
DETECT_BYTES = 200_000

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xfe\xff", "utf-16be"),
    (b"\xff\xfe", "utf-16le"),
)
_COMMENT = re.compile(rb"<!--.*?(?:-->|$)", re.S)
_META = re.compile(rb"<meta[\s/][^>]*>?", re.I)
_ATTRIBUTE = re.compile(
    rb"""([^\s/>=]+)\s*(?:=\s*(?:"([^"]*)"?|'([^']*)'?|([^\s>]*)))?""",
)
_CONTENT_CHARSET = re.compile(rb"""charset\s*=\s*(?:"([^"]*)"?|'([^']*)'?|([^\s;"']+))""", re.I)
_HTTP_CHARSET = re.compile(r"""charset\s*=\s*["']?([^\s;"']+)""", re.I)


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str  # the WHATWG name ("utf-8", "windows-1252", ...)
    source: str  # "bom", "http", "meta" or "detected": why this encoding


def decode_html(body: bytes, content_type: str | None = None) -> Decoded:
    """The page's text and the encoding it was read in; never an error (bad bytes become
    U+FFFD, as in a browser)."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return _decoded(body[len(bom) :], name, "bom")
    declared = _label(http_charset(content_type))
    if declared is not None:
        return _decoded(body, declared, "http")
    declared = meta_charset(body[:PRESCAN_BYTES])
    if declared is not None:
        return _decoded(body, declared, "meta")
    try:
        return Decoded(body.decode("utf-8"), "utf-8", "detected")
    except UnicodeDecodeError:
        pass
    best = from_bytes(body[:DETECT_BYTES]).best()
    guessed = _label(best.encoding) if best is not None else None
    return _decoded(body, guessed or "windows-1252", "detected")


def http_charset(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header, as written."""
    found = _HTTP_CHARSET.search(content_type or "")
    return found.group(1) if found else None


def meta_charset(head: bytes) -> str | None:
    """The encoding a <meta charset> or <meta http-equiv=content-type> in these bytes names
    (the standard's prescan: comments skipped, the first usable declaration wins)."""
    for meta in _META.finditer(_COMMENT.sub(b"", head)):
        attributes: dict[bytes, bytes] = {}
        for match in _ATTRIBUTE.finditer(meta.group(0)[5:]):
            name = match.group(1).lower()
            value = next((v for v in match.group(2, 3, 4) if v is not None), b"")
            attributes.setdefault(name, value)
        label: bytes | None = attributes.get(b"charset")
        if label is None and attributes.get(b"http-equiv", b"").lower() == b"content-type":
            content = _CONTENT_CHARSET.search(attributes.get(b"content", b""))
            if content:
                label = next(v for v in content.group(1, 2, 3) if v is not None)
        if label is None:
            continue
        name = _label(label.decode("ascii", "replace"))
        if name is None:
            continue
        # A page that says UTF-16 in ASCII bytes is not UTF-16; x-user-defined is a
        # byte-to-PUA mapping no page means: the standard reads both as below.
        if name in ("utf-16be", "utf-16le"):
            return "utf-8"
        if name == "x-user-defined":
            return "windows-1252"
        return name
    return None


def _label(label: str | None) -> str | None:
    if not label:
        return None
    encoding = webencodings.lookup(label.strip())
    if encoding is None or encoding.name == "replacement":
        return None
    return str(encoding.name)


def _decoded(body: bytes, name: str, source: str) -> Decoded:
    codec = webencodings.lookup(name)
    python_codec = codec.codec_info.name if codec is not None else "windows-1252"
    return Decoded(body.decode(python_codec, errors="replace"), name, source)
