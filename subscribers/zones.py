"""A subscriber's time zone, for local-time delivery: an IANA name this machine knows."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from digest.errors import DigestError


class InvalidZone(DigestError):
    default_hint = "give an IANA time zone such as Africa/Casablanca or America/New_York"


def check_zone(name: str) -> str:
    """The zone name, stripped; raises InvalidZone naming the problem."""
    name = name.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidZone(f"{name!r} is not a known time zone") from None
    return name
