"""When a list sends (pure): schedules in cron and friendlier forms, their times in a list's
zone, DST-safe, missed runs, grace and local-time waves.

A schedule is read into cron fields (digest.cron_fields) and stepped through over wall-clock
times, as if no zone had DST; each wall-clock time is then placed in the list's IANA zone. A time
that does not exist on a day the clocks go forward (02:30 in a skipped hour) happens at the same
offset after the gap (03:30); a time that exists twice when they go back happens at the first of
the two. Either way each scheduled send happens once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from digest.cron_fields import DAYS, Cron, parse_cron, wall_times

__all__ = ["DAYS", "Cron", "Schedule", "Weekly", "parse_schedule", "parse_weekly"]


@dataclass(frozen=True)
class Weekly:
    """One time of day on some days of the week: the form most lists use."""

    weekdays: tuple[int, ...]  # 0 = Monday
    hour: int
    minute: int

    def cron(self) -> Cron:
        return Cron(
            str(self.minute), str(self.hour), "*", "*", ",".join(DAYS[d] for d in self.weekdays)
        )


Schedule = Weekly | Cron


def parse_schedule(text: str) -> Cron:
    """Any form config.yaml takes: "mon 07:00", "mon-fri 07:00", "daily 07:00",
    "monthly 1 07:00", cron "0 7 * * MON-FRI", "@daily". A ValueError names the wrong field."""
    return parse_cron(text)


def parse_weekly(text: str) -> Weekly:
    """A schedule that is one time of day on some days of the week, as a Weekly."""
    try:
        spec = parse_cron(text)
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None
    names = spec.day_of_week.split(",")
    if not (
        spec.minute.isdigit()
        and spec.hour.isdigit()
        and spec.day == spec.month == "*"
        and all(name in DAYS for name in names)
    ):
        raise ValueError(f"{text!r}: not one time of day on some days of the week")
    return Weekly(tuple(sorted(DAYS.index(n) for n in names)), int(spec.hour), int(spec.minute))


def _cron(spec: Schedule) -> Cron:
    return spec.cron() if isinstance(spec, Weekly) else spec


def once_a_day(spec: Schedule) -> bool:
    """Whether the schedule names a single time of day (on the days it sends)."""
    cron = _cron(spec)
    return cron.minute.isdigit() and cron.hour.isdigit()


def wall_time(day: date, hour: int, minute: int, zone: ZoneInfo) -> datetime:
    """That wall-clock time on that day, in UTC. fold=0 (PEP 495) reads a time that exists
    twice as the first, and a time in a skipped hour with the offset before the change, which
    lands it as far past the gap: 02:30 on a spring-forward night is 03:30."""
    naive = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone, fold=0)
    return naive.astimezone(UTC)


def _placed(wall: datetime, zone: ZoneInfo) -> datetime:
    return wall_time(wall.date(), wall.hour, wall.minute, zone)


def occurrences(spec: Schedule, zone_name: str, start: datetime, end: datetime) -> list[datetime]:
    """Scheduled times t with start < t <= end, in UTC, in order."""
    zone = ZoneInfo(zone_name)
    # A day each side: a wall-clock time lands at most a day away from the instant (Samoa
    # skipped 30 December 2011 whole).
    first = start.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    last = end.astimezone(zone).replace(tzinfo=None) + timedelta(days=1)
    # A time in a skipped hour lands after the gap: it may come after a later wall time, or
    # on the same instant as one.
    placed = {_placed(wall, zone) for wall in wall_times(_cron(spec), first, last)}
    return sorted(t for t in placed if start < t <= end)


# How far to look for the next or previous time: a schedule comes at least once a year
# (cron_fields refuses one that does not), so the last span always holds one.
_SPANS = (timedelta(days=2), timedelta(days=9), timedelta(days=40), timedelta(days=370))


def previous_time(spec: Schedule, zone: str, now: datetime) -> datetime:
    """The latest scheduled time at or before now."""
    for span in _SPANS:
        if found := occurrences(spec, zone, now - span, now):
            return found[-1]
    raise ValueError(f"{spec}: no scheduled time within a year before {now}")


def next_time(spec: Schedule, zone: str, now: datetime) -> datetime:
    """The earliest scheduled time after now."""
    for span in _SPANS:
        if found := occurrences(spec, zone, now, now + span):
            return found[0]
    raise ValueError(f"{spec}: no scheduled time within a year after {now}")


def upcoming(spec: Schedule, zone: str, now: datetime, count: int) -> list[datetime]:
    """The next count scheduled times after now."""
    found: list[datetime] = []
    while len(found) < count:
        found.append(next_time(spec, zone, found[-1] if found else now))
    return found


@dataclass(frozen=True)
class Decision:
    due: datetime | None  # the scheduled time to act for now; None: nothing to do
    skipped: datetime | None = None  # a scheduled time missed beyond the grace
    reason: str = ""


def decide(
    spec: Schedule, zone: str, now: datetime, last_done: datetime | None, grace: timedelta
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


def period_ending(spec: Schedule, zone: str, now: datetime) -> tuple[datetime, datetime]:
    """The period of the issue sent at the first scheduled time at or after now: it starts at
    the scheduled time before that one (the previous issue's send)."""
    tick = timedelta(microseconds=1)
    end = next_time(spec, zone, now - tick)
    return previous_time(spec, zone, end - tick), end


# The first and last places on Earth a wall-clock time comes to (UTC+14, UTC-12).
EARLIEST_ZONE = "Etc/GMT-14"
LATEST_ZONE = "Etc/GMT+12"


def scheduled_wall_time(spec: Schedule, list_zone: str, anchor: datetime) -> datetime:
    """The wall-clock time (naive) the schedule named for the send at anchor: the list's own
    reading of it, except in a skipped hour, where 02:30 was meant though 03:30 was read."""
    zone = ZoneInfo(list_zone)
    local = anchor.astimezone(zone).replace(tzinfo=None)
    day = timedelta(days=1)
    for wall in wall_times(_cron(spec), local - day, local + day):
        if _placed(wall, zone) == anchor:
            return wall
    return local


def local_time_in(spec: Schedule, list_zone: str, anchor: datetime, zone: str) -> datetime:
    """When the send at anchor (a scheduled time of the list) comes in another zone: the same
    wall-clock time on the same calendar day there, in UTC (DST-safe like every wall time)."""
    return _placed(scheduled_wall_time(spec, list_zone, anchor), ZoneInfo(zone))


def waves(
    spec: Schedule, list_zone: str, anchor: datetime, zones: Iterable[str]
) -> dict[datetime, tuple[str, ...]]:
    """The send at anchor, delivered at its wall-clock time in each of these zones: the zones
    that reach it at each moment, earliest moment first."""
    wall = scheduled_wall_time(spec, list_zone, anchor)
    found: dict[datetime, list[str]] = {}
    for zone in sorted(set(zones)):
        found.setdefault(_placed(wall, ZoneInfo(zone)), []).append(zone)
    return {moment: tuple(found[moment]) for moment in sorted(found)}


def wave_window(spec: Schedule, list_zone: str, anchor: datetime) -> tuple[datetime, datetime]:
    """The first and last moment any zone on Earth reaches the send at anchor."""
    wall = scheduled_wall_time(spec, list_zone, anchor)
    return _placed(wall, ZoneInfo(EARLIEST_ZONE)), _placed(wall, ZoneInfo(LATEST_ZONE))
