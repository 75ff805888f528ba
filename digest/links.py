"""Which links may reach a reader: absolute http(s) only (never javascript:, data:, file:)."""

from __future__ import annotations


def is_http_url(url: str) -> bool:
    return url.strip().lower().startswith(("https://", "http://"))
