"""The confirmation mail is built off the event loop: its database read, render and signature
would otherwise stall every other request the app is serving."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import anyio
from sqlalchemy import event, select

from digest import pipeline
from digest.pipeline.confirming import send_confirmation
from subscribers.models import MailingList, Subscriber
from subscribers.signup import ConfirmationDue
from subscribers.tokens import TokenSubject

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_the_message_is_built_in_a_worker_thread(write_config) -> None:  # type: ignore[no-untyped-def]
    settings = write_config()
    with pipeline.runtime(settings, NOW) as rt:
        with rt.sessions() as session:
            list_id = session.scalars(select(MailingList.id)).one()
            subscriber_id = session.scalars(select(Subscriber.id)).one()
        due = ConfirmationDue(
            TokenSubject(subscriber_id, list_id), "reader@example.org", None, (list_id,)
        )
        queried_on: list[int] = []

        @event.listens_for(rt.engine, "before_cursor_execute")
        def note_thread(*_: Any) -> None:
            queried_on.append(threading.get_ident())

        async def send() -> tuple[int, str]:
            result = await send_confirmation(rt, due, NOW)
            return threading.get_ident(), result.outcome

        loop_thread, outcome = anyio.run(send)

    assert outcome == "sent"
    assert queried_on and loop_thread not in queried_on
