"""Confirmation and welcome mails go through the same server as the issues: they take permits
of delivery.rate_limit_per_second shared by every sender of the database, wait out a pause
another sender was asked for (421/454), and a 421 in reply to one pauses every sender."""

from __future__ import annotations

import asyncio
import time

import anyio
from sqlalchemy import select

from digest import pipeline
from digest.delivery.shared_rate import SharedRateLimit
from digest.pipeline.confirming import send_confirmation
from subscribers.models import MailingList, Subscriber
from subscribers.signup import ConfirmationDue
from subscribers.tokens import TokenSubject
from tests.delivery.scenario import NOW, load_subscribers, smtp_config
from tests.servers import Fault, FixtureSMTPServer

READER = "reader@example.org"


def confirmation_due(rt: pipeline.Runtime) -> ConfirmationDue:
    load_subscribers(rt, [READER])
    with rt.sessions() as session:
        list_id = session.scalars(select(MailingList.id)).one()
        subscriber_id = session.scalars(select(Subscriber.id)).one()
    return ConfirmationDue(TokenSubject(subscriber_id, list_id), READER, None, (list_id,))


def test_confirmation_mails_take_permits_of_the_shared_rate(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(smtp_config(smtp_server, rate_limit_per_second=4))
    with pipeline.runtime(settings, NOW) as rt:
        due = confirmation_due(rt)

        async def six() -> list[str]:
            return [(await send_confirmation(rt, due, NOW)).outcome for _ in range(6)]

        started = time.monotonic()
        outcomes = anyio.run(six)
        took = time.monotonic() - started
    assert outcomes == ["sent"] * 6
    # Six permits at four a second: 1.25 s from the first to the last, at least (half an
    # interval of tolerance for a permit used late).
    assert took >= 5 / 4 - 0.125, took


def test_a_confirmation_mail_waits_out_a_pause_another_sender_was_asked_for(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(smtp_config(smtp_server))
    with pipeline.runtime(settings, NOW) as rt:
        due = confirmation_due(rt)

        async def paused_then_confirmation() -> tuple[float, str]:
            issue_sender = SharedRateLimit(rt.engine, None)
            await issue_sender.share_slow_down(1.5)  # a 421 to another sender's message
            started = time.monotonic()
            result = await send_confirmation(rt, due, NOW)
            return time.monotonic() - started, result.outcome

        took, outcome = anyio.run(paused_then_confirmation)
    assert outcome == "sent"
    assert took >= 1.0, took


def test_a_421_to_a_confirmation_mail_pauses_every_sender(
    write_config, smtp_server: FixtureSMTPServer
) -> None:
    settings = write_config(smtp_config(smtp_server, slow_down_seconds=1.5))
    smtp_server.handler.faults[READER] = [Fault.code(421, "rcpt", "4.7.0 Try again later")]
    with pipeline.runtime(settings, NOW) as rt:
        due = confirmation_due(rt)

        async def confirmation_then_issue_sender() -> tuple[str, float]:
            result = await send_confirmation(rt, due, NOW)
            issue_sender = SharedRateLimit(rt.engine, None)
            started = time.monotonic()
            await issue_sender.acquire()
            return result.outcome, time.monotonic() - started

        outcome, waited = asyncio.run(confirmation_then_issue_sender())
    assert outcome == "deferred"
    assert waited >= 1.0, waited
