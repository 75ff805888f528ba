"""When a list sends (pure): weekly times in a list's zone, DST-safe, missed runs and grace.

Times are wall-clock times in the list's IANA zone. A time that does not exist on a day the
clocks go forward (02:30 in a skipped hour) happens at the same offset after the gap (03:30);
a time that exists twice when they go back happens at the first of the two. Either way each
scheduled send happens once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKLY = re.compile(r"^\s*([a-z,]+)\s+(\d{1,2}):(\d{2})\s*$", re.IGNORECASE)
_CRON = re.compile(r"^\s*(\d{1,2})\s+(\d{1,2})\s+\*\s+\*\s+([0-7](?:,[0-7])*)\s*$")


@dataclass(frozen=True)
class Weekly:
    weekdays: tuple[int, ...]  # 0 = Monday
    hour: int
    minute: int


def parse_weekly(text: str) -> Weekly:
    """ "mon 07:00", "mon,thu 7:30", or cron "0 7 * * 1" (minute hour * * weekdays)."""
    if match := _WEEKLY.match(text):
        names, hour, minute = match.group(1).lower().split(","), int(match[2]), int(match[3])
        try:
            weekdays = tuple(sorted({DAYS.index(name[:3]) for name in names if name}))
        except ValueError:
            raise ValueError(f"{text!r}: days are mon, tue, wed, thu, fri, sat, sun") from None
    elif match := _CRON.match(text):
        minute, hour = int(match[1]), int(match[2])
        # cron counts Sunday as 0 (and 7), Monday as 1.
        weekdays = tuple(sorted({(int(d) - 1) % 7 for d in match[3].split(",")}))
    else:
        raise ValueError(
            f"{text!r}: expected a day and a time such as 'mon 07:00', or cron such as '0 7 * * 1'"
        )
    if not (0 <= hour < 24 and 0 <= minute < 60) or not weekdays:
        raise ValueError(f"{text!r}: no such time of day")
    return Weekly(weekdays, hour, minute)


def wall_time(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """That wall-clock time on that day, in UTC. fold=0 (PEP 495) reads a time that exists
    twice as the first, and a time in a skipped hour with the offset before the change, which
    lands it as far past the gap: 02:30 on a spring-forward night is 03:30."""
    naive = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone, fold=0)
    return naive.astimezone(UTC)


def occurrences(spec: Weekly, zone_name: str, start: datetime, end: datetime) -> list[datetime]:
    """Scheduled times t with start < t <= end, in UTC, in order."""
    zone = ZoneInfo(zone_name)
    day = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    found = []
    while day <= last:
        if day.weekday() in spec.weekdays:
            moment = wall_time(day, spec.hour, spec.minute, zone)
            if start < moment <= end:
                found.append(moment)
        day += timedelta(days=1)
    return found


def previous_time(spec: Weekly, zone: str, now: datetime) -> datetime:
    """The latest scheduled time at or before now."""
    return occurrences(spec, zone, now - timedelta(days=8), now)[-1]


def next_time(spec: Weekly, zone: str, now: datetime) -> datetime:
    """The earliest scheduled time after now."""
    return occurrences(spec, zone, now, now + timedelta(days=8))[0]


@dataclass(frozen=True)
class Decision:
    due: datetime | None  # the scheduled time to act for now; None: nothing to do
    skipped: datetime | None = None  # a scheduled time missed beyond the grace
    reason: str = ""


def decide(
    spec: Weekly, zone: str, now: datetime, last_done: datetime | None, grace: timedelta
) -> Decision:
    """Act for the latest scheduled time not yet done, if it is within the grace; a time
    missed beyond the grace (the service was down) is skipped, and says why."""
    latest = previous_time(spec, zone, now)
    if last_done is not None and latest <= last_done:
        return Decision(None)
    late = now - latest
    if late <= grace:
        return Decision(latest, reason="on time" if late < timedelta(minutes=1) else f"{late} late")
    return Decision(
        None,
        skipped=latest,
        reason=f"missed by {late}, beyond the grace of {grace}: skipped until the next time",
    )


def period_ending(spec: Weekly, zone: str, now: datetime) -> tuple[datetime, datetime]:
    """The period of the issue sent at the first scheduled time at or after now: it starts at
    the scheduled time before that one (the previous issue's send)."""
    tick = timedelta(microseconds=1)
    end = occurrences(spec, zone, now - tick, now + timedelta(days=8))[0]
    start = occurrences(spec, zone, end - timedelta(days=8), end - tick)[-1]
    return start, end


# The first and last places on Earth a wall-clock time comes to (UTC+14, UTC-12).
EARLIEST_ZONE = "Etc/GMT-14"
LATEST_ZONE = "Etc/GMT+12"


def local_time_in(spec: Weekly, list_zone: str, anchor: datetime, zone: str) -> datetime:
    """When the send at anchor (a scheduled time of the list) comes in another zone: the same
    wall-clock time on the same calendar day there, in UTC (DST-safe like every wall time)."""
    day = anchor.astimezone(ZoneInfo(list_zone)).date()
    return wall_time(day, spec.hour, spec.minute, ZoneInfo(zone))


def waves(
    spec: Weekly, list_zone: str, anchor: datetime, zones: Iterable[str]
) -> dict[datetime, tuple[str, ...]]:
    """The send at anchor, delivered at its wall-clock time in each of these zones: the zones
    that reach it at each moment, earliest moment first."""
    found: dict[datetime, list[str]] = {}
    for zone in sorted(set(zones)):
        found.setdefault(local_time_in(spec, list_zone, anchor, zone), []).append(zone)
    return {moment: tuple(found[moment]) for moment in sorted(found)}


def wave_window(spec: Weekly, list_zone: str, anchor: datetime) -> tuple[datetime, datetime]:
    """The first and last moment any zone on Earth reaches the send at anchor."""
    return (
        local_time_in(spec, list_zone, anchor, EARLIEST_ZONE),
        local_time_in(spec, list_zone, anchor, LATEST_ZONE),
    )
