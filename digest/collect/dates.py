"""Dates as feeds and pages write them -> aware UTC datetimes, or None; pure: no clock."""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime


def iso_datetime(value: str | None) -> datetime | None:
    """An ISO 8601 date in UTC (naive ones taken as UTC); None when absent, unreadable or
    outside what a datetime holds once in UTC ("0001-01-01T00:00:00+01:00" is year 0)."""
    if not value or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip())
        if when.tzinfo is None:
            return when.replace(tzinfo=UTC)
        return when.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def struct_datetime(parsed: time.struct_time | None) -> datetime | None:
    """feedparser's UTC struct_time as a datetime; None when it names no representable time."""
    if parsed is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None


def feed_datetime(value: str | None) -> datetime | None:
    """A date as feeds write it, ISO 8601 or RFC 822 ("Mon, 23 Nov 2026 07:00:00 +0100",
    which JSON Feeds converted from RSS carry), in UTC; None when absent or unreadable."""
    when = iso_datetime(value)
    if when is not None or not value or not value.strip():
        return when
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    try:
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
