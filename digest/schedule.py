"""When each list collects, drafts and sends: times computed from config.yaml's schedules."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from digest.cadence import (
    DAYS,
    Schedule,
    next_time,
    once_a_day,
    parse_schedule,
    scheduled_wall_time,
    upcoming,
    wave_window,
)
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


# How many of each job's next runs `digest schedule` shows.
SHOWN = 3


@dataclass(frozen=True)
class Planned:
    list_slug: str
    timezone: str
    # The next runs of each job, earliest first (no collects when no list has a schedule).
    collects: tuple[datetime, ...]
    drafts: tuple[datetime, ...]
    sends: tuple[datetime, ...]
    # A local-time list: for each of those sends, when the first and the last zone on Earth
    # reach it.
    waves: tuple[tuple[datetime, datetime], ...] = ()

    @property
    def next_collect(self) -> datetime | None:
        return self.collects[0] if self.collects else None

    @property
    def next_draft(self) -> datetime:
        return self.drafts[0]

    @property
    def next_send(self) -> datetime:
        return self.sends[0]


def plan(settings: Settings, now: datetime, count: int = SHOWN) -> list[Planned]:
    """Each scheduled list's next count collects, drafts and sends (UTC)."""
    interval = collect_interval(settings)
    collects = (
        tuple(collect_slot(now, interval) + interval * n for n in range(1, count + 1))
        if interval
        else ()
    )
    upcoming_runs = []
    for lst, schedule in scheduled_lists(settings):
        spec = parse_schedule(schedule.send)
        lead = draft_lead(lst, schedule, spec, now)
        sends = tuple(upcoming(spec, lst.timezone, now, count))
        upcoming_runs.append(
            Planned(
                list_slug=lst.slug,
                timezone=lst.timezone,
                collects=collects,
                # A draft is due lead before its send: the next ones are those of the sends
                # after now + lead.
                drafts=tuple(t - lead for t in upcoming(spec, lst.timezone, now + lead, count)),
                sends=sends,
                waves=tuple(wave_window(spec, lst.timezone, t) for t in sends)
                if schedule.local_time
                else (),
            )
        )
    return upcoming_runs


def draft_lead(
    lst: ListSettings, schedule: ScheduleSettings, spec: Schedule, now: datetime
) -> timedelta:
    """How long before a send its draft is composed: draft_hours_before, counted for a
    local-time list from the first moment any zone on Earth reaches the send time."""
    lead = timedelta(hours=schedule.draft_hours_before)
    if not schedule.local_time:
        return lead
    coming = next_time(spec, lst.timezone, now)
    return lead + (coming - wave_window(spec, lst.timezone, coming)[0])


def wave_job(lst: ListSettings, spec: Schedule, anchor: datetime) -> str:
    """The claim name of a local-time send's waves: "send" and the send's day in the list's
    zone, so the waves of two sends a day apart never share a claim; and its time ("send mon
    19:00") when the schedule sends more than once a day, so two sends of a day never do."""
    wall = scheduled_wall_time(spec, lst.timezone, anchor)
    job = f"send {DAYS[wall.weekday()]}"
    return job if once_a_day(spec) else f"{job} {wall:%H:%M}"
