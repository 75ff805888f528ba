"""Fixtures shared by the whole suite: database (SQLite or PostgreSQL), HTTP and SMTP servers."""

from __future__ import annotations

import importlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml

import digest.models  # noqa: F401 (the models' tables, for db.Base.metadata)
import subscribers.models  # noqa: F401
from digest import db
from digest.config import Settings, load_settings
from tests.browser import browser  # noqa: F401
from tests.servers import FixtureHTTPServer, FixtureSMTPServer

# A pytest-xdist worker starts with COLUMNS set, and so does a test's run of the CLI
# (tests/cli_runner.py): rich fixes the CLI's width from it when digest.cli.output is first
# imported (on a command's first run), and later tests' own COLUMNS would not count. Imported
# here, without COLUMNS, its consoles read each test's own.
os.environ.pop("COLUMNS", None)
importlib.import_module("digest.cli.output")

REPO = Path(__file__).resolve().parent.parent
SAMPLES = REPO / "digest" / "samples"
_HEAD = db.head_revision()
# The newsletter's sender in write_config's configs.
TEST_FROM = "digest@weekly.example.net"
TEST_POSTAL_ADDRESS = "The Weekly, 4 Quay Street, Tangier 90000, Morocco"


@pytest.fixture(scope="session")
def postgresql_url() -> str | None:
    """The PostgreSQL database named by DIGEST_TEST_DATABASE_URL (None: SQLite). Under
    pytest-xdist each worker gets a database of its own beside it (test_gw0, test_gw1, ...),
    created on first use, so workers never drop each other's tables."""
    url = os.environ.get("DIGEST_TEST_DATABASE_URL")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    named = sa.make_url(url)
    own = named.set(database=f"{named.database}_{worker}")
    admin = sa.create_engine(named, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": own.database},
            )
            if not exists:
                connection.execute(sa.text(f'CREATE DATABASE "{own.database}"'))
    finally:
        admin.dispose()
    return own.render_as_string(hide_password=False)


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgresql_url: str | None
) -> Iterator[str]:
    """SQLite in a temp dir (new, so unmigrated), or this worker's PostgreSQL database at the
    head revision with every table empty and every sequence restarted: emptying rows is a
    tenth of the time of building the schema anew before each test. A test marked
    `unmigrated` gets the PostgreSQL database with nothing in it."""
    if not postgresql_url:
        yield f"sqlite:///{tmp_path / 'digest.db'}"
        return
    engine = sa.create_engine(postgresql_url)
    try:
        if request.node.get_closest_marker("unmigrated") or not _emptied(engine):
            _drop_schema(engine)
            if not request.node.get_closest_marker("unmigrated"):
                migrated = db.make_engine(postgresql_url)
                try:
                    db.upgrade(migrated)
                finally:
                    migrated.dispose()
    finally:
        engine.dispose()
    yield postgresql_url


def _drop_schema(engine: sa.Engine) -> None:
    """Tables, sequences, types and alembic's version table, all gone."""
    with engine.begin() as connection:
        connection.execute(sa.text("DROP SCHEMA public CASCADE"))
        connection.execute(sa.text("CREATE SCHEMA public"))


def _emptied(engine: sa.Engine) -> bool:
    """Empty every table and restart every sequence if the database holds exactly the
    models' tables at the head revision; False (nothing done) if it holds anything else."""
    tables = [table.name for table in reversed(db.Base.metadata.sorted_tables)]
    with engine.begin() as connection:
        present = set(
            connection.scalars(
                sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            )
        )
        if present != {*tables, "alembic_version"}:
            return False
        if connection.scalar(sa.text("SELECT version_num FROM alembic_version")) != _HEAD:
            return False
        for table in tables:
            connection.execute(sa.text(f'DELETE FROM "{table}"'))
        for sequence in connection.scalars(
            sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'")
        ):
            connection.execute(sa.text(f'ALTER SEQUENCE "{sequence}" RESTART'))
    return True


@pytest.fixture
def http_server() -> Iterator[FixtureHTTPServer]:
    server = FixtureHTTPServer(root=SAMPLES).start()
    yield server
    server.stop()


@pytest.fixture
def sample_sources(http_server: FixtureHTTPServer) -> list[dict[str, str]]:
    """The two bundled sample feeds as config sources, served by the fixture HTTP server."""
    return [
        {
            "name": "Maghreb Dispatch",
            "url": http_server.url("/feeds/northern-africa.xml"),
            "region": "Northern Africa",
        },
        {
            "name": "Sahel & Coast",
            "url": http_server.url("/feeds/west-africa.atom"),
            "region": "West Africa",
        },
    ]


@pytest.fixture
def smtp_server() -> Iterator[FixtureSMTPServer]:
    server = FixtureSMTPServer().start()
    yield server
    server.stop()


@pytest.fixture
def write_config(tmp_path: Path, database_url: str):  # type: ignore[no-untyped-def]
    """Write a config.yaml into tmp_path from a dict (merged over test defaults) and load it."""

    def write(overrides: dict | None = None, environ: dict[str, str] | None = None) -> Settings:
        config = {
            # Not the shipped placeholders, which an SMTP send refuses.
            "newsletter": {"from_address": TEST_FROM, "postal_address": TEST_POSTAL_ADDRESS},
            "database": {"url": database_url},
            "paths": {"templates": str(REPO / "templates"), "previews": "previews"},
            "delivery": {"transport": "file", "file": {"directory": "outbox"}},
            # No security section: each test's install makes its own secret file beside this
            # config, as a fresh install does.
            # The fixture servers listen on loopback, which the SSRF guard refuses otherwise.
            "collect": {"allow_private_hosts": ["127.0.0.1"]},
            "lists": [
                {
                    "slug": "weekly",
                    "name": "The Weekly",
                    "timezone": "UTC",
                    "demo_subscribers": ["reader@example.org"],
                }
            ],
        }
        for key, value in (overrides or {}).items():
            if isinstance(value, dict) and isinstance(config.get(key), dict):
                config[key] = {**config[key], **value}  # type: ignore[dict-item]
            else:
                config[key] = value
        path = tmp_path / "config.yaml"
        path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
        return load_settings(path, environ=environ or {})

    return write
