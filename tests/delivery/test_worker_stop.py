"""`digest worker` on SIGTERM: the batch in hand is sent and recorded, then it exits 0; the
next worker finishes the send, and every reader gets the issue once."""

from __future__ import annotations

import signal
import time

from digest import pipeline
from tests.delivery.scenario import (
    NOW,
    Processes,
    addresses,
    digest,
    load_subscribers,
    queue_everything,
    smtp_config,
    states,
)
from tests.servers import FixtureSMTPServer

RECIPIENTS = 200


def test_sigterm_stops_a_worker_after_its_batch_and_the_next_one_finishes_the_send(
    write_config, smtp_server: FixtureSMTPServer, processes: Processes
) -> None:
    # 50 messages a second: the send takes about 4 s, long enough to stop it in the middle.
    settings = write_config(
        smtp_config(smtp_server, max_articles=1, batch_size=10, rate_limit_per_second=50)
    )
    emails = addresses(RECIPIENTS)
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        queue_everything(rt, NOW)

        worker = processes.start(settings.config_path, "--now", NOW.isoformat(), "worker")
        deadline = time.monotonic() + 30
        while len(smtp_server.handler.received) < 30:
            assert worker.poll() is None, worker.communicate()
            assert time.monotonic() < deadline, "the worker sent nothing"
            time.sleep(0.01)
        worker.send_signal(signal.SIGTERM)
        asked = time.monotonic()
        out, err = worker.communicate(timeout=30)
        stopped_in = time.monotonic() - asked

        assert worker.returncode == 0, out + err
        assert "Stopped after the current batch" in out
        assert stopped_in < 3, stopped_in  # one batch of 10 at 50/s, not the rest of the send
        after_stop = states(rt)
        received = len(smtp_server.handler.received)
        # Every message the server accepted is recorded as sent; nothing is left mid-send.
        assert after_stop.get("sent", 0) == received < RECIPIENTS
        assert "sending" not in after_stop

        finish = digest(settings.config_path, "--now", NOW.isoformat(), "worker", "--once")
        assert finish.returncode == 0, finish.stdout + finish.stderr
        assert states(rt) == {"sent": RECIPIENTS}
    counts = smtp_server.handler.counts()
    assert set(counts) == set(emails) and set(counts.values()) == {1}
