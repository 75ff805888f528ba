"""Heartbeats: a dead worker's rows are taken back within a minute, a live one's never; an idle
worker holds no SMTP connection and says truthfully where the rows it did not send stand."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from digest import db, pipeline
from digest.config import Settings, load_settings
from digest.config_sections import DeliverySettings, ServiceSettings
from digest.delivery import outbox
from digest.delivery.workers import Heartbeat
from digest.errors import ConfigError, DeliveryError
from digest.models import Delivery, Worker
from tests.delivery.scenario import (
    Processes,
    addresses,
    digest,
    finished,
    queued_issue,
    sample_send,
    smtp_config,
    states,
    wait_for_messages,
)
from tests.servers import Fault, FixtureSMTPServer


def test_a_dead_workers_rows_are_taken_back_within_a_minute_by_default() -> None:
    # Dead once its heartbeat is that old, then taken by another worker's next pass at worst.
    worst = DeliverySettings().worker_stale_seconds + ServiceSettings().worker_interval_seconds
    assert worst <= 60


def test_the_lease_setting_it_replaces_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("delivery:\n  lease_seconds: 300\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert "delivery.worker_stale_seconds" in caught.value.message
    assert "remove lease_seconds" in caught.value.message


def _heartbeat_test(write_config, smtp_server: FixtureSMTPServer, change) -> Heartbeat:  # type: ignore[no-untyped-def]
    """A heartbeat (60 s: its thread does not beat during the test) whose row `change` alters
    as another worker would find it, then one beat."""
    settings = write_config(smtp_config(smtp_server, max_articles=1))
    with pipeline.runtime(settings, db.utcnow()) as rt:
        heartbeat = Heartbeat(rt.engine, 60)
        heartbeat.start()
        try:
            heartbeat.hold()
            with db.claim_transaction(rt.engine) as session:
                session.execute(change(heartbeat.id))
            heartbeat.beat()
        finally:
            heartbeat.stop()
    return heartbeat


def test_a_heartbeat_found_stale_is_never_renewed_and_its_sender_holds_nothing(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # Stopped (Ctrl-Z, SIGSTOP, a paused VM) past its threshold, its rows may be another's.
    heartbeat = _heartbeat_test(
        write_config,
        smtp_server,
        lambda id: (
            update(Worker).where(Worker.id == id).values(heartbeat_at=Worker.heartbeat_at - 61)
        ),
    )
    assert heartbeat.lost
    with pytest.raises(DeliveryError, match="sends no more of them"):
        heartbeat.hold()


def test_a_heartbeat_whose_row_was_removed_is_lost_not_written_back(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # Without its row, its rows were anybody's to take meanwhile.
    heartbeat = _heartbeat_test(
        write_config, smtp_server, lambda id: delete(Worker).where(Worker.id == id)
    )
    assert heartbeat.lost
    with pytest.raises(DeliveryError):
        heartbeat.hold()


def test_a_fresh_heartbeat_is_renewed_and_holds(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    heartbeat = _heartbeat_test(
        write_config,
        smtp_server,
        lambda id: (
            update(Worker).where(Worker.id == id).values(heartbeat_at=Worker.heartbeat_at - 30)
        ),
    )
    assert not heartbeat.lost
    heartbeat.hold()


def _stopped_past_its_threshold(
    write_config,  # type: ignore[no-untyped-def]
    smtp_server: FixtureSMTPServer,
    processes: Processes,
    *command: str,
    queued: bool = True,
) -> tuple[Settings, list[str], subprocess.Popen[str]]:
    """A digest command sending 20 readers (one connection, one batch, 0.1 s a message at the
    server, a 2 s threshold), stopped (SIGSTOP) once 3 have arrived, left stopped 4.5 s.

    Not a 1 s threshold: the worker that takes the rows back beats every sixth of it, and on
    a loaded machine (CI beside other work) a beat came late by more than that, so that
    worker stopped as lost itself."""
    settings, emails = sample_send(
        write_config,
        smtp_server,
        20,
        queued=queued,
        pool_size=1,
        batch_size=20,
        worker_stale_seconds=2.0,
    )
    # Each message counted when its data ends, 0.1 s before its 250: the stop lands while the
    # sender waits for a reply, not in the commit after one, where it would hold SQLite's
    # write lock and the other worker could not start ("database is locked").
    smtp_server.handler.inject_at_random(
        seed=1, probability=1.0, faults=[Fault.stalled(0.1, keep=True)]
    )
    process = processes.start(settings.config_path, *command)
    wait_for_messages(process, smtp_server, 3)
    process.send_signal(signal.SIGSTOP)
    time.sleep(4.5)
    return settings, emails, process


def test_a_sender_stopped_past_its_threshold_sends_none_of_the_rows_taken_back_meanwhile(
    write_config, smtp_server: FixtureSMTPServer, processes: Processes
) -> None:
    # A `digest send` stopped (Ctrl-Z) with a batch claimed, a worker taking its rows back
    # meanwhile; once resumed (`fg`) it must not send them again: at most the one message in
    # flight on its connection goes twice.
    settings, emails, first = _stopped_past_its_threshold(
        write_config, smtp_server, processes, "send", queued=False
    )
    other = digest(settings.config_path, "worker", "--once")
    assert other.returncode == 0, other.stdout + other.stderr
    assert "Delivered to" in other.stdout, other.stdout
    first.send_signal(signal.SIGCONT)
    _out, err = first.communicate(timeout=60)

    counts = smtp_server.handler.counts()
    assert set(counts) == set(emails)
    assert sum(n - 1 for n in counts.values()) <= 1, counts
    assert first.returncode != 0
    assert "other workers may be sending" in err, err


def test_an_idle_worker_opens_no_connection_and_says_where_the_rows_are(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(smtp_config(smtp_server, max_articles=1))
    emails = addresses(6)
    now = db.utcnow()
    retry_at = (now + timedelta(hours=1)).replace(microsecond=0)
    # Another worker, alive, with its own connections.
    other_engine = db.make_engine(settings.database_url)
    other = Heartbeat(other_engine, settings.delivery.worker_stale_seconds)
    with pipeline.runtime(settings, now) as rt:
        queued_issue(rt, emails)
        # The other worker holds two rows; two were delivered, two are deferred.
        other.start()
        with db.claim_transaction(rt.engine) as session:
            held = outbox.claim_batch(session, 1, now, 2, other.id)
            rows = sorted(session.scalars(select(Delivery.id)))
            session.execute(
                update(Delivery).where(Delivery.id.in_(rows[2:4])).values(status="sent")
            )
            session.execute(
                update(Delivery)
                .where(Delivery.id.in_(rows[4:]))
                .values(status="deferred", next_attempt_at=retry_at)
            )
    try:
        assert [c.id for c in held] == rows[:2]
        before = smtp_server.connections

        idle = digest(settings.config_path, "worker", "--once")

        assert idle.returncode == 0, idle.stdout + idle.stderr
        assert smtp_server.connections == before, "an idle worker connected to the server"
        assert (
            "Nothing sent by this worker: 2 delivered, 2 being sent by another worker, "
            f"2 deferred (next retry {retry_at:%Y-%m-%d %H:%M:%S} UTC)."
        ) in idle.stdout, idle.stdout
        assert "already delivered" not in idle.stdout
    finally:
        other.stop()  # it stops cleanly: its rows are free at once
        other_engine.dispose()

    busy = digest(settings.config_path, "worker", "--once")

    assert busy.returncode == 0, busy.stdout + busy.stderr
    assert "Delivered to 2 recipient(s)" in busy.stdout, busy.stdout
    assert smtp_server.connections > before
    assert sorted(smtp_server.handler.counts()) == emails[:2]


STALE_SECONDS = 2.0
WORKERS = 3


def test_the_rows_of_a_killed_worker_are_sent_by_another_soon_after_its_heartbeat_stops(
    write_config, smtp_server: FixtureSMTPServer, processes: Processes
) -> None:
    # Each message takes 0.2 s at the server and each worker has one connection, so a batch
    # of 5 takes a second: when one of three workers is killed it holds a batch. Its rows are
    # taken back once its heartbeat is STALE_SECONDS old, not after a long lease.
    settings, emails = sample_send(
        write_config,
        smtp_server,
        60,
        pool_size=1,
        batch_size=5,
        worker_stale_seconds=STALE_SECONDS,
    )
    smtp_server.handler.inject_at_random(seed=2, probability=1.0, faults=[Fault.stalled(0.2)])

    workers = processes.workers(settings.config_path, WORKERS, "--interval", "0.5")
    victim = workers[0]
    held: list[str] = []
    deadline = time.monotonic() + 60
    with pipeline.runtime(settings, db.utcnow()) as rt:
        owner = f"%:{victim.pid}:%"
        while not held:  # wait until the victim holds a batch, then kill it
            assert time.monotonic() < deadline, "the first worker never claimed a batch"
            assert victim.poll() is None, victim.communicate()
            with rt.sessions() as session:
                mine = select(Delivery.email).where(
                    Delivery.worker_id.like(owner), Delivery.status == "sending"
                )
                if session.scalars(mine).first() is not None:
                    victim.send_signal(signal.SIGKILL)
                    killed_at = time.monotonic()
                    victim.communicate()
                    held = list(session.scalars(mine))
            time.sleep(0.05)
        while states(rt) != {"sent": len(emails)}:
            assert time.monotonic() < deadline, f"the send did not finish: {states(rt)}"
            time.sleep(0.1)
    finished(*workers[1:], stop=True)

    received = smtp_server.handler.received
    back = [max(r.at for r in received if email in r.rcpt_tos) - killed_at for email in held]
    print(f"{len(held)} rows of the killed worker sent again after {max(back):.1f} s")
    assert held and max(back) < 60
    # Taken back once the heartbeat is stale, with the others' one-second batches and
    # half-second waits: well within the stale threshold plus a few seconds.
    assert max(back) < STALE_SECONDS + 6
    counts = smtp_server.handler.counts()
    assert set(counts) == set(emails)
    # The one message at the server when the worker died may arrive twice, no other.
    assert sum(n - 1 for n in counts.values()) <= 1


def test_a_worker_whose_heartbeat_was_lost_goes_on_with_its_next_pass(
    write_config, smtp_server: FixtureSMTPServer, processes: Processes
) -> None:
    # `digest worker` (not --once), stopped past its threshold: it sends nothing it had
    # claimed, says so, and its next pass sends the rest; it never exits for it.
    _settings, emails, worker = _stopped_past_its_threshold(
        write_config, smtp_server, processes, "worker", "--interval", "0.2"
    )
    worker.send_signal(signal.SIGCONT)
    deadline = time.monotonic() + 30
    while set(smtp_server.handler.counts()) != set(emails) and time.monotonic() < deadline:
        assert worker.poll() is None, worker.communicate()
        time.sleep(0.1)
    worker.send_signal(signal.SIGTERM)
    _out, err = worker.communicate(timeout=30)

    assert set(smtp_server.handler.counts()) == set(emails)
    assert worker.returncode == 0, err
    assert "other workers may be sending" in err, err
    assert "Trying again in 1 s" in err, err  # the interval, a second at least
