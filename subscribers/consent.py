"""Consent records: each subscribe, confirm, unsubscribe, resubscribe (the undo of an
unsubscribe) or preference change, kept as proof."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from subscribers.models import ConsentRecord

ACTIONS = ("subscribe", "confirm", "unsubscribe", "resubscribe", "preferences")
METHODS = ("form", "import", "api", "cli", "config", "email")


def record_consent(
    session: Session,
    *,
    subscriber_id: int,
    list_id: int | None,
    action: str,
    method: str,
    now: datetime,
    wording: str = "",
    ip_address: str | None = None,
) -> ConsentRecord:
    """Add the record; pass ip_address only when the configuration asks to keep it."""
    if action not in ACTIONS:
        raise ValueError(f"unknown consent action {action!r}")
    if method not in METHODS:
        raise ValueError(f"unknown consent method {method!r}")
    record = ConsentRecord(
        subscriber_id=subscriber_id,
        list_id=list_id,
        action=action,
        method=method,
        wording=wording,
        ip_address=ip_address,
        created_at=now,
    )
    session.add(record)
    return record


def consent_history(session: Session, subscriber_id: int) -> list[ConsentRecord]:
    """A subscriber's records, oldest first."""
    return list(
        session.scalars(
            select(ConsentRecord)
            .where(ConsentRecord.subscriber_id == subscriber_id)
            .order_by(ConsentRecord.created_at, ConsentRecord.id)
        )
    )
