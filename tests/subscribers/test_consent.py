from __future__ import annotations

from datetime import UTC, datetime

import pytest

from digest import db
from subscribers.consent import consent_history, record_consent
from subscribers.membership import add_subscriber, ensure_list

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_records_are_kept_in_order_and_checked(database_url: str) -> None:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    sessions = db.session_factory(engine)
    try:
        with db.transaction(sessions) as session:
            lst, _ = ensure_list(session, "weekly", "Weekly")
            sub, _ = add_subscriber(session, lst, "reader@example.org", name=None, now=NOW)
            record_consent(
                session,
                subscriber_id=sub.subscriber_id,
                list_id=lst.id,
                action="subscribe",
                method="form",
                wording="Send me the weekly digest",
                now=NOW,
            )
            record_consent(
                session,
                subscriber_id=sub.subscriber_id,
                list_id=lst.id,
                action="confirm",
                method="email",
                now=NOW.replace(hour=10),
            )
            with pytest.raises(ValueError, match="unknown consent method"):
                record_consent(
                    session,
                    subscriber_id=sub.subscriber_id,
                    list_id=lst.id,
                    action="confirm",
                    method="telepathy",
                    now=NOW,
                )
        with sessions() as session:
            history = consent_history(session, sub.subscriber_id)
        assert [(r.action, r.method, r.ip_address) for r in history] == [
            ("subscribe", "form", None),
            ("confirm", "email", None),
        ]
        assert history[0].wording == "Send me the weekly digest"
    finally:
        engine.dispose()
