"""Sign-up and confirmation on a real database: who gets a confirmation mail, what confirms."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from digest import db
from subscribers.confirmation_window import (
    MailClaim,
    claim_confirmation_mail,
    release_confirmation_mail,
)
from subscribers.consent import consent_history
from subscribers.membership import add_subscriber, ensure_list
from subscribers.models import Subscriber, Subscription
from subscribers.preferences import erase, unsubscribe
from subscribers.signup import ConfirmationDue, SignUp, confirm, sign_up
from subscribers.suppression import suppress
from subscribers.tokens import TokenSigner, TokenSubject

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def sessions(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = db.make_engine(database_url)
    db.upgrade(engine)
    factory = db.session_factory(engine)
    with db.transaction(factory) as session:
        ensure_list(session, "weekly", "Weekly")
        ensure_list(session, "culture", "Culture")
    yield factory
    engine.dispose()


def ids(sessions: sessionmaker[Session]) -> tuple[int, int]:
    with sessions() as session:
        weekly, _ = ensure_list(session, "weekly", "Weekly")
        culture, _ = ensure_list(session, "culture", "Culture")
        return weekly.id, culture.id


def run_sign_up(sessions: sessionmaker[Session], request: SignUp, now: datetime = NOW):  # type: ignore[no-untyped-def]
    with db.transaction(sessions) as session:
        return sign_up(
            session, request, now=now, resend_after=HOUR, wording="Send it", ip_address=None
        )


def clicked(due: ConfirmationDue, sent_at: datetime = NOW) -> TokenSubject:
    """The subject of the confirmation link in the mail sent at sent_at, as the site reads it."""
    signer = TokenSigner("a test secret")
    token = signer.sign("confirm", due.subject, issued_at=sent_at)
    subject = signer.verify("confirm", token, now=sent_at, max_age=HOUR)
    assert subject is not None and subject.issued_at is not None
    return subject


def statuses(sessions: sessionmaker[Session], email: str) -> dict[int, str]:
    with sessions() as session:
        rows = session.execute(
            select(Subscription.list_id, Subscription.status)
            .join(Subscriber)
            .where(Subscriber.email == email)
        )
        return {list_id: status for list_id, status in rows}


def test_one_mail_confirms_every_list_ticked_together(sessions: sessionmaker[Session]) -> None:
    weekly, culture = ids(sessions)
    due = run_sign_up(sessions, SignUp("A@Example.net", "A", [weekly, culture], ["West Africa"]))

    assert due is not None and due.email == "a@example.net" and due.list_ids == (weekly, culture)
    assert statuses(sessions, "a@example.net") == {weekly: "pending", culture: "pending"}
    with db.transaction(sessions) as session:
        outcome = confirm(session, clicked(due), now=NOW, wording="Yes", ip_address="192.0.2.1")

    assert outcome == "confirmed"
    assert statuses(sessions, "a@example.net") == {weekly: "confirmed", culture: "confirmed"}
    with sessions() as session:
        records = consent_history(session, due.subject.subscriber_id)
    assert [(r.action, r.ip_address) for r in records] == [
        ("subscribe", None),
        ("subscribe", None),
        ("confirm", "192.0.2.1"),
        ("confirm", "192.0.2.1"),
    ]


def test_a_later_sign_up_for_another_list_is_confirmed_by_its_own_mail(
    sessions: sessionmaker[Session],
) -> None:
    weekly, culture = ids(sessions)
    first = run_sign_up(sessions, SignUp("a@example.net", None, [weekly], []))
    second = run_sign_up(sessions, SignUp("a@example.net", None, [culture], []), NOW + HOUR)
    assert first is not None and second is not None

    with db.transaction(sessions) as session:
        confirm(session, clicked(first), now=NOW, wording="Yes", ip_address=None)

    assert statuses(sessions, "a@example.net") == {weekly: "confirmed", culture: "pending"}


def test_an_earlier_mail_confirms_only_what_it_named(sessions: sessionmaker[Session]) -> None:
    weekly, culture = ids(sessions)
    first = run_sign_up(sessions, SignUp("a@example.net", None, [weekly], []))
    later = NOW + 2 * HOUR  # past the resend window: weekly's mail goes again, with culture
    second = run_sign_up(sessions, SignUp("a@example.net", None, [weekly, culture], []), later)
    assert first is not None and second is not None and second.list_ids == (weekly, culture)

    with db.transaction(sessions) as session:
        assert confirm(session, clicked(first), now=later, wording="Y", ip_address=None) == (
            "confirmed"
        )
    assert statuses(sessions, "a@example.net") == {weekly: "confirmed", culture: "pending"}

    with db.transaction(sessions) as session:  # the second mail names weekly, confirmed now
        assert confirm(
            session, clicked(second, later), now=later, wording="Y", ip_address=None
        ) == ("confirmed")
    assert statuses(sessions, "a@example.net") == {weekly: "confirmed", culture: "confirmed"}


def test_a_confirmation_never_sweeps_in_a_pending_row_no_mail_named(
    sessions: sessionmaker[Session],
) -> None:
    weekly, culture = ids(sessions)
    due = run_sign_up(sessions, SignUp("a@example.net", None, [weekly], []))
    assert due is not None
    with db.transaction(sessions) as session:
        # The mail's send reported a failure (its time reset), yet it arrived after all.
        session.execute(update(Subscription).values(confirmation_sent_at=None))
        session.add(  # an imported pending subscription: no confirmation mail went out for it
            Subscription(
                subscriber_id=due.subject.subscriber_id,
                list_id=culture,
                status="pending",
                origin="import",
                created_at=NOW,
            )
        )

    with db.transaction(sessions) as session:
        confirm(session, clicked(due), now=NOW, wording="Yes", ip_address=None)

    assert statuses(sessions, "a@example.net") == {weekly: "confirmed", culture: "pending"}


def test_suppressed_blocked_and_confirmed_addresses_get_no_mail(
    sessions: sessionmaker[Session],
) -> None:
    weekly, _ = ids(sessions)
    with db.transaction(sessions) as session:
        suppress(session, "gone@example.net", "hard_bounce", NOW)
        mailing_list, _ = ensure_list(session, "weekly", "Weekly")
        add_subscriber(session, mailing_list, "in@example.net", name=None, now=NOW)
        add_subscriber(session, mailing_list, "blocked@example.net", name=None, now=NOW)
        person = session.scalar(select(Subscriber).where(Subscriber.email == "blocked@example.net"))
        assert person is not None
        person.status = "blocked"

    for email in ("gone@example.net", "in@example.net", "blocked@example.net"):
        assert run_sign_up(sessions, SignUp(email, "X", [weekly], [])) is None
    assert statuses(sessions, "gone@example.net") == {}
    with sessions() as session:
        known = session.scalar(select(Subscriber).where(Subscriber.email == "in@example.net"))
        assert known is not None and known.name is None  # a stranger cannot rename a reader


def test_a_confirmation_link_no_longer_works_once_unsubscribed_or_erased(
    sessions: sessionmaker[Session],
) -> None:
    weekly, _ = ids(sessions)
    due = run_sign_up(sessions, SignUp("a@example.net", None, [weekly], []))
    assert due is not None
    with db.transaction(sessions) as session:
        unsubscribe(
            session,
            due.subject.subscriber_id,
            weekly,
            now=NOW,
            method="email",
            wording="One-Click",
            ip_address=None,
        )
        assert confirm(session, due.subject, now=NOW, wording="Yes", ip_address=None) == "gone"
        assert erase(session, due.subject.subscriber_id)
        gone = TokenSubject(due.subject.subscriber_id, weekly)
        assert confirm(session, gone, now=NOW, wording="Yes", ip_address=None) == "gone"
    assert statuses(sessions, "a@example.net") == {}


def test_coming_back_after_unsubscribing_is_a_new_pending_sign_up(
    sessions: sessionmaker[Session],
) -> None:
    weekly, _ = ids(sessions)
    with db.transaction(sessions) as session:
        mailing_list, _ = ensure_list(session, "weekly", "Weekly")
        sub, _ = add_subscriber(session, mailing_list, "a@example.net", name=None, now=NOW)
        sub.status = "unsubscribed"

    due = run_sign_up(sessions, SignUp("a@example.net", None, [weekly], []))

    assert due is not None
    assert statuses(sessions, "a@example.net") == {weekly: "pending"}


def test_of_two_requests_that_read_the_old_time_only_one_claims_the_mail(
    sessions: sessionmaker[Session],
) -> None:
    weekly, _ = ids(sessions)
    due = run_sign_up(sessions, SignUp("a@example.net", None, [weekly], []))
    assert due is not None
    [claim] = due.claims
    later = NOW + 2 * HOUR
    with sessions() as first, sessions() as second:
        # Both read the subscription before either writes: a read-then-write would send twice.
        for session in (first, second):
            row = session.get(Subscription, claim.subscription_id)
            assert row is not None and row.confirmation_sent_at == NOW
            session.commit()  # (SQLite would refuse a write on a stale read transaction)
        with first.begin():
            assert claim_confirmation_mail(
                first, claim.subscription_id, now=later, resend_after=HOUR
            )
        with second.begin():
            assert not claim_confirmation_mail(
                second, claim.subscription_id, now=later, resend_after=HOUR
            )


def test_giving_a_claim_back_never_undoes_a_newer_one(sessions: sessionmaker[Session]) -> None:
    weekly, _ = ids(sessions)
    due = run_sign_up(sessions, SignUp("a@example.net", None, [weekly], []))
    assert due is not None and due.claims == (MailClaim(due.claims[0].subscription_id, None),)
    later = NOW + 2 * HOUR
    newer = run_sign_up(sessions, SignUp("a@example.net", None, [weekly], []), later)
    assert newer is not None

    with db.transaction(sessions) as session:  # the first mail failed only now
        release_confirmation_mail(session, due.claims, sent_at=NOW)
    with sessions() as session:
        row = session.get(Subscription, due.claims[0].subscription_id)
        assert row is not None and row.confirmation_sent_at == later

    with db.transaction(sessions) as session:  # the newer one failed too: back to the old time
        release_confirmation_mail(session, newer.claims, sent_at=later)
    with sessions() as session:
        row = session.get(Subscription, due.claims[0].subscription_id)
        assert row is not None and row.confirmation_sent_at == NOW
    assert run_sign_up(sessions, SignUp("a@example.net", None, [weekly], []), later) is not None
