"""When each list collects, drafts and sends: times computed from config.yaml's schedules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from digest.cadence import DAYS, Weekly, next_time, occurrences, parse_weekly, wave_window
from digest.config import Settings
from digest.config_sections import ListSettings, ScheduleSettings

Clock = Callable[[], datetime]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def scheduled_lists(settings: Settings) -> list[tuple[ListSettings, ScheduleSettings]]:
    return [(lst, lst.schedule) for lst in settings.lists if lst.schedule is not None]


def collect_interval(settings: Settings) -> timedelta | None:
    """How often the service collects: the shortest collect_every_minutes over the lists."""
    minutes = [s.collect_every_minutes for _lst, s in scheduled_lists(settings)]
    return timedelta(minutes=min(minutes)) if minutes else None


def collect_slot(now: datetime, interval: timedelta) -> datetime:
    """The start of the collect slot holding now (slots counted from the Unix epoch, UTC)."""
    return EPOCH + ((now - EPOCH) // interval) * interval


@dataclass(frozen=True)
class Planned:
    list_slug: str
    timezone: str
    next_collect: datetime | None
    next_draft: datetime
    next_send: datetime
    # A local-time list: when the first and the last zone on Earth reach that send.
    waves: tuple[datetime, datetime] | None = None


def plan(settings: Settings, now: datetime) -> list[Planned]:
    """Each scheduled list's next collect, draft and send times (UTC)."""
    interval = collect_interval(settings)
    upcoming = []
    for lst, schedule in scheduled_lists(settings):
        spec = parse_weekly(schedule.send)
        lead = draft_lead(lst, schedule, spec, now)
        sends = occurrences(spec, lst.timezone, now, now + lead + timedelta(days=8))
        next_send = next_time(spec, lst.timezone, now)
        upcoming.append(
            Planned(
                list_slug=lst.slug,
                timezone=lst.timezone,
                next_collect=collect_slot(now, interval) + interval if interval else None,
                next_draft=next(t for t in sends if t - lead > now) - lead,
                next_send=next_send,
                waves=wave_window(spec, lst.timezone, next_send) if schedule.local_time else None,
            )
        )
    return upcoming


def draft_lead(
    lst: ListSettings, schedule: ScheduleSettings, spec: Weekly, now: datetime
) -> timedelta:
    """How long before a send its draft is composed: draft_hours_before, counted for a
    local-time list from the first moment any zone on Earth reaches the send time."""
    lead = timedelta(hours=schedule.draft_hours_before)
    if not schedule.local_time:
        return lead
    upcoming = next_time(spec, lst.timezone, now)
    return lead + (upcoming - wave_window(spec, lst.timezone, upcoming)[0])


def wave_job(lst: ListSettings, anchor: datetime) -> str:
    """The claim name of a local-time send's waves: "send" and the send's day in the list's
    zone, so the waves of two sends a day apart never share a claim."""
    return f"send {DAYS[anchor.astimezone(ZoneInfo(lst.timezone)).weekday()]}"
