"""Claims: rows a live sender has claimed stay its own while its heartbeat is fresh; a second
sender started in the middle of a long send takes only rows nobody holds, so no recipient gets
the message twice."""

from __future__ import annotations

from tests.delivery.scenario import (
    Processes,
    finished,
    sample_send,
    sent_once_each,
    wait_for_messages,
)
from tests.servers import Fault, FixtureSMTPServer

STALE_SECONDS = 2


def test_a_second_sender_leaves_alone_the_rows_a_live_sender_is_working_on(
    write_config, smtp_server: FixtureSMTPServer, processes: Processes
) -> None:
    # A batch of 5 at 10 messages a second takes half a second; the whole send takes several
    # stale periods (2 s). Both senders run on the real clock (no --now): the first sender's
    # heartbeat must go on while it sends, or every batch claimed after the first stale period
    # is free for any other sender to take while its own sender is still sending it.
    settings, emails = sample_send(
        write_config,
        smtp_server,
        70,
        queued=False,
        pool_size=2,
        batch_size=5,
        worker_stale_seconds=STALE_SECONDS,
        rate_limit_per_second=10,
    )
    first = processes.start(settings.config_path, "send")
    # Start the second sender once the first has been sending for more than a stale period.
    wait_for_messages(first, smtp_server, 10 * (STALE_SECONDS + 1))
    finished(first, processes.start(settings.config_path, "worker", "--once"))
    sent_once_each(
        settings, smtp_server, emails, "the second sender took rows whose sender was alive"
    )


def test_a_batch_slower_than_the_stale_threshold_is_not_sent_twice(
    write_config, smtp_server: FixtureSMTPServer, processes: Processes
) -> None:
    # The receiving server is slow: half a second before each 250. A batch of 8 over 2
    # connections then takes 2 seconds, longer than the 1-second stale threshold, although its
    # sender is alive and well. (A slow or tarpitting server, a low rate limit or a few 421
    # pauses do the same to the default 200-row batches.) A second sender must still not send
    # the rows that sender holds: its heartbeat goes on however long the batch takes.
    settings, emails = sample_send(
        write_config,
        smtp_server,
        24,
        queued=False,
        pool_size=2,
        batch_size=8,
        worker_stale_seconds=1,
    )
    smtp_server.handler.inject_at_random(seed=1, probability=1.0, faults=[Fault.stalled(0.5)])
    first = processes.start(settings.config_path, "send")
    wait_for_messages(first, smtp_server, 2)
    finished(first, processes.start(settings.config_path, "worker", "--once"))
    sent_once_each(
        settings,
        smtp_server,
        emails,
        "the second sender took rows of a batch its live sender had not finished",
    )
