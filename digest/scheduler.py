"""The scheduler (APScheduler 3): runs the scheduled jobs on the real clock in a thread."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from digest.schedule import EPOCH, Clock, collect_interval, plan
from digest.schedule_runs import reap_stale
from digest.scheduled_jobs import ScheduledJobs

log = logging.getLogger("digest.schedule")


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
