"""Claim rows for scheduled jobs: one process runs a (list, job, time); outcomes are kept."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from digest import db
from digest.models import ScheduleRun
from digest.states import RunOutcome

ALL_LISTS = "*"  # list_slug of jobs that concern every list (collect)


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(
    sessions: sessionmaker[Session],
    list_slug: str,
    job: str,
    scheduled_for: datetime,
    now: datetime,
    *,
    outcome: RunOutcome = RunOutcome.RUNNING,
    detail: str = "",
) -> int | None:
    """Insert the claim row; its id if this process won it, None if another already has it."""
    row = ScheduleRun(
        list_slug=list_slug,
        job=job,
        scheduled_for=scheduled_for,
        outcome=outcome,
        detail=detail,
        claimed_by=worker_name(),
        claimed_at=now,
        finished_at=None if outcome == RunOutcome.RUNNING else now,
    )
    try:
        with db.transaction(sessions) as session:
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None  # the unique key: someone else runs (or ran) this job for this time


def process_gone(claimed_by: str) -> bool:
    """Whether the process named host:pid is known to have ended: only a process of this
    host can be checked; one elsewhere counts as gone only by age (see reap_stale)."""
    host, _, pid = claimed_by.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # it exists, under another user
    return False


def reap_stale(sessions: sessionmaker[Session], now: datetime, max_age: timedelta) -> list[int]:
    """Mark interrupted the runs still "running" whose process is gone (it crashed or was
    killed): of this host, when its pid no longer exists; of any host, after max_age. A send
    interrupted so is finished by the delivery worker from its outbox rows."""
    reaped = []
    with db.transaction(sessions) as session:
        running = session.scalars(
            select(ScheduleRun).where(ScheduleRun.outcome == RunOutcome.RUNNING)
        )
        for run in running:
            if run.claimed_by == worker_name():
                continue
            if process_gone(run.claimed_by) or now - run.claimed_at > max_age:
                run.outcome = RunOutcome.INTERRUPTED
                run.detail = (
                    f"the process that ran it ({run.claimed_by}) ended before it finished; "
                    "an interrupted send is finished by the delivery worker"
                )
                run.finished_at = now
                reaped.append(run.id)
    return reaped


def finish(
    sessions: sessionmaker[Session], run_id: int, outcome: RunOutcome, detail: str, now: datetime
) -> None:
    """Record how a claimed job ended."""
    with db.transaction(sessions) as session:
        session.execute(
            update(ScheduleRun)
            .where(ScheduleRun.id == run_id)
            .values(outcome=outcome, detail=detail, finished_at=now)
        )


def last_scheduled(sessions: sessionmaker[Session], list_slug: str, job: str) -> datetime | None:
    """The latest scheduled time claimed for this job, whatever its outcome."""
    with sessions() as session:
        return session.scalar(
            select(func.max(ScheduleRun.scheduled_for)).where(
                ScheduleRun.list_slug == list_slug, ScheduleRun.job == job
            )
        )


def claimed_since(
    sessions: sessionmaker[Session], list_slug: str, job: str, since: datetime
) -> set[datetime]:
    """The scheduled times claimed for this job from since on, whatever their outcome."""
    with sessions() as session:
        return set(
            session.scalars(
                select(ScheduleRun.scheduled_for).where(
                    ScheduleRun.list_slug == list_slug,
                    ScheduleRun.job == job,
                    ScheduleRun.scheduled_for >= since,
                )
            )
        )


@dataclass(frozen=True)
class RunRecord:
    job: str
    scheduled_for: datetime
    outcome: str
    detail: str
    claimed_by: str
    finished_at: datetime | None


def recent_runs(
    sessions: sessionmaker[Session], list_slug: str, limit: int = 10
) -> list[RunRecord]:
    """The latest drafts and sends of a list, newest first."""
    with sessions() as session:
        rows = session.scalars(
            select(ScheduleRun)
            .where(ScheduleRun.list_slug == list_slug)
            .order_by(ScheduleRun.scheduled_for.desc(), ScheduleRun.id.desc())
            .limit(limit)
        )
        return [
            RunRecord(r.job, r.scheduled_for, r.outcome, r.detail, r.claimed_by, r.finished_at)
            for r in rows
        ]
