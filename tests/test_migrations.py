"""The migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

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


def test_rebuilding_subscribers_on_sqlite_keeps_what_refers_to_them(tmp_path: Path) -> None:
    """0010 rebuilds the subscribers table (AUTOINCREMENT): with foreign keys on, dropping the
    old table would cascade to every subscription and consent record."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        with engine.begin() as connection:
            config = db._alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "0008")
            connection.execute(
                text(
                    "INSERT INTO mailing_lists (id, slug, name, created_at)"
                    " VALUES (1, 'weekly', 'Weekly', '2026-11-24 09:00:00')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO subscribers (id, email, status, created_at, soft_bounces, topics)"
                    " VALUES (7, 'a@example.net', 'active', '2026-11-24 09:00:00', 0, '[]')"
                )
            )
            connection.execute(
                text(
                    "INSERT INTO subscriptions (subscriber_id, list_id, status, origin, created_at)"
                    " VALUES (7, 1, 'confirmed', 'cli', '2026-11-24 09:00:00')"
                )
            )
        assert "0010" in db.upgrade(engine)
        with engine.connect() as connection:
            kept = connection.execute(text("SELECT subscriber_id FROM subscriptions")).all()
            sql = connection.execute(
                text("SELECT sql FROM sqlite_master WHERE name = 'subscribers'")
            ).scalar_one()
            foreign_keys = connection.execute(text("PRAGMA foreign_keys")).scalar_one()
    finally:
        engine.dispose()
    assert kept == [(7,)]
    assert "AUTOINCREMENT" in sql
    assert foreign_keys == 1  # turned back on after the migrations


def test_0009_fills_configured_url_and_scopes_guids_by_their_site(database_url: str) -> None:
    from alembic import command
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from digest.models import Article, Source

    engine = db.make_engine(database_url)
    try:
        config = db._alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "0008")
        with Session(engine) as session, session.begin():
            # Created before 0007: no configured_url; moved since (a 301).
            old = Source(name="Old", url="https://News.example.net/feed/", configured_url=None)
            other = Source(name="Other", url="https://other.example.org/rss")
            session.add_all([old, other])
            session.flush()
            for identity, source in [
                ("guid:1", old),
                ("guid:https://news.example.net/?p=2", old),
                ("url:https://news.example.net/3", old),
                ("guid:post-4", other),
            ]:
                session.add(Article(identity=identity, source_id=source.id, url="", title="T"))
        assert "0009" in db.upgrade(engine)
        with Session(engine) as session:
            configured = dict(session.execute(select(Source.name, Source.configured_url)).all())
            identities = set(session.scalars(select(Article.identity)))
    finally:
        engine.dispose()
    assert configured == {
        "Old": "https://News.example.net/feed/",
        "Other": "https://other.example.org/rss",
    }
    assert identities == {
        "guid:news.example.net:1",
        "guid:https://news.example.net/?p=2",
        "url:https://news.example.net/3",
        "guid:other.example.org:post-4",
    }
