"""Checks on what a subscriber may set (name, time zone, topics), shared by import and the API."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from digest.config import Settings

# C0 and C1 controls, DEL and the Unicode line/paragraph separators: none belongs in a name,
# and a CR or LF that reached a mail header would let a value add headers of its own.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# The same, as a JSON Schema pattern for the names the API accepts.
NAME_PATTERN = "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"
# Wording shown to a reader may run over lines; no other control character belongs in it.
_WORDING_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
WORDING_PATTERN = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$"
NAME_MAX = 200


class FieldError(ValueError):
    """A value a subscriber may not have; the message says what is wrong with it."""


def has_control_characters(value: str) -> bool:
    return _CONTROL.search(value) is not None


def clean_name(value: str | None) -> str | None:
    """The name as stored: trimmed, None when empty; refuses control characters."""
    if value is None:
        return None
    if has_control_characters(value):
        raise FieldError("name contains control characters (line breaks, tabs, NUL…)")
    value = value.strip()
    if len(value) > NAME_MAX:
        raise FieldError(f"name is longer than {NAME_MAX} characters")
    return value or None


def check_wording(value: str) -> str:
    """Consent wording as given; refuses control characters other than tabs and line breaks."""
    if _WORDING_CONTROL.search(value):
        raise FieldError("consent contains control characters")
    return value


@lru_cache(maxsize=1024)
@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """The IANA zones this machine knows, sorted: what a reader chooses from (their region's
    cities, Etc/ and legacy aliases left out as nobody looks for them there)."""
    return tuple(
        sorted(
            name
            for name in available_timezones()
            if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
        )
    )


def zone_exists(value: str) -> bool:
    """Whether this machine knows the IANA zone (Africa/Dakar)."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def clean_timezone(value: str | None) -> str | None:
    """An IANA zone name (Africa/Dakar), None when empty."""
    if not value:
        return None
    if has_control_characters(value) or len(value) > 64 or not zone_exists(value):
        raise FieldError(f"time zone {value!r} is not an IANA zone such as Africa/Dakar")
    return value


def clean_topics(values: Iterable[str], offered: frozenset[str]) -> list[str]:
    """The chosen topics, each one of those on offer, without repeats, in the order given."""
    chosen: list[str] = []
    for raw in values:
        topic = raw.strip()
        if not topic or topic in chosen:
            continue
        if topic not in offered:
            known = ", ".join(sorted(offered)) or "none"
            raise FieldError(f"topic {topic!r} is not on offer (offered: {known})")
        chosen.append(topic)
    return chosen


def topics_on_offer(settings: Settings) -> list[str]:
    """What readers may choose from: readers.topics, or else the regions and tags the
    configured sources give their articles."""
    if settings.readers.topics:
        return list(dict.fromkeys(settings.readers.topics))
    found: dict[str, None] = {}
    for source in settings.sources:
        for topic in (source.region, *source.tags):
            if topic:
                found[topic] = None
    return sorted(found)


def offered_topics(settings: Settings) -> frozenset[str]:
    return frozenset(topics_on_offer(settings))
