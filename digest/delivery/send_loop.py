"""The send loop: claim a batch of an issue's outbox rows, send each reader's message, each
result recorded as it comes (recorder.py). While it sends, its heartbeat (delivery/workers.py)
keeps the rows it claimed its own."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from digest import db
from digest.config import Settings
from digest.delivery import outbox
from digest.delivery.recorder import Recorder
from digest.delivery.sender import IssueMail, Sender, reason_of
from digest.delivery.shared_rate import SharedRateLimit
from digest.delivery.transport import Transport
from digest.delivery.workers import Heartbeat
from digest.states import DeliveryStatus
from subscribers import membership

Progress = Callable[[int, int], None]  # (messages done, messages to do)


@dataclass
class SendCounts:
    """What became of the rows one send loop claimed."""

    sent: int = 0
    deferred: int = 0
    failed: int = 0
    skipped: int = 0
    uncertain: int = 0


async def deliver_issue(
    mail: IssueMail,
    transport: Transport,
    settings: Settings,
    *,
    engine: Engine,
    sessions: sessionmaker[Session],
    issue_id: int,
    list_id: int,
    now: datetime,
    progress: Progress | None = None,
    report: SendCounts | None = None,
) -> SendCounts:
    """Claim and send the issue's due outbox rows until none is left (the rows exist already:
    a worker never adds readers, so it never sends a local-time wave before its time).
    Counts what became of them in report (a new one if not given), batch by batch."""
    delivery = settings.delivery
    stale = delivery.worker_stale_seconds
    clock = _clock_from(now)
    report = report if report is not None else SendCounts()
    with sessions() as session:
        if not outbox.has_due(session, issue_id, clock(), stale):
            return report  # nothing for this sender: no heartbeat, no connection to the server
        todo = sum(n for s, n in outbox.counts(session, issue_id).items() if s in outbox.PENDING)
    rate = SharedRateLimit(engine, delivery.rate_limit_per_second)
    sender = Sender(mail, transport, settings, rate=rate)
    policy = outbox.RetryPolicy(
        max_attempts=delivery.max_attempts,
        base_delay=timedelta(seconds=delivery.retry_delay_seconds),
        max_age=timedelta(hours=delivery.max_retry_hours),
        retry_uncertain=delivery.retry_uncertain,
    )
    done = 0
    heartbeat = Heartbeat(engine, stale)
    heartbeat.start()
    recorder = Recorder(engine, policy, clock, heartbeat.id)
    try:
        await transport.open()  # only now: an idle sender holds no connection
        await recorder.start()
    except BaseException:
        await transport.close()
        heartbeat.stop()
        raise
    try:
        while True:
            heartbeat.check()
            with db.claim_transaction(engine) as session:
                claimed = outbox.claim_batch(
                    session, issue_id, clock(), delivery.batch_size, heartbeat.id, stale
                )
            if not claimed:
                break
            # Unsubscribed, suppressed or bounced since the send began: not sent.
            ids = [c.subscriber_id for c in claimed]
            with sessions() as session:
                allowed = membership.deliverable_ids(session, list_id, ids)
                topics = membership.topics_of(session, ids)
            gone, unmatched, wanted = [], [], []
            broken: list[outbox.Attempt] = []  # their issue could not be rendered
            for c in claimed:
                if c.subscriber_id not in allowed:
                    gone.append(c.id)
                    continue
                try:
                    matched = mail.has_stories(topics.get(c.subscriber_id))
                except Exception as exc:
                    reason = f"cannot render the issue for this reader's topics: {reason_of(exc)}"
                    broken.append(sender.failed(c, None, reason))
                    continue
                if matched:
                    wanted.append(c)
                else:
                    unmatched.append(c.id)  # no story matches their topics: no empty digest
            if gone or unmatched:
                # Reads, then writes: on SQLite the write lock is taken first (BEGIN IMMEDIATE),
                # or a second process sending at the same time gets "database is locked".
                with db.claim_transaction(engine) as session:
                    outbox.skip(session, gone, outbox.SKIPPED_GONE)
                    outbox.skip(session, unmatched, outbox.SKIPPED_TOPICS)
            for recording in [recorder.submit(attempt) for attempt in broken]:
                await recording
            await sender.send_all(wanted, topics, recorder.submit)
            counts = recorder.take_counts()
            report.skipped += len(gone) + len(unmatched)
            report.sent += counts.get(DeliveryStatus.SENT, 0)
            report.deferred += counts.get(DeliveryStatus.DEFERRED, 0)
            report.failed += counts.get(DeliveryStatus.FAILED, 0)
            report.uncertain += counts.get(DeliveryStatus.UNCERTAIN, 0)
            done += len(claimed)
            if progress:
                progress(done, max(todo, done))
    finally:
        await recorder.stop()
        await transport.close()
        heartbeat.stop()
    return report


def _clock_from(start: datetime) -> Callable[[], datetime]:
    """Time that starts at `start` (the caller's now, fixed in tests) and runs on, so retries
    deferred late in a long send are timed from when they were deferred."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)
