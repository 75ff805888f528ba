"""Where an idle sender says an issue's rows stand: the next retry is the earliest of every
deferred row, whichever worker deferred it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from digest import db, pipeline
from digest.delivery import outbox
from digest.delivery.workers import Heartbeat
from digest.models import Delivery
from tests.delivery.scenario import addresses, queued_issue, smtp_config
from tests.servers import FixtureSMTPServer


@pytest.mark.parametrize("live_first", [True, False], ids=["live earliest", "gone earliest"])
def test_the_next_retry_is_the_earliest_of_all_deferred_rows(
    write_config, smtp_server: FixtureSMTPServer, live_first: bool
) -> None:
    settings = write_config(smtp_config(smtp_server, max_articles=1))
    now = db.utcnow().replace(microsecond=0)
    soon, later = now + timedelta(minutes=5), now + timedelta(hours=2)
    with pipeline.runtime(settings, now) as rt:
        queued_issue(rt, addresses(4))
        # Deferred rows name the worker that deferred them: one still at work, one gone. The
        # count groups them apart, and either group may hold the earliest retry.
        live = Heartbeat(rt.engine, settings.delivery.worker_stale_seconds)
        live.start()
        try:
            with db.claim_transaction(rt.engine) as session:
                ids = sorted(session.scalars(select(Delivery.id)))
                for rows, worker, at in (
                    (ids[:2], live.id, soon if live_first else later),
                    (ids[2:], "gone:1:dead", later if live_first else soon),
                ):
                    session.execute(
                        update(Delivery)
                        .where(Delivery.id.in_(rows))
                        .values(status="deferred", worker_id=worker, next_attempt_at=at)
                    )
            with rt.sessions() as session:
                (issue_id,) = set(session.scalars(select(Delivery.issue_id)))
                pending = outbox.pending(session, issue_id)
        finally:
            live.stop()
    assert pending.deferred == 4
    assert pending.next_retry_at == soon, (pending.next_retry_at, soon, later)
