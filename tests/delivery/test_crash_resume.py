"""A send killed with SIGKILL at random points and restarted: nothing is lost, and repeats stay
within the documented bound (digest/delivery/recorder.py: at most one message per connection,
whatever the batch), each repeat with the Message-ID of the first copy."""

from __future__ import annotations

import random
import signal
import subprocess
import time

from sqlalchemy import func, select

from digest import pipeline
from digest.config import Settings
from digest.models import Delivery, Issue
from tests.delivery.scenario import (
    NOW,
    Processes,
    addresses,
    digest,
    load_subscribers,
    smtp_config,
    states,
)
from tests.servers import FixtureSMTPServer

SEED = 3464
RECIPIENTS = 300
BATCH = 50  # far more than the connections: the bound must not depend on it
CONNECTIONS = 4
# Short, so that a dead sender's rows come back soon; not so short that a live one's own
# heartbeat goes stale on a busy machine before its kill (it would stop itself, exit 1).
STALE_SECONDS = 1.0
LAST_PASS_STALE_SECONDS = 30.0


def wait_and_kill(
    process: subprocess.Popen[str], smtp_server: FixtureSMTPServer, after: float | int
) -> bool:
    """SIGKILL the process `after` seconds from now (a float) or once the server has received
    `after` more messages (an int); False if it finished first."""
    start, received = time.monotonic(), len(smtp_server.handler.received)
    deadline = start + 60
    while process.poll() is None:
        now = time.monotonic()
        due = (
            now - start >= after
            if isinstance(after, float)
            else len(smtp_server.handler.received) - received >= after
        )
        if due:
            process.send_signal(signal.SIGKILL)
            process.communicate()
            return True
        assert now < deadline, "digest send neither finished nor reached the kill point"
        time.sleep(0.001)
    out, err = process.communicate()
    assert process.returncode == 0, out + err
    return False


def test_a_send_killed_at_random_points_resumes_and_repeats_at_most_one_per_connection(
    write_config, smtp_server: FixtureSMTPServer, processes: Processes
) -> None:
    def configured(stale_seconds: float) -> Settings:
        return write_config(
            smtp_config(
                smtp_server,
                smtp={"pool_size": CONNECTIONS},
                max_articles=2,
                batch_size=BATCH,
                worker_stale_seconds=stale_seconds,
            )
        )

    settings = configured(STALE_SECONDS)
    emails = addresses(RECIPIENTS)
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
    rng = random.Random(SEED)
    # First a kill at a random moment of start-up (before anything is claimed), then kills
    # after a random number of messages, mid-send.
    kill_points: list[float | int] = [rng.uniform(0.05, 0.6)]
    kill_points += [rng.randint(10, 45) for _ in range(5)]

    now, kills = NOW, 0
    left_sending: list[int] = []  # rows a killed sender had claimed and not yet recorded
    received_at_kill: list[int] = []
    # Per kill: messages the server had accepted whose rows were not recorded as sent, the
    # ones a resumed send repeats.
    unrecorded_at_kill: list[list[str]] = []
    for after in kill_points:
        process = processes.start(settings.config_path, "--now", now.isoformat(), "send")
        if not wait_and_kill(process, smtp_server, after):
            break  # it finished the send before this kill point
        kills += 1
        time.sleep(0.2)  # data that reached the server before the kill is taken in
        received_at_kill.append(len(smtp_server.handler.received))
        with pipeline.runtime(settings, now) as rt, rt.sessions() as session:
            left_sending.append(
                session.scalar(select(func.count()).where(Delivery.status == "sending")) or 0
            )
            sent = set(session.scalars(select(Delivery.email).where(Delivery.status == "sent")))
        unrecorded_at_kill.append(sorted(set(smtp_server.handler.counts()) - sent))
        # The dead sender's heartbeat goes stale (on the database's clock, which --now does
        # not move), so its rows may be taken back.
        time.sleep(STALE_SECONDS + 0.2)

    # The last pass, killed by no one, may find the machine busy: a heartbeat of its own is
    # not judged by the kills' short horizon (each worker's rows go stale by its own).
    configured(LAST_PASS_STALE_SECONDS)
    final = digest(settings.config_path, "--now", now.isoformat(), "worker", "--once")
    assert final.returncode == 0, final.stdout + final.stderr

    counts = smtp_server.handler.counts()
    repeats = sum(n - 1 for n in counts.values())
    print(
        f"crash-resume: {kills} SIGKILLs of `digest send` ({RECIPIENTS} recipients, batch "
        f"{BATCH}): {repeats} repeated message(s), {len(smtp_server.handler.received)} received;"
        f" messages received by each kill: {received_at_kill}, rows left in `sending`:"
        f" {left_sending}, accepted but unrecorded at each kill:"
        f" {[len(u) for u in unrecorded_at_kill]}"
    )
    assert kills == len(kill_points), f"only {kills} kills landed: the kill points are too late"
    assert max(left_sending) > 0, "no kill left a claimed row behind: untested"
    # Nothing deliverable is lost...
    assert sorted(counts) == emails
    with pipeline.runtime(settings, now) as rt:
        assert states(rt) == {"sent": RECIPIENTS}
        with rt.sessions() as session:
            assert session.scalar(select(Issue.status)) == "sent"
    # ...and a repeat is only a message the server accepted whose result the dead sender had
    # not yet recorded: at most one per connection at each kill, not the claimed batch.
    assert max(len(u) for u in unrecorded_at_kill) <= CONNECTIONS, unrecorded_at_kill
    assert repeats <= sum(len(u) for u in unrecorded_at_kill), (repeats, unrecorded_at_kill)
    assert max(counts.values()) <= 1 + kills
    # Every copy of a repeated message carries the Message-ID of the one recorded as sent,
    # so mail clients show one.
    with pipeline.runtime(settings, now) as rt, rt.sessions() as session:
        recorded = dict(session.execute(select(Delivery.email, Delivery.message_id)).all())
    seen: dict[str, set[str]] = {}
    for message in smtp_server.handler.parsed():
        seen.setdefault(str(message["To"]), set()).add(str(message["Message-ID"]))
    assert {e: ids for e, ids in seen.items() if ids != {recorded[e]}} == {}
