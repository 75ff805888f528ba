"""The scheduler's jobs on a real database: claim rows, missed runs, nothing new, drafts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from digest import pipeline
from digest.config import Settings
from digest.errors import ConfigError
from digest.models import Delivery, Issue, ScheduleRun
from digest.schedule import collect_slot, plan
from digest.schedule_runs import claim, last_scheduled, recent_runs
from digest.scheduled_jobs import ScheduledJobs
from subscribers.models import Subscriber
from tests.conftest import SAMPLES
from tests.servers import FixtureSMTPServer

SEND_AT = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # "mon 07:00" in UTC, a Monday
SOURCES = [
    {
        "name": "Maghreb Dispatch",
        "file": str(SAMPLES / "feeds" / "northern-africa.xml"),
        "region": "Northern Africa",
    },
    {
        "name": "Sahel & Coast",
        "file": str(SAMPLES / "feeds" / "west-africa.atom"),
        "region": "West Africa",
    },
]


def scheduled_list(**schedule: object) -> dict[str, object]:
    return {
        "slug": "weekly",
        "name": "The Weekly",
        "timezone": "UTC",
        "demo_subscribers": ["reader@example.org", "second@example.org"],
        "schedule": {"send": "mon 07:00", **schedule},
    }


@pytest.fixture
def settings(write_config) -> Settings:  # type: ignore[no-untyped-def]
    return write_config({"sources": SOURCES, "lists": [scheduled_list()]})


@pytest.fixture
def rt(settings: Settings) -> Iterator[pipeline.Runtime]:
    with pipeline.runtime(settings, SEND_AT) as runtime:
        yield runtime


def runs(rt: pipeline.Runtime, job: str) -> list[tuple[datetime, str, str]]:
    return [
        (r.scheduled_for, r.outcome, r.detail)
        for r in recent_runs(rt.sessions, "weekly")
        if r.job == job
    ]


def test_two_claims_for_the_same_slot_one_wins(rt: pipeline.Runtime) -> None:
    first = claim(rt.sessions, "weekly", "send", SEND_AT, SEND_AT)
    second = claim(rt.sessions, "weekly", "send", SEND_AT, SEND_AT)
    assert first is not None and second is None
    assert claim(rt.sessions, "weekly", "draft", SEND_AT, SEND_AT) is not None
    assert last_scheduled(rt.sessions, "weekly", "send") == SEND_AT


def test_two_services_ticking_at_send_time_send_one_issue_once(
    settings: Settings, rt: pipeline.Runtime
) -> None:
    with pipeline.runtime(settings, SEND_AT) as other:
        for jobs in (ScheduledJobs(rt), ScheduledJobs(other)):
            jobs.tick(SEND_AT + timedelta(seconds=5))
    [(when, outcome, detail)] = runs(rt, "send")
    assert (when, outcome) == (SEND_AT, "done")
    assert "2 sent" in detail
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Issue)) == 1
        assert session.scalar(select(func.count()).select_from(Delivery)) == 2
        assert session.scalar(select(Issue.status)) == "sent"
    # The next tick, in this process or after a restart, finds the send done.
    ScheduledJobs(rt).tick(SEND_AT + timedelta(minutes=1))
    assert len(runs(rt, "send")) == 1


def test_a_send_missed_beyond_the_grace_is_recorded_skipped_and_not_sent(
    rt: pipeline.Runtime,
) -> None:
    ScheduledJobs(rt).tick(SEND_AT + timedelta(hours=7))
    [(when, outcome, detail)] = runs(rt, "send")
    assert (when, outcome) == (SEND_AT, "skipped")
    assert "beyond the grace of 6:00:00" in detail
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Issue)) == 0


def test_a_send_missed_within_the_grace_happens_on_start_once(rt: pipeline.Runtime) -> None:
    ScheduledJobs(rt).tick(SEND_AT + timedelta(hours=5))
    ScheduledJobs(rt).tick(SEND_AT + timedelta(hours=5, minutes=1))
    [(when, outcome, _detail)] = runs(rt, "send")
    assert (when, outcome) == (SEND_AT, "done")


def test_no_new_articles_means_no_send_and_says_so(write_config) -> None:  # type: ignore[no-untyped-def]
    settings = write_config({"sources": [], "lists": [scheduled_list()]})
    with pipeline.runtime(settings, SEND_AT) as rt:
        ScheduledJobs(rt).tick(SEND_AT)
        [(_when, outcome, detail)] = runs(rt, "send")
        with rt.sessions() as session:
            assert session.scalar(select(func.count()).select_from(Issue)) == 0
    assert outcome == "nothing-new"
    assert detail == "no new articles since the last issue, no send"


def test_the_draft_is_composed_before_the_send_for_the_send_s_period(rt: pipeline.Runtime) -> None:
    draft_at = SEND_AT - timedelta(hours=12)  # Sunday 19:00, the week before the send's
    ScheduledJobs(rt).tick(draft_at + timedelta(seconds=1))
    [(when, outcome, detail)] = runs(rt, "draft")
    assert (when, outcome) == (draft_at, "done")
    assert "draft" in detail
    # Last week's send, missed before this first start, is recorded skipped; this one waits.
    assert [o for w, o, _ in runs(rt, "send")] == ["skipped"]
    assert all(w < SEND_AT for w, _, _ in runs(rt, "send"))
    with rt.sessions() as session:
        issue = session.scalars(select(Issue)).one()
        # The issue covers the week since the previous scheduled send, up to this send.
        assert (issue.status, issue.period_start, issue.period_end) == (
            "draft",
            SEND_AT - timedelta(days=7),
            SEND_AT,
        )


def test_collect_runs_once_per_slot(rt: pipeline.Runtime, settings: Settings) -> None:
    with pipeline.runtime(settings, SEND_AT) as other:
        ScheduledJobs(rt).collect_if_due(SEND_AT)
        ScheduledJobs(other).collect_if_due(SEND_AT + timedelta(minutes=1))
    collects = [r for r in recent_runs(rt.sessions, "*") if r.job == "collect"]
    assert [(r.scheduled_for, r.outcome) for r in collects] == [(SEND_AT, "done")]
    assert "12 new article(s)" in collects[0].detail
    assert collect_slot(SEND_AT + timedelta(minutes=59), timedelta(hours=1)) == SEND_AT


def test_plan_gives_the_next_collect_draft_and_send(settings: Settings) -> None:
    now = SEND_AT + timedelta(minutes=30)
    [planned] = plan(settings, now)
    assert planned.next_collect == SEND_AT + timedelta(hours=1)
    assert planned.next_send == SEND_AT + timedelta(days=7)
    assert planned.next_draft == SEND_AT + timedelta(days=7, hours=-12)


def test_a_bad_send_time_fails_at_start_with_its_key_path(write_config) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as caught:
        write_config({"lists": [scheduled_list(send="monday at seven")]})
    assert "lists[0].schedule.send" in caught.value.message
    assert "expected a day and a time" in caught.value.message


def test_digest_schedule_prints_the_next_times_in_the_list_s_zone_and_in_utc(
    write_config,  # type: ignore[no-untyped-def]
) -> None:
    from click.testing import CliRunner

    from digest.cli import cli

    casablanca = {**scheduled_list(), "timezone": "Africa/Casablanca"}
    settings = write_config({"lists": [casablanca]})
    result = CliRunner().invoke(
        cli,
        ["--config", str(settings.config_path), "--now", "2026-11-23T08:00+00:00", "schedule"],
        env={"COLUMNS": "160"},
    )
    assert result.exit_code == 0, result.output
    [send] = [line for line in result.output.splitlines() if " send " in line]
    # 07:00 in Casablanca (UTC+1) is 06:00 UTC.
    assert "Mon 2026-11-30 07:00 +01" in send and "Mon 2026-11-30 06:00 UTC" in send
    [draft] = [line for line in result.output.splitlines() if " draft " in line]
    assert "Sun 2026-11-29 19:00 +01" in draft
    assert "collect" in result.output


@pytest.fixture
def local_time_rt(write_config) -> Iterator[pipeline.Runtime]:  # type: ignore[no-untyped-def]
    """A list sending "mon 07:00" (UTC) at each reader's local time: one reader in Tokyo
    (UTC+9), one in New York (UTC-5) and one with no zone of their own (the list's)."""
    readers = ["tokyo@example.org", "newyork@example.org", "nozone@example.org"]
    lst = scheduled_list(local_time=True) | {"demo_subscribers": readers}
    settings = write_config({"sources": SOURCES, "lists": [lst]})
    with pipeline.runtime(settings, SEND_AT) as runtime:
        with runtime.sessions.begin() as session:
            for email, zone in [
                ("tokyo@example.org", "Asia/Tokyo"),
                ("newyork@example.org", "America/New_York"),
            ]:
                session.execute(
                    update(Subscriber).where(Subscriber.email == email).values(timezone=zone)
                )
        yield runtime


def delivered(rt: pipeline.Runtime) -> list[str]:
    with rt.sessions() as session:
        return sorted(session.scalars(select(Delivery.email).where(Delivery.status == "sent")))


def test_local_time_delivery_sends_each_zone_its_wave_once(
    local_time_rt: pipeline.Runtime,
) -> None:
    rt = local_time_rt
    tokyo_wave = datetime(2026, 11, 22, 22, 0, tzinfo=UTC)  # Monday 07:00 in Tokyo
    newyork_wave = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)  # Monday 07:00 in New York
    # The draft comes 12 h before the first place on Earth (UTC+14) reaches Monday 07:00.
    ScheduledJobs(rt).tick(datetime(2026, 11, 22, 5, 0, 1, tzinfo=UTC))
    assert [o for _w, o, _d in runs(rt, "draft")] == ["done"]
    ScheduledJobs(rt).tick(tokyo_wave - timedelta(seconds=1))
    assert delivered(rt) == []
    for now in (tokyo_wave, tokyo_wave + timedelta(minutes=1)):
        ScheduledJobs(rt).tick(now)
    assert delivered(rt) == ["tokyo@example.org"]
    ScheduledJobs(rt).tick(SEND_AT + timedelta(seconds=30))
    assert delivered(rt) == ["nozone@example.org", "tokyo@example.org"]
    for now in (newyork_wave, newyork_wave + timedelta(hours=1)):
        ScheduledJobs(rt).tick(now)
    assert delivered(rt) == ["newyork@example.org", "nozone@example.org", "tokyo@example.org"]
    sends = sorted((w, o) for w, o, _d in runs(rt, "send mon"))
    assert sends == [(tokyo_wave, "done"), (SEND_AT, "done"), (newyork_wave, "done")]
    with rt.sessions() as session:
        [issue] = session.scalars(select(Issue))
        assert issue.status == "sent"
        assert issue.sent_at == tokyo_wave  # when it first went out
        assert session.scalar(select(func.count()).select_from(Delivery)) == 3


def test_a_wave_missed_beyond_the_grace_is_skipped_the_later_ones_go(
    local_time_rt: pipeline.Runtime,
) -> None:
    rt = local_time_rt
    # The service starts at 07:00 UTC: Tokyo's wave (9 h ago) is beyond the 6 h grace.
    ScheduledJobs(rt).tick(SEND_AT + timedelta(seconds=30))
    assert delivered(rt) == ["nozone@example.org"]
    outcomes = {w: (o, d) for w, o, d in runs(rt, "send mon")}
    outcome, detail = outcomes[datetime(2026, 11, 22, 22, 0, tzinfo=UTC)]
    assert outcome == "skipped"
    assert "beyond the grace of 6:00:00" in detail
    ScheduledJobs(rt).tick(datetime(2026, 11, 23, 12, 0, 30, tzinfo=UTC))
    assert delivered(rt) == ["newyork@example.org", "nozone@example.org"]


def test_a_server_that_cannot_take_mail_leaves_the_later_waves_of_the_tick_for_the_next(
    write_config,  # type: ignore[no-untyped-def]
    smtp_server: FixtureSMTPServer,
) -> None:
    # Two waves due in one tick (Tokyo's 9 h late, within a 12 h grace, and the list's own):
    # once the first finds the server busy, the second is neither claimed nor sent in that tick
    # (it would only take back the rows just put back and be turned away at once); it goes at
    # the next tick, once the server takes mail.
    readers = ["tokyo@example.org", "nozone@example.org"]
    lst = scheduled_list(local_time=True, grace_hours=12) | {"demo_subscribers": readers}
    smtp = {"host": "127.0.0.1", "port": smtp_server.port, "security": "none", "pool_size": 1}
    settings = write_config(
        {"sources": SOURCES, "lists": [lst], "delivery": {"transport": "smtp", "smtp": smtp}}
    )
    tokyo_wave = datetime(2026, 11, 22, 22, 0, tzinfo=UTC)
    with pipeline.runtime(settings, SEND_AT) as rt:
        with rt.sessions.begin() as session:
            session.execute(
                update(Subscriber)
                .where(Subscriber.email == "tokyo@example.org")
                .values(timezone="Asia/Tokyo")
            )
        smtp_server.handler.busy = "421 4.7.0 Too many connections, try again later"
        ScheduledJobs(rt).tick(SEND_AT + timedelta(seconds=30))
        assert smtp_server.handler.greetings_refused == 1
        [(when, outcome, detail)] = runs(rt, "send mon")
        assert (when, outcome) == (tokyo_wave, "failed") and "421" in detail, detail
        assert delivered(rt) == []

        smtp_server.handler.busy = None
        ScheduledJobs(rt).tick(SEND_AT + timedelta(minutes=1))
        sends = sorted((w, o) for w, o, _d in runs(rt, "send mon"))
        assert sends == [(tokyo_wave, "failed"), (SEND_AT, "done")]
        assert delivered(rt) == ["nozone@example.org", "tokyo@example.org"]


def test_plan_of_a_local_time_list_drafts_before_the_first_zone(
    local_time_rt: pipeline.Runtime,
) -> None:
    [planned] = plan(local_time_rt.settings, SEND_AT - timedelta(days=3))
    assert planned.next_send == SEND_AT
    assert planned.next_draft == datetime(2026, 11, 22, 5, 0, tzinfo=UTC)


def test_digest_schedule_shows_the_waves_of_a_local_time_list(write_config) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from digest.cli import cli

    settings = write_config({"lists": [scheduled_list(local_time=True)]})
    result = CliRunner().invoke(
        cli,
        ["--config", str(settings.config_path), "--now", "2026-11-23T08:00+00:00", "schedule"],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    [first] = [line for line in lines if "first zone" in line]
    [last] = [line for line in lines if "last zone" in line]
    # Monday 07:00 comes first at UTC+14 (Sunday 17:00 UTC), last at UTC-12 (Monday 19:00).
    assert "Sun 2026-11-29 17:00 UTC" in first
    assert "Mon 2026-11-30 19:00 UTC" in last
    [draft] = [line for line in lines if " draft " in line]
    assert "Sun 2026-11-29 05:00 UTC" in draft


def test_a_run_left_running_by_a_dead_process_is_marked_interrupted(
    rt: pipeline.Runtime,
) -> None:
    import socket
    import subprocess
    import sys

    from digest.schedule_runs import worker_name
    from digest.scheduler import Scheduler

    finished = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = f"{socket.gethostname()}:{finished.stdout.strip()}"
    for slug, claimed_by, claimed_at in [
        ("dead-here", dead, SEND_AT),
        ("elsewhere-recent", "other-host:42", SEND_AT),
        ("elsewhere-old", "other-host:43", SEND_AT - timedelta(hours=25)),
        ("ours", worker_name(), SEND_AT - timedelta(hours=25)),
    ]:
        with rt.sessions.begin() as session:
            session.add(
                ScheduleRun(
                    list_slug=slug,
                    job="send",
                    scheduled_for=SEND_AT,
                    claimed_by=claimed_by,
                    claimed_at=claimed_at,
                )
            )
    scheduler = Scheduler(ScheduledJobs(rt), clock=lambda: SEND_AT + timedelta(minutes=1))
    scheduler.start()
    scheduler.shutdown()
    with rt.sessions() as session:
        rows = session.execute(select(ScheduleRun.list_slug, ScheduleRun.outcome)).all()
    # (The scheduler also ran its own collect and tick on start: those rows are not ours.)
    outcomes = {slug: outcome for slug, outcome in rows if slug not in ("*", "weekly")}
    assert outcomes == {
        "dead-here": "interrupted",
        "elsewhere-recent": "running",
        "elsewhere-old": "interrupted",
        "ours": "running",
    }


def test_the_delivery_worker_never_sends_a_wave_before_its_time(
    local_time_rt: pipeline.Runtime,
) -> None:
    rt = local_time_rt
    tokyo_wave = datetime(2026, 11, 22, 22, 0, tzinfo=UTC)
    ScheduledJobs(rt).tick(tokyo_wave)
    assert delivered(rt) == ["tokyo@example.org"]
    # As after a greylisting 4xx: Tokyo's row deferred, so the issue is still sending.
    with rt.sessions.begin() as session:
        session.execute(
            update(Delivery).values(status="deferred", next_attempt_at=tokyo_wave, sent_at=None)
        )
        session.execute(update(Issue).values(status="sending"))
    pipeline.deliver_pending(rt, tokyo_wave + timedelta(minutes=1))
    assert delivered(rt) == ["tokyo@example.org"]  # New York's and the list's zone wait
    with rt.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Delivery)) == 1


def test_two_sends_whose_waves_meet_at_one_moment_each_keep_their_own(
    write_config,  # type: ignore[no-untyped-def]
) -> None:
    # A daily list: Honolulu (UTC-10) reaches Monday 07:00 when Kiritimati (UTC+14) reaches
    # Tuesday 07:00 — both at Monday 17:00 UTC, for two different sends.
    readers = ["honolulu@example.org", "kiritimati@example.org"]
    lst = scheduled_list(send="mon,tue 07:00", local_time=True) | {"demo_subscribers": readers}
    settings = write_config({"sources": SOURCES, "lists": [lst]})
    meeting = datetime(2026, 11, 23, 17, 0, tzinfo=UTC)
    with pipeline.runtime(settings, meeting) as rt:
        with rt.sessions.begin() as session:
            for email, zone in [
                ("honolulu@example.org", "Pacific/Honolulu"),
                ("kiritimati@example.org", "Pacific/Kiritimati"),
            ]:
                session.execute(
                    update(Subscriber).where(Subscriber.email == email).values(timezone=zone)
                )
        ScheduledJobs(rt).tick(meeting + timedelta(seconds=30))
        ran = {
            (r.job, r.scheduled_for): r.outcome
            for r in recent_runs(rt.sessions, "weekly", limit=50)
        }
        # Monday's issue goes to Honolulu with the articles; Tuesday's has nothing new yet.
        assert ran[("send mon", meeting)] == "done"
        assert ran[("send tue", meeting)] == "nothing-new"
        assert delivered(rt) == ["honolulu@example.org"]
        # Tuesday's draft waited for Monday's issue instead of taking its articles.
        assert "draft" not in {job for job, _when in ran}
