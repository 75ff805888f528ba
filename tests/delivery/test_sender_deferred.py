"""A 4xx to one message's MAIL FROM while the server takes the plain envelope sender (the bounce
address without a reader's token, else the From address), asked for right after on the same
connection, is a deferral of that message's own sender: with VERP (delivery.bounce_address)
each reader has one, so it is that reader's deferral, counted as any other, and the send goes
on. When it refuses the plain sender too (without VERP the same one asked again), every
reader's sender is refused: the server's state (ServerUnavailable, no attempt counted; see
test_server_unavailable.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from digest import pipeline
from digest.delivery.envelope import envelope_sender
from digest.errors import ServerUnavailable
from digest.models import MailingList, Subscriber
from tests.conftest import TEST_FROM
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


@pytest.mark.parametrize(
    ("bounce_address", "refused"),
    [
        (None, lambda address: address == TEST_FROM),  # no VERP: every reader's sender
        (BOUNCES, lambda address: address.endswith("@example.net")),  # the bounce domain's
    ],
    ids=["the From address", "every VERP sender"],
)
def test_a_sender_every_reader_shares_deferred_counts_no_reader(
    write_config,
    smtp_server: FixtureSMTPServer,
    bounce_address: str | None,
    refused: Callable[[str], bool],
) -> None:
    # The null sender is taken all along: only the senders of our own are refused.
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": 2}, bounce_address=bounce_address)
    )
    emails = addresses(5)
    smtp_server.handler.mail_reply_for = lambda address: DEFERRED if refused(address) else None
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        with pytest.raises(ServerUnavailable, match=re.escape(DEFERRED)):
            pipeline.send(rt, "weekly", NOW)
        assert untouched(deliveries(rt), emails)
    assert not smtp_server.handler.received


@pytest.mark.parametrize("bounce_address", [None, BOUNCES], ids=["no VERP", "VERP"])
def test_a_passing_refusal_of_mail_from_defers_one_reader_and_the_send_goes_on(
    write_config, smtp_server: FixtureSMTPServer, bounce_address: str | None
) -> None:
    settings = write_config(
        smtp_config(smtp_server, smtp={"pool_size": 1}, bounce_address=bounce_address)
    )
    emails = addresses(4)
    smtp_server.handler.mail_replies = [DEFERRED]  # the first MAIL FROM only
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        assert pipeline.send(rt, "weekly", NOW).sent == 3
        rows = deliveries(rt)
    assert sorted((r.status, r.attempts) for r in rows.values()) == [
        ("deferred", 1),
        ("sent", 1),
        ("sent", 1),
        ("sent", 1),
    ]


@pytest.mark.parametrize("reply", ["454 4.7.0 Slow down", "421 4.7.0 Too busy, closing"])
def test_a_slow_down_at_mail_from_is_every_connections_pause_not_a_readers_deferral(
    write_config, smtp_server: FixtureSMTPServer, reply: str
) -> None:
    settings = write_config(smtp_config(smtp_server, smtp={"pool_size": 1}, bounce_address=BOUNCES))
    emails = addresses(3)
    smtp_server.handler.mail_reply_for = lambda address: reply if "+" in address else None
    with pipeline.runtime(settings, NOW) as rt:
        pipeline.collect(rt, NOW)
        load_subscribers(rt, emails)
        with pytest.raises(ServerUnavailable, match=reply[:3]):
            pipeline.send(rt, "weekly", NOW)
        assert untouched(deliveries(rt), emails)
