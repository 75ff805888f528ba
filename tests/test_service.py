"""`digest serve` as a real process: it collects, drafts and sends on schedule, then stops
cleanly on SIGTERM; two of them against one PostgreSQL send once."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, func, select, text

from digest.cadence import DAYS
from digest.models import Delivery, Issue
from tests.cli_runner import run_digest
from tests.servers import FixtureHTTPServer, FixtureSMTPServer

DIGEST = str(Path(sys.executable).parent / "digest")
ZONE = "Africa/Casablanca"
READERS = ["amal@example.org", "kwame@example.org", "sofia@example.org"]
# The service's clock starts this long before the send time: longer than the service takes to
# start on a loaded machine, or its first tick comes after the send time, the draft is missed
# (the send composes the issue itself) and the draft's "done" is never logged.
LEAD_SECONDS = 12.0


def send_time() -> datetime:
    """A whole minute a while from now: the service's clock is moved to just before it."""
    return (datetime.now(UTC) + timedelta(minutes=2)).replace(second=0, microsecond=0)


def config_for(
    write_config,  # type: ignore[no-untyped-def]
    http_server: FixtureHTTPServer,
    smtp_server: FixtureSMTPServer,
    send_at: datetime,
    readers: list[str] = READERS,
    delivery: dict[str, object] | None = None,
) -> Path:
    local = send_at.astimezone(ZoneInfo(ZONE))
    settings = write_config(
        {
            "sources": [
                {
                    "name": "Maghreb Dispatch",
                    "url": http_server.url("/feeds/northern-africa.xml"),
                    "region": "Northern Africa",
                },
                {
                    "name": "Sahel & Coast",
                    "url": http_server.url("/feeds/west-africa.atom"),
                    "region": "West Africa",
                },
            ],
            "lists": [
                {
                    "slug": "weekly",
                    "name": "The Weekly",
                    "timezone": ZONE,
                    "demo_subscribers": readers,
                    "schedule": {"send": f"{DAYS[local.weekday()]} {local:%H:%M}"},
                }
            ],
            "delivery": {
                "transport": "smtp",
                "smtp": {"host": "127.0.0.1", "port": smtp_server.port, "security": "none"},
                **(delivery or {}),
            },
            "service": {
                "tick_seconds": 0.5,
                "worker_interval_seconds": 0.5,
                "shutdown_grace_seconds": 10,
            },
        }
    )
    return settings.config_path


def start_service(
    config: Path, send_at: datetime, lead: float = LEAD_SECONDS
) -> subprocess.Popen[str]:
    offset = (send_at - timedelta(seconds=lead) - datetime.now(UTC)).total_seconds()
    environ = {k: v for k, v in os.environ.items() if not k.startswith("DIGEST_")}
    return subprocess.Popen(
        [
            DIGEST,
            "--config",
            str(config),
            "serve",
            "--no-web",
            "--log-json",
            "--clock-offset",
            str(offset),
        ],
        cwd=config.parent,
        env=environ,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, seconds: float, processes: list[subprocess.Popen[str]]) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        for process in processes:
            assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def send_finished(database_url: str) -> bool:
    """Whether a scheduled send has recorded its outcome (its run is no longer "running")."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            outcome = connection.execute(
                text("SELECT outcome FROM schedule_runs WHERE job = 'send'")
            ).scalar()
    except Exception:  # the service has not created the tables yet
        return False
    finally:
        engine.dispose()
    return outcome is not None and outcome != "running"


def stop(process: subprocess.Popen[str]) -> tuple[int, list[dict[str, object]]]:
    """SIGTERM, then the exit status and the JSON log lines; it must exit within the grace."""
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    _stdout, stderr = process.communicate(timeout=15)
    assert time.monotonic() - started < 10, "did not stop within the grace"
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    assert len(lines) == len([line for line in stderr.splitlines() if line.strip()]), stderr
    return process.returncode, lines


def test_serve_collects_drafts_and_sends_on_schedule_then_stops_on_sigterm(
    write_config,  # type: ignore[no-untyped-def]
    http_server: FixtureHTTPServer,
    smtp_server: FixtureSMTPServer,
    database_url: str,
) -> None:
    send_at = send_time()
    config = config_for(write_config, http_server, smtp_server, send_at)
    service = start_service(config, send_at)
    try:
        # The mails arrive a moment before the send records how it went: wait for both, so the
        # SIGTERM finds the send done rather than interrupting its bookkeeping.
        wait_for(
            lambda: (
                len(smtp_server.handler.received) >= len(READERS) and send_finished(database_url)
            ),
            60,
            [service],
        )
    finally:
        if service.poll() is None:
            status, lines = stop(service)
    assert status == 0
    assert sorted(smtp_server.handler.counts()) == READERS
    assert set(smtp_server.handler.counts().values()) == {1}
    events = {(line.get("job"), line.get("outcome")): line for line in lines}
    assert events[("draft", "done")]["list"] == "weekly"
    assert events[("send", "done")]["scheduled_for"] == send_at.isoformat()
    # The scheduled send and the service's delivery worker share the send: under load the
    # worker may take the rows first and the send report "0 sent". Together, three.
    delivered = [events[("send", "done")]] + [
        line for line in lines if str(line["message"]).startswith("delivered ")
    ]
    assert sum(int(re.search(r"(\d+) sent", str(line["message"]))[1]) for line in delivered) == 3
    assert any(line["message"] == "SIGTERM: stopping after the work in flight" for line in lines)
    assert lines[-1]["message"] == "stopped"
    assert any(http_server.requests)

    status = run_digest(["--config", str(config), "status"], cwd=config.parent)
    assert status.returncode == 0, status.stderr
    status_out = status.stdout
    assert "schedule" in status_out and "done" in status_out


def test_a_send_stopped_by_sigterm_completes_after_a_restart_once(
    write_config,  # type: ignore[no-untyped-def]
    http_server: FixtureHTTPServer,
    smtp_server: FixtureSMTPServer,
    database_url: str,
) -> None:
    readers = [f"reader{n:02}@example.org" for n in range(12)]
    send_at = send_time()
    config = config_for(
        write_config,
        http_server,
        smtp_server,
        send_at,
        readers,
        delivery={"rate_limit_per_second": 3, "batch_size": 2},
    )
    first = start_service(config, send_at)
    try:
        wait_for(lambda: len(smtp_server.handler.received) >= 2, 60, [first])
    finally:
        status, lines = stop(first)
    assert status == 0
    sent_before_restart = len(smtp_server.handler.received)
    assert sent_before_restart < len(readers)
    assert any(line.get("outcome") == "interrupted" for line in lines), lines

    # Restarted a little later, within the grace: the worker finishes the send; no new send.
    second = start_service(config, send_at, lead=-10)
    try:
        wait_for(lambda: len(smtp_server.handler.received) >= len(readers), 60, [second])
        time.sleep(1)
    finally:
        status, lines = stop(second)
    assert status == 0
    assert smtp_server.handler.counts() == {reader: 1 for reader in readers}
    assert not any(line.get("job") == "send" for line in lines), lines


@pytest.mark.postgres
def test_two_services_on_one_postgresql_send_one_issue_once(
    write_config,  # type: ignore[no-untyped-def]
    http_server: FixtureHTTPServer,
    smtp_server: FixtureSMTPServer,
    database_url: str,
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip(
            "two services share one database only on PostgreSQL: "
            "set DIGEST_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
    send_at = send_time()
    config = config_for(write_config, http_server, smtp_server, send_at)
    # Migrate once first, as `digest db upgrade` would, so the two start on the same schema.
    upgraded = run_digest(["--config", str(config), "db", "upgrade"], cwd=config.parent)
    assert upgraded.returncode == 0, upgraded.stderr
    services = [start_service(config, send_at) for _ in range(2)]
    try:
        wait_for(lambda: len(smtp_server.handler.received) >= len(READERS), 30, services)
        time.sleep(2)  # room for a second send, were there one
    finally:
        results = [stop(s) for s in services if s.poll() is None]
    assert [status for status, _lines in results] == [0, 0]
    assert smtp_server.handler.counts() == {reader: 1 for reader in READERS}
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            assert connection.scalar(select(func.count()).select_from(Issue.__table__)) == 1
            assert connection.scalar(select(func.count()).select_from(Delivery.__table__)) == len(
                READERS
            )
            sends = connection.execute(
                text(
                    "SELECT outcome, count(*) FROM schedule_runs WHERE job = 'send' "
                    "GROUP BY outcome"
                )
            ).all()
    finally:
        engine.dispose()
    assert ("done", 1) in [tuple(row) for row in sends]
