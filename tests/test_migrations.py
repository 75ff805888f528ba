"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import CheckConstraint, Enum, inspect, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

import digest.models  # noqa: F401  (registers the tables)
import subscribers.models  # noqa: F401
from digest import db
from digest.models import Article, Delivery, Issue, ScheduleRun, Source
from subscribers.models import (
    LeavingAnswer,
    MailingList,
    Subscriber,
    Subscription,
    Suppression,
)

# Each test migrates a database with nothing in it, on PostgreSQL too.
pytestmark = pytest.mark.unmigrated

WHEN = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def test_migrated_schema_matches_the_models(database_url: str) -> None:
    engine = db.make_engine(database_url)
    try:
        db.upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False}
            )
            differences = compare_metadata(context, db.Base.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_upgrading_twice_applies_nothing(database_url: str) -> None:
    engine = db.make_engine(database_url)
    try:
        applied = db.upgrade(engine)
        assert applied[0] == "0001"
        assert db.current_revision(engine) == applied[-1]
        assert db.upgrade(engine) == []
    finally:
        engine.dispose()


def _state_columns() -> list[tuple[str, str, list[str]]]:
    """(table, column, allowed values) of every column the models check against a state."""
    return [
        (table.name, column.name, list(column.type.enums))
        for table in db.Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, Enum)
    ]


def test_migrated_check_constraints_are_the_models(database_url: str) -> None:
    """compare_metadata does not compare check constraints: their names are compared here."""
    declared = {
        (table.name, str(constraint.name))
        for table in db.Base.metadata.sorted_tables
        for constraint in table.constraints
        if isinstance(constraint, CheckConstraint)
    }
    engine = db.make_engine(database_url)
    try:
        db.upgrade(engine)
        inspector = inspect(engine)
        migrated = {
            (table, constraint["name"])
            for table in inspector.get_table_names()
            if table != "alembic_version"
            for constraint in inspector.get_check_constraints(table)
        }
    finally:
        engine.dispose()
    assert {table for table, _, _ in _state_columns()} <= {table for table, _ in declared}
    assert migrated == declared


def _one_row_in_each_table_with_a_state(session: Session) -> None:
    mailing_list = MailingList(slug="weekly", name="Weekly")
    subscriber = Subscriber(email="a@example.net")
    issue = Issue(
        mailing_list=mailing_list, number=1, period_start=WHEN, period_end=WHEN, subject="S"
    )
    session.add_all(
        [
            Subscription(subscriber=subscriber, mailing_list=mailing_list),
            Suppression(email="b@example.net", reason="manual"),
            Delivery(issue=issue, subscriber=subscriber, email="a@example.net"),
            ScheduleRun(list_slug="weekly", job="send", scheduled_for=WHEN),
            Article(identity="url:https://example.net/a", url="https://example.net/a", title="A"),
            LeavingAnswer(
                subscriber=subscriber, mailing_list=mailing_list, left_at=WHEN, reason="other"
            ),
            Source(name="Feed", url="https://example.net/feed.xml"),
        ]
    )


def test_the_database_refuses_a_state_the_models_do_not_know(database_url: str) -> None:
    engine = db.make_engine(database_url)
    try:
        db.upgrade(engine)
        with Session(engine) as session, session.begin():
            _one_row_in_each_table_with_a_state(session)
        with engine.connect() as connection:
            for table, column, values in _state_columns():
                assert connection.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 1, (
                    f"{table}.{column} holds a state: give {table} a row in "
                    "_one_row_in_each_table_with_a_state"
                )
                update = text(f"UPDATE {table} SET {column} = :state")
                for value in values:
                    with connection.begin_nested():
                        connection.execute(update, {"state": value})
                with pytest.raises(IntegrityError), connection.begin_nested():
                    connection.execute(update, {"state": "no-such-state"})
            connection.rollback()
    finally:
        engine.dispose()


def test_dialect_specifics_are_migrated(database_url: str) -> None:
    engine = db.make_engine(database_url)
    try:
        db.upgrade(engine)
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                # An erased reader's id is never handed out again: old links name it.
                sql = connection.execute(
                    text("SELECT sql FROM sqlite_master WHERE name = 'subscribers'")
                ).scalar_one()
                assert "AUTOINCREMENT" in sql
            else:
                # A B-tree refuses an entry over about 2.7 kB; a URL may be longer.
                method = connection.execute(
                    text(
                        "SELECT am.amname FROM pg_class c JOIN pg_am am ON am.oid = c.relam"
                        " WHERE c.relname = 'ix_articles_url'"
                    )
                ).scalar_one()
                assert method == "hash"
    finally:
        engine.dispose()
