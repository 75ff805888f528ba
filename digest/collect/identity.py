"""How an article is recognised again: GUID, else canonical link, else a content hash."""

from __future__ import annotations

import hashlib
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from digest.links import is_http_url

_TRACKING = ("utm_", "mc_", "fbclid", "gclid", "yclid", "_hsenc", "_hsmi", "ref_src")


def canonical_link(url: str) -> str:
    """The link without fragment and tracking parameters, with a lower-case scheme and host."""
    parts = urlsplit(url.strip())
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not k.lower().startswith(_TRACKING)
    ]
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", urlencode(query), "")
    )


def reader_link(url: str) -> str:
    """The link readers are sent to: the canonical http(s) URL, or "" for anything else
    (javascript:, data:, file: links never reach an email)."""
    if not is_http_url(url):
        return ""
    return canonical_link(url)


def article_identity(guid: str | None, link: str | None, title: str, text: str) -> str:
    if guid:
        return f"guid:{guid}"[:512]
    if link:
        return f"url:{canonical_link(link)}"[:512]
    digest = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
    return f"hash:{digest}"
