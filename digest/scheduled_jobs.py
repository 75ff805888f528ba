"""The scheduled jobs: collect every N minutes; draft and send each list on time.

Every job first claims a row in schedule_runs for (list, job, scheduled time); the unique key
lets one process win and the others skip quietly, across processes and restarts.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from digest import pipeline
from digest.cadence import (
    Schedule,
    decide,
    occurrences,
    parse_schedule,
    previous_time,
    wave_window,
    waves,
)
from digest.config_sections import ListSettings, ScheduleSettings
from digest.delivery.transport import Transport
from digest.errors import DigestError, SenderRefused, ServerUnavailable
from digest.models import Issue
from digest.pipeline.composing import issues_of, period_of
from digest.schedule import collect_interval, collect_slot, draft_lead, scheduled_lists, wave_job
from digest.schedule_runs import ALL_LISTS, claim, claimed_since, finish, last_scheduled
from digest.states import IssueStatus, RunOutcome
from digest.stopping import StopAfterBatch, stop_between_batches
from subscribers import membership
from subscribers.fields import zone_exists

# The scheduler's jobs and its wiring (digest.scheduler) log under one name.
log = logging.getLogger("digest.schedule")


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
            spec = parse_schedule(schedule.send)
            self._draft_if_due(lst, schedule, spec, now)
            if schedule.local_time:
                self._send_waves_if_due(lst, schedule, spec, now)
            else:
                self._send_if_due(lst, schedule, spec, now)

    def _draft_if_due(
        self, lst: ListSettings, schedule: ScheduleSettings, spec: Schedule, now: datetime
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
        spec: Schedule,
        send_at: datetime,
        now: datetime,
    ) -> bool:
        """Whether the send before send_at may still go out (its time, or its last wave, plus
        the grace, is yet to pass) and its issue is not composed and frozen. A draft composed
        then would take the articles that issue is due to carry: with local-time delivery a
        daily list's next draft comes before today's last waves."""
        previous = previous_time(spec, lst.timezone, send_at - timedelta(microseconds=1))
        last = wave_window(spec, lst.timezone, previous)[1] if schedule.local_time else previous
        if now > last + timedelta(hours=schedule.grace_hours):
            return False
        start, _end = period_of(lst, previous)
        with self.rt.sessions() as session:
            issue = session.scalar(issues_of(lst.slug).where(Issue.period_start == start))
            return issue is None or issue.status == IssueStatus.DRAFT

    def _send_if_due(
        self, lst: ListSettings, schedule: ScheduleSettings, spec: Schedule, now: datetime
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
        self, lst: ListSettings, schedule: ScheduleSettings, spec: Schedule, now: datetime
    ) -> None:
        """Local-time delivery: each wave (the zones reaching the send time at one moment) is
        a send of its own, claimed, graced and recorded like one. Its claim names the send's
        day (job "send mon"), and its time when the list sends more than once a day: two
        sends' waves can fall on the same moment."""
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
            job = wave_job(lst, spec, anchor)
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
                turned_away = self._send(
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
                if turned_away:
                    # The next wave would take back the rows just put back and be turned away
                    # at once: the waves left wait for the next tick (within their grace).
                    return
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
    ) -> bool:
        """Claim the send for its scheduled time; if won, collect, send and record how it went.
        Whether the server turned the send away (it could not take mail, or refused the
        sender): another send now would fare no better."""
        run_id = claim(self.rt.sessions, slug, job, scheduled_for, now)
        if run_id is None:
            return False
        log.info(
            "sending %s (%s)",
            slug,
            reason,
            extra={"list": slug, "job": job, "scheduled_for": scheduled_for.isoformat()},
        )
        if collect:
            self._collect(now)
        outcome, detail = RunOutcome.FAILED, "unexpected error"
        turned_away = False
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
            turned_away = isinstance(exc, ServerUnavailable | SenderRefused)
        finally:
            finish(self.rt.sessions, run_id, outcome, detail, now)
            _log_outcome(slug, job, scheduled_for, outcome, detail)
        return turned_away

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
