"""What a reader may type or tick, checked: names without control characters, real time zones,
topics and lists only from those on offer."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.config import Settings

NAME_MAX = 200  # subscribers.name is a String(200)
# Control characters, and the Unicode line and paragraph separators: none may reach a header
# or a page as a line break.
_REFUSED_CATEGORIES = {"Cc", "Zl", "Zp"}


class FormProblem(ValueError):
    """A field the reader must correct; the message says how."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def clean_name(value: str) -> str | None:
    """The name as given (spaces around it trimmed), None when empty."""
    value = value.strip()
    if not value:
        return None
    if any(unicodedata.category(c) in _REFUSED_CATEGORIES for c in value):
        raise FormProblem("name", "Your name may not contain line breaks or control characters.")
    if len(value) > NAME_MAX:
        raise FormProblem("name", f"Your name may be at most {NAME_MAX} characters long.")
    return value


def clean_timezone(value: str) -> str | None:
    """An IANA zone such as Africa/Dakar, None when empty (the list's own zone)."""
    value = value.strip()
    if not value:
        return None
    if len(value) > 64 or "\\" in value or value.startswith("/") or ".." in value:
        raise FormProblem("timezone", "Choose a time zone such as Africa/Dakar.")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise FormProblem("timezone", "Choose a time zone such as Africa/Dakar.") from None
    return value


def topics_on_offer(settings: Settings) -> list[str]:
    """readers.topics, or else the regions and tags of the configured sources."""
    if settings.readers.topics:
        return list(dict.fromkeys(settings.readers.topics))
    found: dict[str, None] = {}
    for source in settings.sources:
        for topic in (source.region, *source.tags):
            if topic:
                found[topic] = None
    return sorted(found)


def chosen(values: Iterable[str], offered: Iterable[str], field: str) -> list[str]:
    """The ticked values, each one of those offered (a forged value is refused)."""
    allowed = list(offered)
    picked = list(dict.fromkeys(values))
    unknown = [v for v in picked if v not in allowed]
    if unknown:
        raise FormProblem(field, f"Choose {field} from those shown.")
    return [v for v in allowed if v in picked]
