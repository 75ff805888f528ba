"""Claim rows for scheduled jobs: one process runs a (list, job, time); outcomes are kept."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from digest import db
from digest.models import ScheduleRun

ALL_LISTS = "*"  # list_slug of jobs that concern every list (collect)
OUTCOMES = ("running", "done", "nothing-new", "skipped", "failed", "interrupted")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claim(
    sessions: sessionmaker[Session],
    list_slug: str,
    job: str,
    scheduled_for: datetime,
    now: datetime,
    *,
    outcome: str = "running",
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
        finished_at=None if outcome == "running" else now,
    )
    try:
        with db.transaction(sessions) as session:
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        return None  # the unique key: someone else runs (or ran) this job for this time


def finish(
    sessions: sessionmaker[Session], run_id: int, outcome: str, detail: str, now: datetime
) -> None:
    """Record how a claimed job ended."""
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
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
