"""A refusal of the sender, not of a reader, never fails or suppresses the readers.

The attack (or plain misfortune): a server that answers MAIL FROM with "553 5.1.8 Sender
address rejected: Domain not found" had every reader of the batch failed and, since the reply
holds 5.1.x, suppressed for good as a non-existent mailbox: one refusal wiped the list.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from digest import pipeline
from digest.delivery.smtp import SmtpPool
from subscribers.models import Subscriber, Suppression
from tests.delivery.scenario import NOW, addresses, load_subscribers, smtp_config, states
from tests.servers import FixtureSMTPServer

REFUSED = "553 5.1.8 <digest@news.example.org>: Sender address rejected: Domain not found"


def test_a_refused_sender_defers_the_readers_and_suppresses_none(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": 1}, retry_delay_seconds=60, max_attempts=5)
    )
    emails = addresses(4)
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        smtp_server.handler.mail_replies = [REFUSED] * 3
        pool = pipeline.make_transport(rt.settings)
        assert isinstance(pool, SmtpPool)

        first = pipeline.send(rt, "weekly", NOW, transport=pool)
        assert first.failed == 0, first
        with rt.sessions() as session:
            assert list(session.scalars(select(Suppression.email))) == []
            statuses = set(session.scalars(select(Subscriber.status)))
        assert statuses == {"active"}
        assert states(rt).get("deferred", 0) >= 3

        # Once the server takes the sender again, everyone gets the issue, once.
        later = pipeline.send(rt, "weekly", NOW + timedelta(minutes=30), transport=pool)
        assert later.failed == 0, later
    counts = smtp_server.handler.counts()
    assert all(counts[email] == 1 for email in emails), counts
