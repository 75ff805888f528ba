"""A refusal of the sender, not of a reader, never fails or suppresses the readers.

The attack (or plain misfortune): a server that answers MAIL FROM with "553 5.1.8 Sender
address rejected: Domain not found" had every reader of the batch failed and, since the reply
holds 5.1.x, suppressed for good as a non-existent mailbox: one refusal wiped the list. Deferred
instead, each refusal spent an attempt of every reader, until they all failed: the send stops.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from digest import pipeline
from digest.delivery.smtp import SmtpPool
from digest.errors import SenderRefused
from digest.models import Delivery
from subscribers.models import Subscriber, Suppression
from tests.delivery.scenario import NOW, addresses, load_subscribers, smtp_config, states
from tests.servers import FixtureSMTPServer

REFUSED = "553 5.1.8 <digest@news.example.org>: Sender address rejected: Domain not found"


def test_a_refused_sender_stops_the_send_and_fails_or_suppresses_none(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    # Until the fix for issue 14 (review point 4) a refused sender deferred every reader of
    # the batch, spending an attempt of each; now the send stops at the first refusal and no
    # reader's row changes: the expectations below say so.
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

        for minutes in range(3):
            with pytest.raises(SenderRefused, match="refused the sender"):
                pipeline.send(rt, "weekly", NOW + timedelta(minutes=minutes), transport=pool)
            with rt.sessions() as session:
                assert list(session.scalars(select(Suppression.email))) == []
                statuses = set(session.scalars(select(Subscriber.status)))
                attempts = set(session.scalars(select(Delivery.attempts)))
            assert statuses == {"active"}
            assert states(rt) == {"queued": 4} and attempts == {0}

        # Once the server takes the sender again, everyone gets the issue, once.
        later = pipeline.send(rt, "weekly", NOW + timedelta(minutes=30), transport=pool)
        assert later.failed == 0 and later.sent == 4, later
    counts = smtp_server.handler.counts()
    assert all(counts[email] == 1 for email in emails), counts
