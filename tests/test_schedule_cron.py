"""Lists on cron schedules: the config error naming the field, `digest schedule`'s next three
runs, and a weekday schedule sending on its own on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from digest import pipeline
from digest.models import Issue
from digest.schedule_runs import recent_runs
from digest.scheduled_jobs import ScheduledJobs
from tests.cli_runner import run_digest
from tests.test_schedule import SOURCES, scheduled_list


def test_a_bad_cron_field_is_named_in_one_line_with_a_hint(write_config) -> None:  # type: ignore[no-untyped-def]
    settings = write_config({"lists": [scheduled_list()]})
    path = settings.config_path
    path.write_text(path.read_text().replace("mon 07:00", "0 7 * * MON-FUNDAY"))
    result = run_digest(["--config", str(path), "schedule"])
    assert result.returncode == 1
    first, hint = result.stderr.strip().splitlines()
    assert first.startswith(f"error: {path}: lists[0].schedule.send: day_of_week: ")
    assert "'funday'" in first and "(got '0 7 * * MON-FUNDAY')" in first
    assert hint.startswith("hint: ")


def test_digest_schedule_lists_the_next_three_runs_of_each_job(write_config) -> None:  # type: ignore[no-untyped-def]
    weekdays = scheduled_list(send="0 7 * * MON-FRI") | {"timezone": "Europe/Paris"}
    settings = write_config({"lists": [weekdays]})
    # Thursday 25 March 2027, 12:00 UTC; Paris moves to summer time on Sunday the 28th.
    now = "2027-03-25T12:00+00:00"
    result = run_digest(
        ["--config", str(settings.config_path), "--now", now, "schedule"], env={"COLUMNS": "160"}
    )
    assert result.returncode == 0, result.stderr
    rows = [line for line in result.stdout.splitlines() if "(Europe/Paris)" in line]
    assert len(rows) == 9  # collect, draft and send, three runs each
    expected = [
        # collect: hourly slots
        "Thu 2027-03-25 13:00 UTC",
        "Thu 2027-03-25 14:00 UTC",
        "Thu 2027-03-25 15:00 UTC",
        # draft: 12 hours before each send
        "Thu 2027-03-25 18:00 UTC",
        "Sun 2027-03-28 17:00 UTC",
        "Mon 2027-03-29 17:00 UTC",
        # send: 07:00 in Paris, CET then CEST, never at the weekend
        "Fri 2027-03-26 06:00 UTC",
        "Mon 2027-03-29 05:00 UTC",
        "Tue 2027-03-30 05:00 UTC",
    ]
    for row, moment in zip(rows, expected, strict=True):
        assert moment in row, (moment, row)
    assert "Mon 2027-03-29 07:00 CEST" in rows[7]
    named = [job for job in ("collect", "draft", "send") for row in rows if f" {job} " in row]
    assert named == ["collect", "draft", "send"]  # each job named once, on its first run


def test_a_weekday_schedule_sends_on_tuesday_for_the_day_since_monday(write_config) -> None:  # type: ignore[no-untyped-def]
    settings = write_config({"sources": SOURCES, "lists": [scheduled_list(send="0 7 * * MON-FRI")]})
    monday, tuesday = datetime(2026, 11, 23, 7, tzinfo=UTC), datetime(2026, 11, 24, 7, tzinfo=UTC)
    with pipeline.runtime(settings, tuesday) as rt:
        ScheduledJobs(rt).tick(tuesday + timedelta(seconds=30))
        ScheduledJobs(rt).tick(tuesday + timedelta(minutes=1))
        sends = [
            (r.scheduled_for, r.outcome)
            for r in recent_runs(rt.sessions, "weekly")
            if r.job == "send"
        ]
        assert sends == [(tuesday, "done")]
        with rt.sessions() as session:
            [issue] = session.scalars(select(Issue))
            assert (issue.period_start, issue.period_end) == (monday, tuesday)
