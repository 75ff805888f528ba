"""Schedule text read into cron fields, and the wall-clock times they name (pure).

The fields are checked and stepped through by APScheduler's CronTrigger, always on UTC so that
it reads no local zone and sees no DST: its times are wall-clock times, which digest.cadence
places in a list's zone. Two things of cron are done here, where APScheduler 3 differs from it:
weekdays are numbered from Sunday = 0 (APScheduler 3 counts from Monday, so numbers are turned
into names before it sees them), and a day of the month with days of the week means either one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from apscheduler.triggers.cron import CronTrigger

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# cron's numbering: 0 (and 7) is Sunday.
CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
FIELDS = ("minute", "hour", "day", "month", "day_of_week")

ALIASES = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
_TIME = r"(\d{1,2}):(\d{2})"
_DAILY = re.compile(rf"^(?:daily|every\s+day)\s+{_TIME}$", re.IGNORECASE)
_WEEKLY = re.compile(rf"^(?:weekly\s+)?([a-z][a-z,\-]*)\s+{_TIME}$", re.IGNORECASE)
_MONTHLY = re.compile(rf"^monthly\s+(.+?)\s+{_TIME}$", re.IGNORECASE)
_WEEKDAY_ITEM = re.compile(r"^(\*|[a-z]+|\d+)(?:-([a-z]+|\d+))?(?:/(\d+))?$")
EXPECTED = (
    "expected a day and a time such as 'mon 07:00', 'mon-fri 07:00', 'daily 07:00' or "
    "'monthly 1 07:00', cron such as '0 7 * * MON-FRI', or one of " + ", ".join(ALIASES)
)


@dataclass(frozen=True)
class Cron:
    """A schedule as CronTrigger fields, weekdays by name (no numbering left to misread)."""

    minute: str
    hour: str
    day: str = "*"
    month: str = "*"
    day_of_week: str = "*"

    def __str__(self) -> str:
        return " ".join(getattr(self, name) for name in FIELDS)


@cache
def parse_cron(text: str) -> Cron:
    """Friendly forms, @aliases and five-field cron, checked field by field: a ValueError
    starts with the name of the field that is wrong."""
    stripped = " ".join(text.split())
    if stripped.startswith("@"):
        if stripped.lower() not in ALIASES:
            raise ValueError(f"expected one of {', '.join(ALIASES)}")
        stripped = ALIASES[stripped.lower()]
    if match := _DAILY.match(stripped):
        spec = Cron(match[2], match[1])
    elif match := _WEEKLY.match(stripped):
        spec = Cron(match[3], match[2], day_of_week=_weekdays(match[1], friendly=True))
    elif match := _MONTHLY.match(stripped):
        spec = Cron(match[3], match[2], day=match[1].lower())
    elif (fields := stripped.split()) and re.fullmatch(r"[\d*/,\-]+", fields[0]):
        if len(fields) != 5:
            raise ValueError(
                f"expected 5 fields (minute hour day month day_of_week), got {len(fields)}"
            )
        minute, hour, day, month, weekdays = (f.lower() for f in fields)
        spec = Cron(minute, hour, day, month, _weekdays(weekdays, friendly=False))
    else:
        raise ValueError(EXPECTED)
    for name in FIELDS:
        try:
            CronTrigger(**{name: getattr(spec, name)}, timezone=UTC)
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from None
    _check_it_comes(spec)
    return spec


def _weekdays(field: str, *, friendly: bool) -> str:
    """A day-of-week field with every day by name. cron counts Sunday as 0 and 7; a range
    runs from the earlier day to the later, never across the week's end."""
    if field == "*":
        return "*"
    names: list[str] = []
    for item in field.lower().split(","):
        match = _WEEKDAY_ITEM.match(item)
        if match is None:
            raise ValueError(f"day_of_week: cannot read {item!r}")
        start, end, step = match.groups()
        if friendly and (start == "*" or step or start.isdigit()):
            raise ValueError(
                f"day_of_week: expected day names such as mon or mon-fri, got {item!r}"
            )
        first = 0 if start == "*" else _day_number(start)
        last = _day_number(end) if end else 6 if (step or start == "*") else first
        if first > last:
            raise ValueError(f"day_of_week: {item!r} runs backwards; write it as two parts")
        if step is not None and int(step) < 1:
            raise ValueError(f"day_of_week: {item!r}: a step is at least 1")
        names += [CRON_DAYS[d % 7] for d in range(first, last + 1, int(step or 1))]
    return ",".join(dict.fromkeys(names))


def _day_number(token: str) -> int:
    if token.isdigit():
        if int(token) > 7:
            raise ValueError(f"day_of_week: no day {token} (0 or 7 is Sunday, 6 Saturday)")
        return int(token)
    if token[:3] not in CRON_DAYS:
        raise ValueError(f"day_of_week: no day named {token!r} (mon, tue, … sun)")
    return CRON_DAYS.index(token[:3])


@cache
def _triggers(spec: Cron) -> tuple[CronTrigger, ...]:
    """cron's rule: when both the day of the month and the day of the week are restricted
    (neither starts with *), a day matching either one is a day to run."""
    fields = {name: getattr(spec, name) for name in FIELDS}
    if spec.day.startswith("*") or spec.day_of_week.startswith("*"):
        return (CronTrigger(**fields, timezone=UTC),)
    return (
        CronTrigger(**(fields | {"day_of_week": "*"}), timezone=UTC),
        CronTrigger(**(fields | {"day": "*"}), timezone=UTC),
    )


def wall_times(spec: Cron, start: datetime, end: datetime) -> Iterator[datetime]:
    """The wall-clock times (naive) t the schedule names with start <= t <= end, in order."""
    found: set[datetime] = set()
    for trigger in _triggers(spec):
        moment = trigger.get_next_fire_time(None, start.replace(tzinfo=UTC))
        while moment is not None and moment.replace(tzinfo=None) <= end:
            found.add(moment.replace(tzinfo=None))
            moment = trigger.get_next_fire_time(None, moment + timedelta(seconds=1))
    return iter(sorted(found))


def _check_it_comes(spec: Cron) -> None:
    """Refuse a schedule that never comes (31 April), or less than once a year (29 February):
    one that comes in a common year comes every year."""
    if _comes_between(spec, datetime(2001, 1, 1), datetime(2001, 12, 31, 23, 59)):
        return
    if _comes_between(spec, datetime(2001, 1, 1), datetime(2009, 1, 1)):
        raise ValueError(f"day: {spec.day} {spec.month} comes less than once a year")
    raise ValueError(f"day: {spec.day} of month {spec.month} never comes")


def _comes_between(spec: Cron, start: datetime, end: datetime) -> bool:
    for trigger in _triggers(spec):
        moment = trigger.get_next_fire_time(None, start.replace(tzinfo=UTC))
        if moment is not None and moment.replace(tzinfo=None) <= end:
            return True
    return False
