"""The scheduler (APScheduler 3): collect every N minutes; draft and send each list on time.

Every job first claims a row in schedule_runs for (list, job, scheduled time); the unique key
lets one process win and the others skip quietly, across processes and restarts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from digest import pipeline
from digest.cadence import (
    DAYS,
    Weekly,
    decide,
    next_time,
    occurrences,
    parse_weekly,
    wave_window,
    waves,
)
from digest.config import ListSettings, Settings
from digest.config_sections import ScheduleSettings
from digest.delivery.transport import Transport
from digest.errors import DigestError
from digest.models import Issue
from digest.pipeline.composing import issues_of, period_of
from digest.schedule_runs import (
    ALL_LISTS,
    claim,
    claimed_since,
    finish,
    last_scheduled,
    reap_stale,
)
from digest.states import RunOutcome
from digest.stopping import StopAfterBatch, stop_between_batches
from subscribers import membership
from subscribers.fields import zone_exists

log = logging.getLogger("digest.schedule")

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


class ScheduledJobs:
    """What the scheduler runs, each call with the time it should take as now."""

    def __init__(
        self,
        rt: pipeline.Runtime,
        stop: threading.Event | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.rt = rt
        self.stop = stop or threading.Event()
        self.transport = transport
        self._collecting = threading.Lock()

    def collect_if_due(self, now: datetime) -> None:
        """Collect once per slot of collect_every_minutes, over all processes."""
        interval = collect_interval(self.rt.settings)
        if interval is None or self.stop.is_set():
            return
        run_id = claim(self.rt.sessions, ALL_LISTS, "collect", collect_slot(now, interval), now)
        if run_id is None:
            return
        outcome, detail = self._collect(now)
        finish(self.rt.sessions, run_id, outcome, detail, now)

    def tick(self, now: datetime) -> None:
        """For each scheduled list: compose the draft, then send, when their time has come."""
        for lst, schedule in scheduled_lists(self.rt.settings):
            if self.stop.is_set():
                return
            spec = parse_weekly(schedule.send)
            self._draft_if_due(lst, schedule, spec, now)
            if schedule.local_time:
                self._send_waves_if_due(lst, schedule, spec, now)
            else:
                self._send_if_due(lst, schedule, spec, now)

    def _draft_if_due(
        self, lst: ListSettings, schedule: ScheduleSettings, spec: Weekly, now: datetime
    ) -> None:
        # Seen from draft_hours_before ahead, the draft is "the send"; it is useful any time
        # before the send itself (or within the grace, if that is longer).
        lead = draft_lead(lst, schedule, spec, now)
        window = max(lead, timedelta(hours=schedule.grace_hours))
        last = last_scheduled(self.rt.sessions, lst.slug, "draft")
        decision = decide(spec, lst.timezone, now + lead, last + lead if last else None, window)
        if decision.skipped is not None:
            self._record_skip(lst.slug, "draft", decision.skipped - lead, decision.reason, now)
            return
        if decision.due is None:
            return
        send_at = decision.due
        if self._earlier_send_to_come(lst, schedule, spec, send_at, now):
            return  # drafted at a later tick, once the earlier issue has its articles
        run_id = claim(self.rt.sessions, lst.slug, "draft", send_at - lead, now)
        if run_id is None:
            return
        self._collect(now)
        outcome, detail = RunOutcome.FAILED, "unexpected error"
        try:
            issue = pipeline.compose(self.rt, lst.slug, now, period_at=send_at)
            if issue is None:
                outcome, detail = (
                    RunOutcome.NOTHING_NEW,
                    "no new articles since the last issue, no draft",
                )
            else:
                outcome = RunOutcome.DONE
                detail = f"issue #{issue.number}: {issue.article_count} article(s), {issue.status}"
        except DigestError as exc:
            detail = exc.message
        finally:
            finish(self.rt.sessions, run_id, outcome, detail, now)
            _log_outcome(lst.slug, "draft", send_at - lead, outcome, detail)

    def _earlier_send_to_come(
        self,
        lst: ListSettings,
        schedule: ScheduleSettings,
        spec: Weekly,
        send_at: datetime,
        now: datetime,
    ) -> bool:
        """Whether the send before send_at may still go out (its time, or its last wave, plus
        the grace, is yet to pass) and its issue is not composed and frozen. A draft composed
        then would take the articles that issue is due to carry: with local-time delivery a
        daily list's next draft comes before today's last waves."""
        previous = occurrences(spec, lst.timezone, send_at - timedelta(days=8), send_at)[-2]
        last = wave_window(spec, lst.timezone, previous)[1] if schedule.local_time else previous
        if now > last + timedelta(hours=schedule.grace_hours):
            return False
        start, _end = period_of(lst, previous)
        with self.rt.sessions() as session:
            issue = session.scalar(issues_of(lst.slug).where(Issue.period_start == start))
            return issue is None or issue.status == "draft"

    def _send_if_due(
        self, lst: ListSettings, schedule: ScheduleSettings, spec: Weekly, now: datetime
    ) -> None:
        grace = timedelta(hours=schedule.grace_hours)
        last = last_scheduled(self.rt.sessions, lst.slug, "send")
        decision = decide(spec, lst.timezone, now, last, grace)
        if decision.skipped is not None:
            self._record_skip(lst.slug, "send", decision.skipped, decision.reason, now)
            return
        if decision.due is None:
            return
        self._send(lst.slug, decision.due, decision.reason, now, period_at=decision.due)

    def _send_waves_if_due(
        self, lst: ListSettings, schedule: ScheduleSettings, spec: Weekly, now: datetime
    ) -> None:
        """Local-time delivery: each wave (the zones reaching the send time at one moment) is
        a send of its own, claimed, graced and recorded like one. Its claim names the send's
        day (job "send mon"): on a daily list two sends' waves can fall on the same moment."""
        grace = timedelta(hours=schedule.grace_hours)
        # Every wave of a send lies within a day or so of it: look at the sends around now
        # whose waves may be due, and at the readers' zones only when one may be.
        reach = timedelta(hours=30)
        anchors = [
            anchor
            for anchor in occurrences(spec, lst.timezone, now - reach - grace, now + reach)
            if wave_window(spec, lst.timezone, anchor)[0] <= now
        ]
        if not anchors:
            return
        members = self._zone_members(lst)
        for anchor in anchors:
            job = wave_job(lst, anchor)
            done = claimed_since(self.rt.sessions, lst.slug, job, anchor - reach)
            for moment, wave in waves(spec, lst.timezone, anchor, members).items():
                if self.stop.is_set():
                    return
                if moment > now or moment in done:
                    continue
                late = now - moment
                if late > grace:
                    reason = f"missed by {late}, beyond the grace of {grace}: skipped"
                    self._record_skip(lst.slug, job, moment, reason, now)
                    continue
                originals = {z for zone in wave for z in members[zone]}
                zones = membership.Zones(
                    names=frozenset(z for z in originals if z), unzoned=None in originals
                )
                self._send(
                    lst.slug,
                    moment,
                    f"local time in {', '.join(wave)}",
                    now,
                    period_at=anchor,
                    zones=zones,
                    job=job,
                    # After a send's first wave its issue is frozen: collecting is no use.
                    collect=not done,
                )
                done.add(moment)

    def _zone_members(self, lst: ListSettings) -> dict[str, set[str | None]]:
        """The zones of the list's readers, each with the stored values it stands for: a
        zone this machine does not know (or none) stands under the list's own."""
        with self.rt.sessions() as session:
            list_id = membership.get_list(session, lst.slug).id
            stored = membership.subscriber_zones(session, list_id)
        members: dict[str, set[str | None]] = {lst.timezone: {None}}
        for zone in stored:
            known = zone if zone and zone_exists(zone) else lst.timezone
            members.setdefault(known, set()).add(zone)
        return members

    def _send(
        self,
        slug: str,
        scheduled_for: datetime,
        reason: str,
        now: datetime,
        *,
        period_at: datetime,
        zones: membership.Zones | None = None,
        job: str = "send",
        collect: bool = True,
    ) -> None:
        """Claim the send for its scheduled time; if won, collect, send and record how it went."""
        run_id = claim(self.rt.sessions, slug, job, scheduled_for, now)
        if run_id is None:
            return
        log.info(
            "sending %s (%s)",
            slug,
            reason,
            extra={"list": slug, "job": job, "scheduled_for": scheduled_for.isoformat()},
        )
        if collect:
            self._collect(now)
        outcome, detail = RunOutcome.FAILED, "unexpected error"
        try:
            report = pipeline.send(
                self.rt,
                slug,
                now,
                self.transport,
                progress=stop_between_batches(self.stop),
                period_at=period_at,
                zones=zones,
            )
            outcome, detail = _send_outcome(report)
        except StopAfterBatch:
            outcome = RunOutcome.INTERRUPTED
            detail = "stopped by a shutdown after a recorded batch; the delivery worker resumes it"
        except DigestError as exc:
            detail = exc.message
        finally:
            finish(self.rt.sessions, run_id, outcome, detail, now)
            _log_outcome(slug, job, scheduled_for, outcome, detail)

    def _record_skip(
        self, slug: str, job: str, scheduled_for: datetime, reason: str, now: datetime
    ) -> None:
        won = claim(
            self.rt.sessions,
            slug,
            job,
            scheduled_for,
            now,
            outcome=RunOutcome.SKIPPED,
            detail=reason,
        )
        if won is not None:
            _log_outcome(slug, job, scheduled_for, RunOutcome.SKIPPED, reason)

    def _collect(self, now: datetime) -> tuple[RunOutcome, str]:
        """Fetch every source (one collect at a time in this process); never raises."""
        with self._collecting:
            try:
                report = pipeline.collect(self.rt, now)
            except Exception as exc:  # a failed collect must not stop the draft or the send
                log.exception("collect failed: %s", exc, extra={"job": "collect"})
                return RunOutcome.FAILED, str(exc)
        for source in report.sources:
            if source.error:
                log.warning(
                    "source failed: %s",
                    source.error,
                    extra={"source": source.name, "job": "collect"},
                )
        detail = f"{report.new_articles} new article(s) from {len(report.sources)} source(s)"
        log.info("collected %s", detail, extra={"job": "collect"})
        return RunOutcome.DONE, detail


def _send_outcome(report: pipeline.SendReport) -> tuple[RunOutcome, str]:
    if report.issue is None:
        return RunOutcome.NOTHING_NEW, "no new articles since the last issue, no send"
    if report.blocked:
        return RunOutcome.SKIPPED, report.blocked
    return RunOutcome.DONE, (
        f"issue #{report.issue.number}: {report.sent} sent, {report.deferred} deferred, "
        f"{report.failed} failed, {report.skipped} skipped"
    )


def _log_outcome(
    slug: str, job: str, scheduled_for: datetime, outcome: RunOutcome, detail: str
) -> None:
    quiet = (RunOutcome.DONE, RunOutcome.NOTHING_NEW)
    level = logging.INFO if outcome in quiet else logging.WARNING
    log.log(
        level,
        "%s %s: %s: %s",
        job,
        slug,
        outcome,
        detail,
        extra={
            "list": slug,
            "job": job,
            "scheduled_for": scheduled_for.isoformat(),
            "outcome": outcome,
        },
    )


class Scheduler:
    """APScheduler 3 in a background thread: the collect job and the tick, on the real clock;
    the jobs themselves read the given clock (tests move it)."""

    def __init__(self, jobs: ScheduledJobs, clock: Clock) -> None:
        self.jobs = jobs
        self.clock = clock
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(2)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )

    def start(self) -> None:
        settings = self.jobs.rt.settings
        stale = timedelta(hours=settings.service.stale_run_hours)
        for run_id in reap_stale(self.jobs.rt.sessions, self.clock(), stale):
            log.warning("scheduled run %s was left running by a process that ended", run_id)
        interval = collect_interval(settings)
        if interval is None:
            log.info("no list has a schedule: the scheduler has nothing to do")
            return
        started = datetime.now(UTC)
        self._scheduler.add_job(
            self._run,
            IntervalTrigger(seconds=interval.total_seconds(), start_date=EPOCH, timezone=UTC),
            args=[self.jobs.collect_if_due],
            id="collect",
            next_run_time=started,
        )
        self._scheduler.add_job(
            self._run,
            IntervalTrigger(seconds=settings.service.tick_seconds, timezone=UTC),
            args=[self.jobs.tick],
            id="tick",
            next_run_time=started,
        )
        self._scheduler.start()
        for planned in plan(settings, self.clock()):
            log.info(
                "%s: next draft %s, next send %s",
                planned.list_slug,
                planned.next_draft.isoformat(),
                planned.next_send.isoformat(),
                extra={"list": planned.list_slug},
            )

    def _run(self, job: Callable[[datetime], None]) -> None:
        try:
            job(self.clock())
        except Exception:  # keep the scheduler alive; the next run tries again
            log.exception("scheduled job failed")

    def shutdown(self, wait: bool = True) -> None:
        """No new runs; with wait, return once the runs under way have finished."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=wait)
