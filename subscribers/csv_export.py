"""CSV export of a list's subscriptions, in the columns import reads."""

from __future__ import annotations

import csv
from typing import IO

from sqlalchemy import case, select
from sqlalchemy.orm import Session

from subscribers.csv_rows import COLUMNS, TOPIC_SEPARATOR, for_spreadsheet
from subscribers.models import Subscriber, Subscription
from subscribers.states import SubscriberStatus, SubscriptionStatus


def export_csv(session: Session, list_id: int, out: IO[str], *, batch_size: int = 1000) -> int:
    """Write every subscription of the list (unsubscribed too, so an import elsewhere keeps
    them out) in the columns import reads; returns the number of rows written. Readers who
    bounced, complained or were blocked are written as unsubscribed, for the same reason."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = session.execute(
        select(
            Subscriber.email,
            Subscriber.name,
            case(
                (Subscriber.status != SubscriberStatus.ACTIVE, SubscriptionStatus.UNSUBSCRIBED),
                else_=Subscription.status,
            ),
            Subscriber.topics,
            Subscriber.timezone,
        )
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(Subscription.list_id == list_id)
        .order_by(Subscriber.id)
        .execution_options(yield_per=batch_size)
    )
    written = 0
    for email, name, status, topics, timezone in rows:
        writer.writerow(
            [
                for_spreadsheet(value)
                for value in (
                    email,
                    name or "",
                    status,
                    TOPIC_SEPARATOR.join(topics or []),
                    timezone or "",
                )
            ]
        )
        written += 1
    return written
