"""The send loop against a real database, through MemoryTransport: what becomes of each row."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from digest import db
from digest.config import Settings
from digest.delivery import outbox
from digest.delivery.memory_transport import (
    ACCEPTED,
    HandedOver,
    MemoryTransport,
    answering,
)
from digest.delivery.send_loop import Progress, SendCounts, deliver_issue
from digest.delivery.sender import Sender
from digest.delivery.transport import SendResult
from digest.errors import HeartbeatLost
from digest.models import Delivery, Issue, Worker
from digest.states import IssueStatus
from subscribers import membership
from subscribers.models import MailingList, Subscriber, Subscription, Suppression
from subscribers.states import SubscriptionStatus

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
READERS = [f"reader{n}@example.org" for n in range(5)]


class Mail:
    """An IssueMail whose message is a few lines naming its reader. Readers of the topic
    "nothing" get no story; the issue cannot be rendered for the topic "broken"; the messages
    of the addresses in unbuildable cannot be built."""

    def __init__(self, unbuildable: Sequence[str] = ()) -> None:
        self.unbuildable = set(unbuildable)

    def has_stories(self, topics: Sequence[str] | None) -> bool:
        if topics and "broken" in topics:
            raise RuntimeError("the template fell over")
        return not (topics and "nothing" in topics)

    def message(
        self, subscriber_id: int, email: str, topics: Sequence[str] | None
    ) -> tuple[bytes, str]:
        if email in self.unbuildable:
            raise ValueError(f"no message can carry {email}")
        message_id = f"<{subscriber_id}@news.example.org>"
        return f"To: {email}\r\nMessage-ID: {message_id}\r\n\r\nHello\r\n".encode(), message_id

    def envelope_sender(self, subscriber_id: int) -> str:
        return f"bounces+{subscriber_id}@news.example.org"


@dataclass
class Rig:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    issue_id: int
    list_id: int

    def send(
        self,
        transport: MemoryTransport,
        mail: Mail | None = None,
        progress: Progress | None = None,
        now: datetime = NOW,
    ) -> SendCounts:
        return asyncio.run(
            deliver_issue(
                mail or Mail(),
                transport,
                self.settings,
                engine=self.engine,
                sessions=self.sessions,
                issue_id=self.issue_id,
                list_id=self.list_id,
                now=now,
                progress=progress,
            )
        )

    def rows(self) -> dict[str, Delivery]:
        with self.sessions() as session:
            return {d.email: d for d in session.scalars(select(Delivery))}

    def states(self) -> dict[str, str]:
        return {email: row.status for email, row in self.rows().items()}


@pytest.fixture
def open_rig(write_config) -> Iterator[Any]:
    """A migrated database holding one list, an issue being sent, and READERS confirmed on it
    with a queued row each (topics: address -> the topics that reader chose)."""
    engines: list[Engine] = []

    def open_(topics: dict[str, list[str]] | None = None, **delivery: Any) -> Rig:
        settings = write_config({"delivery": {"transport": "file", **delivery}})
        engine = db.make_engine(settings.database_url)
        engines.append(engine)
        db.upgrade(engine)
        sessions = db.session_factory(engine)
        with db.transaction(sessions) as session:
            mailing_list = MailingList(slug="weekly", name="The Weekly", created_at=NOW)
            session.add(mailing_list)
            session.flush()
            issue = Issue(
                list_id=mailing_list.id,
                number=1,
                period_start=NOW - timedelta(days=7),
                period_end=NOW,
                subject="This week",
                status=IssueStatus.SENDING,
                created_at=NOW,
            )
            session.add(issue)
            for email in READERS:
                reader = Subscriber(email=email, created_at=NOW, topics=(topics or {}).get(email))
                session.add(reader)
                session.flush()
                session.add(
                    Subscription(
                        subscriber_id=reader.id,
                        list_id=mailing_list.id,
                        status=SubscriptionStatus.CONFIRMED,
                        origin="import",
                        created_at=NOW,
                        confirmed_at=NOW,
                    )
                )
            session.flush()
            outbox.enqueue(session, issue.id, membership.recipients(mailing_list.id), NOW)
            issue_id, list_id = issue.id, mailing_list.id
        return Rig(settings, engine, sessions, issue_id, list_id)

    yield open_
    for engine in engines:
        engine.dispose()


def test_every_accepted_message_is_sent_once_with_its_envelope_sender(open_rig) -> None:
    rig = open_rig()
    transport = MemoryTransport()

    counts = rig.send(transport)

    assert counts == SendCounts(sent=len(READERS))
    assert sorted(transport.recipients()) == READERS
    assert (transport.opened, transport.closed) == (1, 1)
    rows = rig.rows()
    assert {row.status for row in rows.values()} == {"sent"}
    for handed in transport.handed_over:
        row = rows[handed.recipient]
        assert handed.sender == f"bounces+{row.subscriber_id}@news.example.org"
        assert row.message_id is not None and row.message_id.encode() in handed.message
        assert row.last_reply == ACCEPTED.reply
    # Nothing is left to claim: a second loop hands nothing over.
    again = MemoryTransport()
    assert rig.send(again, now=NOW + timedelta(hours=1)) == SendCounts()
    assert again.handed_over == []


def test_each_reader_gets_the_outcome_the_server_gave_and_one_exception_fails_only_itself(
    open_rig,
) -> None:
    deferred, refused, dropped = READERS[1], READERS[2], READERS[4]
    rig = open_rig()
    transport = MemoryTransport(
        answering(
            {
                deferred: SendResult("deferred", "451 4.7.1 Try again later"),
                refused: SendResult("failed", "550 5.1.1 No such user"),
                dropped: ConnectionResetError("the connection dropped"),
            }
        )
    )

    counts = rig.send(transport)

    assert counts == SendCounts(sent=2, deferred=1, failed=2)
    states = rig.states()
    assert states == {
        READERS[0]: "sent",
        deferred: "deferred",
        refused: "failed",
        READERS[3]: "sent",
        dropped: "failed",
    }
    rows = rig.rows()
    assert rows[deferred].last_reply == "451 4.7.1 Try again later"
    assert rows[deferred].next_attempt_at is not None
    assert rows[dropped].last_reply == (
        "cannot send the message: ConnectionResetError: the connection dropped"
    )
    with rig.sessions() as session:
        # 5.1.x: the mailbox does not exist, so the address is suppressed.
        assert session.scalars(select(Suppression.email)).all() == [refused]


def test_a_deferred_message_is_sent_again_once_due(open_rig) -> None:
    rig = open_rig(retry_delay_seconds=60)
    first = MemoryTransport(answering({READERS[0]: SendResult("deferred", "421 4.3.2 Busy")}))
    assert rig.send(first).deferred == 1

    too_early = MemoryTransport()
    assert rig.send(too_early, now=NOW + timedelta(seconds=10)) == SendCounts()
    later = MemoryTransport()
    assert rig.send(later, now=NOW + timedelta(hours=1)) == SendCounts(sent=1)
    assert later.recipients() == [READERS[0]]
    assert set(rig.states().values()) == {"sent"}


def test_a_message_that_cannot_be_built_fails_alone_and_is_not_handed_over(open_rig) -> None:
    rig = open_rig()
    transport = MemoryTransport()

    counts = rig.send(transport, Mail(unbuildable=[READERS[2]]))

    assert counts == SendCounts(sent=4, failed=1)
    assert READERS[2] not in transport.recipients()
    row = rig.rows()[READERS[2]]
    assert (row.status, row.message_id) == ("failed", None)
    assert row.last_reply == f"cannot build the message: no message can carry {READERS[2]}"


def test_readers_without_a_story_or_a_subscription_are_skipped_and_unrenderable_fail(
    open_rig,
) -> None:
    rig = open_rig(topics={READERS[0]: ["nothing"], READERS[1]: ["broken"]})
    with db.transaction(rig.sessions) as session:
        gone = session.scalar(
            select(Subscription)
            .join(Subscriber, Subscriber.id == Subscription.subscriber_id)
            .where(Subscriber.email == READERS[2])
        )
        assert gone is not None
        gone.status = SubscriptionStatus.UNSUBSCRIBED
    transport = MemoryTransport()

    counts = rig.send(transport)

    assert counts == SendCounts(sent=2, skipped=2, failed=1)
    assert sorted(transport.recipients()) == READERS[3:]
    rows = rig.rows()
    assert (rows[READERS[0]].status, rows[READERS[0]].last_reply) == (
        "skipped",
        "no story of this issue matches their topics",
    )
    assert (rows[READERS[1]].status, rows[READERS[1]].last_reply) == (
        "failed",
        "cannot render the issue for this reader's topics: RuntimeError: the template fell over",
    )
    assert (rows[READERS[2]].status, rows[READERS[2]].last_reply) == (
        "skipped",
        "no longer subscribed",
    )


def test_progress_is_reported_after_each_batch(open_rig) -> None:
    rig = open_rig(batch_size=2)
    seen: list[tuple[int, int]] = []

    rig.send(MemoryTransport(), progress=lambda done, todo: seen.append((done, todo)))

    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_a_batch_slower_than_the_stale_threshold_keeps_its_rows(open_rig) -> None:
    # Workers count as dead after 1.5 s without a heartbeat; each message takes 1 s, so the
    # batch of three lasts twice that (margins a loaded CI machine keeps). Its sender is alive
    # all along: a claim made by another worker meanwhile finds none of its rows, while its
    # heartbeat is renewed in the database.
    rig = open_rig(batch_size=3, worker_stale_seconds=1.5)
    taken: list[int] = []
    beats: list[float] = []

    async def slow(handed: HandedOver) -> SendResult:
        await asyncio.sleep(1.0)
        with db.claim_transaction(rig.engine) as session:
            taken.extend(
                c.id
                for c in outbox.claim_batch(session, rig.issue_id, NOW, 10, "another worker")
                if c.email in READERS[:3]
            )
            beats.extend(session.scalars(select(Worker.heartbeat_at)))
        return ACCEPTED

    counts = rig.send(MemoryTransport(slow))

    assert counts == SendCounts(sent=len(READERS))
    assert taken == [], "another worker took rows of a live worker's batch"
    assert len(set(beats)) > 2, "the heartbeat was not renewed while the batch was sent"
    with rig.sessions() as session:
        assert session.scalars(select(Worker)).all() == [], "a finished sender left its row"


def test_rows_of_a_sender_whose_heartbeat_stopped_are_taken_back(open_rig) -> None:
    rig = open_rig(worker_stale_seconds=0.5)
    with db.claim_transaction(rig.engine) as session:
        session.add(Worker(id="dead", started_at=0.0, heartbeat_at=0.0, stale_seconds=0.5))
        session.add(Worker(id="alive", started_at=0.0, heartbeat_at=9e12, stale_seconds=0.5))
    with db.claim_transaction(rig.engine) as session:
        alive = outbox.claim_batch(session, rig.issue_id, NOW, 2, "alive")
        dead = outbox.claim_batch(session, rig.issue_id, NOW, 2, "dead")
    with db.claim_transaction(rig.engine) as session:
        again = outbox.claim_batch(session, rig.issue_id, NOW, 10, "third")

    queued = {d.id for d in rig.rows().values()} - {c.id for c in dead + alive}
    assert len(queued) == 1
    # The dead sender's rows and the one nobody claimed; the live sender's stay its own.
    assert {c.id for c in again} == {c.id for c in dead} | queued
    assert {r.worker_id for r in rig.rows().values()} == {"alive", "third"}


def test_a_heartbeat_is_judged_by_its_own_workers_stale_setting_not_the_claimers(
    open_rig,
) -> None:
    # Both beat 5 s ago on the database's clock: one keeps to 20 s (it beats every 3.3 s and is
    # alive), the other to 2 s (dead). A claimer with a 2 s setting of its own must leave the
    # first one's rows alone, or two live workers with different settings send them twice.
    rig = open_rig(worker_stale_seconds=2)
    with db.claim_transaction(rig.engine) as session:
        five_ago = session.scalar(select(db.clock_seconds() - 5))
        session.add(Worker(id="slow", started_at=0.0, heartbeat_at=five_ago, stale_seconds=20))
        session.add(Worker(id="fast", started_at=0.0, heartbeat_at=five_ago, stale_seconds=2))
    with db.claim_transaction(rig.engine) as session:
        slow = outbox.claim_batch(session, rig.issue_id, NOW, 2, "slow")
        fast = outbox.claim_batch(session, rig.issue_id, NOW, 2, "fast")
    with db.claim_transaction(rig.engine) as session:
        again = outbox.claim_batch(session, rig.issue_id, NOW, 10, "third")

    assert {c.id for c in fast} <= {c.id for c in again}
    assert not {c.id for c in slow} & {c.id for c in again}


def test_messages_are_sent_as_many_at_once_as_the_transport_allows(open_rig) -> None:
    rig = open_rig()
    at_once, most = 0, 0

    async def counting(_handed: HandedOver) -> SendResult:
        nonlocal at_once, most
        at_once += 1
        most = max(most, at_once)
        await asyncio.sleep(0.05)
        at_once -= 1
        return ACCEPTED

    assert rig.send(MemoryTransport(counting, concurrency=3)).sent == len(READERS)
    assert most == 3


def test_a_heartbeat_lost_at_a_claim_lets_the_messages_under_way_finish_and_be_recorded() -> None:
    # Two lanes; each message past its point of no return at once, then 0.3 s to its reply.
    async def slow(_handed: HandedOver) -> SendResult:
        await asyncio.sleep(0.3)
        return ACCEPTED

    transport = MemoryTransport(slow, concurrency=2)
    sender = Sender(Mail(), transport, Settings())
    readers = [outbox.Claimed(i, i, f"r{i}@example.org") for i in range(1, 4)]
    recorded: list[str] = []

    def refill() -> tuple[list[outbox.Claimed], dict[int, list[str]]]:
        if transport.handed_over:  # found lost at the next claim, a message past its dot
            raise HeartbeatLost("heartbeat lost")
        return [readers.pop(0)], {}

    def record(attempt: outbox.Attempt) -> Any:
        recorded.append(attempt.claimed.email)
        done = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done

    with pytest.raises(HeartbeatLost):
        asyncio.run(sender.send_all(refill, record, lambda: None))
    dots = transport.recipients()
    assert dots
    assert set(dots) <= set(recorded), "a message past its final dot was not recorded"
