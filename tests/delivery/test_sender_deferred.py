"""A 4xx to one message's MAIL FROM while the server takes another sender's (the null
reverse-path, asked right after on the same connection) is a deferral of that envelope sender:
with VERP (delivery.bounce_address) each reader has one, so it is that reader's deferral,
counted as any other, and the send goes on. Only when the server refuses every sender is it the
server's state (ServerUnavailable, no attempt counted: see test_server_unavailable.py). The
same envelope sender deferred twice with no message accepted between (no VERP: every reader
shares the From address) stops the send as a refusal of the sender."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from digest import pipeline
from digest.delivery.envelope import envelope_sender
from digest.errors import SenderRefused
from digest.models import MailingList, Subscriber
from tests.delivery.scenario import (
    NOW,
    addresses,
    deliveries,
    load_subscribers,
    smtp_config,
    untouched,
)
from tests.servers import FixtureSMTPServer

DEFERRED = "451 4.3.0 Temporary failure, try again later"
BOUNCES = "bounces@example.net"


def sender_of(rt: pipeline.Runtime, email: str) -> str:
    """The VERP envelope sender of this reader's messages on the weekly list."""
    with rt.sessions() as session:
        subscriber = session.scalar(select(Subscriber.id).where(Subscriber.email == email))
        list_id = session.scalar(select(MailingList.id).where(MailingList.slug == "weekly"))
    assert subscriber is not None and list_id is not None
    return envelope_sender(rt.settings, rt.signer, subscriber, list_id)


def refusing(*senders: str) -> Callable[[str], str | None]:
    return lambda address: DEFERRED if address in senders else None


@pytest.mark.parametrize("pipelining", [False, True], ids=["one by one", "pipelined"])
@pytest.mark.parametrize("pool_size", [1, 3])
@pytest.mark.parametrize("which", [0, -1], ids=["first reader", "last reader"])
def test_one_readers_envelope_sender_deferred_defers_that_reader_alone(
    write_config, smtp_server: FixtureSMTPServer, pipelining: bool, pool_size: int, which: int
) -> None:
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": pool_size}, bounce_address=BOUNCES)
    )
    emails = addresses(6)
    refused = emails[which]
    smtp_server.handler.pipelining = pipelining
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        smtp_server.handler.mail_reply_for = refusing(sender_of(rt, refused))
        report = pipeline.send(rt, "weekly", NOW)
        rows = deliveries(rt)
        assert report.sent == 5, report
        assert (rows[refused].status, rows[refused].attempts) == ("deferred", 1)
        assert rows[refused].last_reply is not None and DEFERRED in rows[refused].last_reply
        assert all(rows[e].status == "sent" for e in emails if e != refused)
        # Refused again at its retry: counted again, never a pass that ends with it untried.
        pipeline.send(rt, "weekly", NOW + timedelta(days=1))
        assert deliveries(rt)[refused].attempts == 2
    assert smtp_server.handler.counts() == {e: 1 for e in emails if e != refused}


def test_one_readers_sender_deferred_once_is_sent_at_its_retry(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 2}, bounce_address=BOUNCES))
    emails = addresses(4)
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        smtp_server.handler.mail_replies = [DEFERRED]  # the first MAIL FROM only
        assert pipeline.send(rt, "weekly", NOW).sent == 3
        assert pipeline.send(rt, "weekly", NOW + timedelta(days=1)).sent == 1
    assert smtp_server.handler.counts() == {e: 1 for e in emails}


def test_the_shared_from_address_deferred_again_stops_the_send(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}))
    emails = addresses(6)
    smtp_server.handler.mail_reply_for = refusing(settings.newsletter.from_address)
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        with pytest.raises(SenderRefused, match="451"):
            pipeline.send(rt, "weekly", NOW)
        rows = deliveries(rt)
    counted = [e for e in emails if rows[e].attempts]
    assert len(counted) == 2, {e: (rows[e].status, rows[e].attempts) for e in emails}
    assert untouched(rows, [e for e in emails if e not in counted])
    assert not smtp_server.handler.received
