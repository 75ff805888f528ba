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
from digest.delivery.recorder import Recorder, Recording
from digest.delivery.sender import IssueMail, Sender, reason_of
from digest.delivery.shared_rate import SharedRateLimit
from digest.delivery.transport import Transport
from digest.delivery.workers import Heartbeat
from digest.errors import ServerUnavailable
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
        if not outbox.has_due(session, issue_id, clock()):
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
    batches = _Batches(mail, sender, recorder, heartbeat, report, engine, sessions, progress, todo)
    try:
        try:
            await sender.send_all(
                lambda: batches.claim(issue_id, list_id, clock(), delivery.batch_size),
                recorder.submit,
                heartbeat.hold,
            )
        except ServerUnavailable:
            # A stop asked for (SIGTERM, Ctrl-C) wins over the server turning the last
            # connection away: the caller stops as asked, the readers not sent put back alike.
            if batches.stopped is None:
                raise
        if batches.unsent is not None:
            await batches.unsent
        if batches.stopped is not None:
            raise batches.stopped  # once every message handed over is recorded
        batches.account()
    finally:
        await recorder.stop()
        await transport.close()
        heartbeat.stop()
    return report


class _Batches:
    """The send's claims, one batch at a time as the sender asks for readers: the rows it
    claimed, those no longer to be sent skipped (or failed, their issue unrenderable), and
    what became of the earlier ones counted and reported."""

    def __init__(
        self,
        mail: IssueMail,
        sender: Sender,
        recorder: Recorder,
        heartbeat: Heartbeat,
        report: SendCounts,
        engine: Engine,
        sessions: sessionmaker[Session],
        progress: Progress | None,
        todo: int,  # the rows pending when the send began
    ) -> None:
        self.mail, self.sender, self.recorder, self.report = mail, sender, recorder, report
        self.heartbeat, self.engine, self.sessions = heartbeat, engine, sessions
        self.progress, self.todo = progress, todo
        self.claimed = self.reported = 0
        # The last failure recorded without a message (recorded in order: the earlier ones too).
        self.unsent: Recording | None = None
        # What the progress callback raised (to stop the send): no batch is claimed after it.
        self.stopped: Exception | None = None

    def claim(
        self, issue_id: int, list_id: int, now: datetime, size: int
    ) -> tuple[list[outbox.Claimed], dict[int, list[str]]]:
        """The next batch's readers to send to and their topics; none once no row is left.
        (The earlier batches are all under way by then: their progress is reported; when that
        raises, no more is claimed, and the send stops once what is under way is recorded.)"""
        self._account_or_stop()
        while self.stopped is None:
            self.heartbeat.hold()
            with db.claim_transaction(self.engine) as session:
                claimed = outbox.claim_batch(session, issue_id, now, size, self.heartbeat.id)
            if not claimed:
                return [], {}
            # Unsubscribed, suppressed or bounced since the send began: not sent.
            ids = [c.subscriber_id for c in claimed]
            with self.sessions() as session:
                allowed = membership.deliverable_ids(session, list_id, ids)
                topics = membership.topics_of(session, ids)
            gone, unmatched, wanted = [], [], []
            for c in claimed:
                if c.subscriber_id not in allowed:
                    gone.append(c.id)
                    continue
                try:
                    matched = self.mail.has_stories(topics.get(c.subscriber_id))
                except Exception as exc:
                    reason = f"cannot render the issue for this reader's topics: {reason_of(exc)}"
                    self.unsent = self.recorder.submit(self.sender.failed(c, None, reason))
                    continue
                if matched:
                    wanted.append(c)
                else:
                    unmatched.append(c.id)  # no story matches their topics: no empty digest
            if gone or unmatched:
                # Reads, then writes: on SQLite the write lock is taken first (BEGIN IMMEDIATE),
                # or a second process sending at the same time gets "database is locked".
                with db.claim_transaction(self.engine) as session:
                    outbox.skip(session, gone, outbox.SKIPPED_GONE)
                    outbox.skip(session, unmatched, outbox.SKIPPED_TOPICS)
            self.report.skipped += len(gone) + len(unmatched)
            self.claimed += len(claimed)
            if wanted:
                chosen = {c.subscriber_id for c in wanted}
                return wanted, {i: t for i, t in topics.items() if i in chosen}
            self._account_or_stop()  # nobody to send to in this batch: it is done
        return [], {}

    def _account_or_stop(self) -> None:
        """account(); what the progress callback raises stops the send (see claim)."""
        try:
            self.account()
        except Exception as exc:
            self.stopped = exc

    def account(self) -> None:
        """Count what was recorded since the last call, and report the progress."""
        counts = self.recorder.take_counts()
        report = self.report
        report.sent += counts.get(DeliveryStatus.SENT, 0)
        report.deferred += counts.get(DeliveryStatus.DEFERRED, 0)
        report.failed += counts.get(DeliveryStatus.FAILED, 0)
        report.uncertain += counts.get(DeliveryStatus.UNCERTAIN, 0)
        if self.progress and self.claimed > self.reported:
            self.reported = self.claimed
            self.progress(self.claimed, max(self.todo, self.claimed))


def _clock_from(start: datetime) -> Callable[[], datetime]:
    """Time that starts at `start` (the caller's now, fixed in tests) and runs on, so retries
    deferred late in a long send are timed from when they were deferred."""
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)
