"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import digest.models  # noqa: F401  (registers the tables)
import subscribers.models  # noqa: F401
from digest import db


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
