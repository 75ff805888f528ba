"""A worker whose heartbeat went stale mid-batch may still hear its server's replies after
another worker took its rows back: what it records then must not undo the taker's work."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, select

from digest import db, pipeline
from digest.delivery import outbox
from digest.delivery.transport import SendResult
from digest.models import Delivery
from digest.states import DeliveryStatus
from subscribers.models import MailingList, Subscriber, Subscription
from tests.delivery.scenario import NOW, addresses, queue_everything, queued_issue, smtp_config
from tests.servers import FixtureSMTPServer

POLICY = outbox.RetryPolicy(
    max_attempts=5, base_delay=timedelta(minutes=5), max_age=timedelta(hours=24)
)


def _record(rt: pipeline.Runtime, worker: str, rows: list[outbox.Claimed], outcome: str) -> dict:
    attempts = [
        outbox.Attempt(c, SendResult(DeliveryStatus(outcome), f"{outcome} by {worker}"), "<m@x>")
        for c in rows
    ]
    with db.claim_transaction(rt.engine) as session:
        return outbox.record(session, attempts, db.utcnow(), POLICY, worker)


def _claim(rt: pipeline.Runtime, now: datetime, count: int, worker: str) -> list[outbox.Claimed]:
    with db.claim_transaction(rt.engine) as session:
        return outbox.claim_batch(session, 1, now, count, worker)


def _rows(rt: pipeline.Runtime) -> list[tuple[str, str | None, str | None]]:
    with rt.sessions() as session:
        query = select(Delivery.status, Delivery.worker_id, Delivery.last_reply)
        return [tuple(r) for r in session.execute(query.order_by(Delivery.id))]


def test_a_stale_worker_never_overwrites_the_result_of_the_worker_that_took_its_rows(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(smtp_config(smtp_server, max_articles=1))
    with pipeline.runtime(settings, db.utcnow()) as rt:
        queued_issue(rt, addresses(3))
        now = db.utcnow()
        first = _claim(rt, now, 3, "first")
        # "first" has no heartbeat (no row in workers): "second" takes the rows back.
        second = _claim(rt, now, 3, "second")
        assert [c.id for c in second] == [c.id for c in first]

        # The taker defers the first row, then the stale worker's late replies arrive.
        _record(rt, "second", second[:1], "deferred")
        assert _record(rt, "first", first[:2], "deferred") == {}
        assert _rows(rt)[0][0] == "deferred" and _rows(rt)[0][2] == "deferred by second"
        assert _rows(rt)[1] == ("sending", "second", None)

        # A 250 is a fact whoever heard it: the message was accepted, the row says so, and a
        # later failure of the taker's attempt does not turn it back.
        assert _record(rt, "first", first[2:], "sent") == {"sent": 1}
        _record(rt, "second", second[2:], "deferred")
        assert _rows(rt)[2][0] == "sent" and _rows(rt)[2][2] == "sent by first"

        # The row's owner still records its own results.
        assert _record(rt, "second", second[1:2], "failed") == {"failed": 1}
        assert _rows(rt)[1][0] == "failed"


def test_sent_rows_written_through_the_driver_read_back_as_the_orm_writes_them(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    """SentRowWriter (the recorder's common case) stores what outbox.record stores for a 250:
    the same state, reply, time and Message-ID, read back through the models; a failure
    rolls its whole commit back."""
    settings = write_config(smtp_config(smtp_server, max_articles=1))
    with pipeline.runtime(settings, db.utcnow()) as rt:
        queued_issue(rt, addresses(4))
        now = db.utcnow()
        claimed = _claim(rt, now, 4, "w")
        sent = [
            outbox.Attempt(c, SendResult(DeliveryStatus.SENT, f"250 ok\x00{c.id}"), f"<{c.id}@x>")
            for c in claimed
        ]
        with db.claim_transaction(rt.engine) as session:
            outbox.record(session, sent[:2], now, POLICY, "w")
        with rt.engine.connect() as connection:
            writer = outbox.SentRowWriter(connection)
            assert writer.write(sent[2:], now) == {"sent": 2}
            # A value the driver cannot bind fails the commit as a whole.
            broken = outbox.Attempt(claimed[3], sent[3].result, object())  # type: ignore[arg-type]
            late = db.utcnow() + timedelta(hours=1)
            with pytest.raises(Exception):  # noqa: B017 - whatever the driver raises
                writer.write([sent[2], broken], late)
        with rt.sessions() as session:
            rows = session.scalars(select(Delivery).order_by(Delivery.id)).all()
            stored = [
                (r.status, r.last_reply, r.sent_at, r.message_id, r.next_attempt_at) for r in rows
            ]

    by_orm, by_driver = stored[:2], stored[2:]
    assert [s[0] for s in stored] == ["sent"] * 4
    for (_, reply, at, message_id, next_at), attempt in zip(stored, sent, strict=True):
        assert reply == f"250 ok\ufffd{attempt.claimed.id}"
        assert at == now and at.tzinfo is not None
        assert (message_id, next_at) == (attempt.message_id, None)
    assert {type(v) for row in by_orm for v in row} == {type(v) for row in by_driver for v in row}


def test_a_claim_reads_only_the_unfinished_rows_through_their_index(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    """The claim's query goes through the partial index of unfinished rows, in id order, with
    no sort: its cost does not grow with the rows already sent (it once read and sorted every
    row of the issue on every claim). The plan is SQLite's; PostgreSQL's planner, which may
    prefer a plain scan of a small table, chooses by statistics."""
    settings = write_config(smtp_config(smtp_server, max_articles=1))
    with pipeline.runtime(settings, db.utcnow()) as rt:
        if rt.engine.dialect.name != "sqlite":
            pytest.skip("the plan checked is SQLite's")
        query = (
            select(Delivery.id).where(outbox._due(1, db.utcnow())).order_by(Delivery.id).limit(200)
        )
        with rt.engine.connect() as connection:
            compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
            plan = " / ".join(
                row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}")
            )
    assert "USING INDEX ix_deliveries_unfinished" in plan, plan
    assert "TEMP B-TREE" not in plan, plan


def test_rows_are_enqueued_and_so_sent_in_the_order_readers_joined(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # Their subscriptions written in the reverse order: a database free to read the join from
    # either side (PostgreSQL's hash join) must still queue readers in their own order.
    settings = write_config(smtp_config(smtp_server, max_articles=1))
    emails = addresses(200)
    with pipeline.runtime(settings, db.utcnow()) as rt:
        pipeline.collect(rt, db.utcnow())
        with db.transaction(rt.sessions) as session:
            list_id = session.scalar(select(MailingList.id).where(MailingList.slug == "weekly"))
            ids = [
                session.scalar(
                    insert(Subscriber)
                    .values(email=e, status="active", created_at=NOW, soft_bounces=0)
                    .returning(Subscriber.id)
                )
                for e in emails
            ]
            for subscriber_id in reversed(ids):
                session.execute(
                    insert(Subscription).values(
                        subscriber_id=subscriber_id,
                        list_id=list_id,
                        status="confirmed",
                        origin="import",
                        created_at=NOW,
                        confirmed_at=NOW,
                    )
                )
        queue_everything(rt)
        with rt.sessions() as session:
            queued = list(session.scalars(select(Delivery.subscriber_id).order_by(Delivery.id)))
    assert queued == ids
