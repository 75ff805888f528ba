"""Three `digest worker` processes share one send of 4,000 recipients through PostgreSQL
(FOR UPDATE SKIP LOCKED): each recipient gets exactly one message."""

from __future__ import annotations

import re
import time

import pytest
from sqlalchemy import select

from digest import pipeline
from digest.models import Issue
from tests.delivery.scenario import (
    NOW,
    Processes,
    addresses,
    load_subscribers,
    queue_everything,
    smtp_config,
    states,
)
from tests.servers import FixtureSMTPServer

RECIPIENTS = 4_000
WORKERS = 3


def require_postgresql(database_url: str) -> None:
    """Skip on SQLite: there one sender claims at a time by design (BEGIN IMMEDIATE). CI runs
    the suite on both backends, so the PostgreSQL run (DIGEST_TEST_DATABASE_URL) runs this."""
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "several senders at once need PostgreSQL (row claims with FOR UPDATE SKIP LOCKED);"
            " SQLite has one sender by design: set DIGEST_TEST_DATABASE_URL to run this"
        )


@pytest.mark.postgres
def test_three_workers_share_one_send_and_deliver_each_message_once(
    write_config, smtp_server: FixtureSMTPServer, database_url: str, processes: Processes
) -> None:
    require_postgresql(database_url)
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": 4}, max_articles=1, batch_size=100)
    )
    emails = addresses(RECIPIENTS)
    smtp_server.handler.keep_content = False  # thousands of messages: count them, do not keep them
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        queue_everything(rt, NOW)
        assert states(rt) == {"queued": RECIPIENTS}

    started = time.monotonic()
    workers = [
        processes.start(settings.config_path, "--now", NOW.isoformat(), "worker", "--once")
        for _ in range(WORKERS)
    ]
    delivered_by = []
    for worker in workers:
        out, err = worker.communicate(timeout=120)
        assert worker.returncode == 0, out + err
        found = re.search(r"Delivered to (\d+) recipient\(s\)", out)
        delivered_by.append(int(found.group(1)) if found else 0)
    elapsed = time.monotonic() - started

    counts = smtp_server.handler.counts()
    assert len(counts) == RECIPIENTS and set(counts) == set(emails)
    repeated = {email: n for email, n in counts.items() if n != 1}
    assert not repeated, f"{len(repeated)} recipients got more than one message"
    assert sum(delivered_by) == RECIPIENTS, delivered_by
    # The send was shared, not done by whichever worker came first.
    assert all(n > 0 for n in delivered_by), delivered_by
    print(f"{WORKERS} workers: {delivered_by} messages each, {elapsed:.1f} s")
    with pipeline.runtime(settings, NOW) as rt:
        assert states(rt) == {"sent": RECIPIENTS}
        with rt.sessions() as session:
            assert session.scalar(select(Issue.status)) == "sent"
