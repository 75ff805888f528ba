"""Database foundation: engine, sessions, the declarative Base and Alembic migrations."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    URL,
    Connection,
    DateTime,
    Engine,
    Enum,
    MetaData,
    create_engine,
    event,
    make_url,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement, ReturnTypeFromArgs
from sqlalchemy.types import Float, TypeDecorator

from digest.errors import StorageError

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps are stored as UTC and always come back timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def state_column_type(states: type[StrEnum], name: str, length: int = 16) -> Enum:
    """A column holding one of the states' values, checked by the database itself."""
    return Enum(
        states,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=length,
        validate_strings=True,
        values_callable=lambda members: [m.value for m in members],
    )


def utcnow() -> datetime:
    return datetime.now(UTC)


class clock_seconds(FunctionElement[float]):
    """Now on the database's clock, in seconds since the epoch. Workers on several machines
    compare heartbeats and share a rate through it: one clock, whatever their own say."""

    type = Float()
    inherit_cache = True


@compiles(clock_seconds, "postgresql")
def _clock_seconds_postgresql(_element: clock_seconds, _compiler: SQLCompiler, **_kw: Any) -> str:
    return "CAST(EXTRACT(EPOCH FROM statement_timestamp()) AS DOUBLE PRECISION)"


@compiles(clock_seconds, "sqlite")
def _clock_seconds_sqlite(_element: clock_seconds, _compiler: SQLCompiler, **_kw: Any) -> str:
    return "((julianday('now') - 2440587.5) * 86400.0)"


class greatest(ReturnTypeFromArgs[Any]):
    """The largest of its arguments (PostgreSQL's GREATEST, SQLite's many-argument max)."""

    inherit_cache = True


@compiles(greatest, "sqlite")
def _greatest_sqlite(element: greatest, compiler: SQLCompiler, **kw: Any) -> str:
    return f"max({compiler.process(element.clauses, **kw)})"


def make_engine(url: str, echo: bool = False) -> Engine:
    try:
        engine = create_engine(url, echo=echo, future=True)
    except (ArgumentError, NoSuchModuleError) as exc:
        raise StorageError(
            f"database.url: cannot use {url!r}: {exc}",
            hint="use sqlite:///digest.db or postgresql+psycopg://user@host:5432/dbname",
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # We issue BEGIN ourselves (below): pysqlite's own would be a deferred one, too late.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # SQLite has no FOR UPDATE (SQLAlchemy drops it silently): a claim takes the write lock
    # up front with BEGIN IMMEDIATE, so two senders never claim the same rows.
    immediate = connection.get_execution_options().get("sqlite_immediate", False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def dialect_insert(session: Session) -> Any:
    """The INSERT of the session's database, with its ON CONFLICT clauses (both speak it)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed on success and rolled back on any error."""
    with factory() as session, session.begin():
        yield session


@contextmanager
def claim_transaction(bind: Engine | sessionmaker[Session]) -> Iterator[Session]:
    """A transaction for claiming rows (or reading then writing them): BEGIN IMMEDIATE on
    SQLite (one claimer at a time; the others wait instead of failing with "database is
    locked"); on PostgreSQL an ordinary one, where claims use FOR UPDATE SKIP LOCKED."""
    if isinstance(bind, sessionmaker):
        with transaction(bind) as session:
            # The option must reach the connection before its BEGIN: asked for first.
            session.connection(execution_options={"sqlite_immediate": True})
            yield session
        return
    with bind.connect() as connection:
        connection = connection.execution_options(sqlite_immediate=True)
        with Session(bind=connection, expire_on_commit=False) as session, session.begin():
            yield session


def _alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", "digest:migrations")
    return config


def upgrade(engine: Engine) -> list[str]:
    """Apply every pending migration; return the revisions applied (empty when up to date)."""
    config = _alembic_config()
    script = ScriptDirectory.from_config(config)
    try:
        with (
            engine.connect() as connection,
            _sqlite_foreign_keys_off(connection),
            connection.begin(),
        ):
            current = MigrationContext.configure(connection).get_current_revision()
            pending = [
                rev.revision for rev in script.iterate_revisions(script.get_current_head(), current)
            ]
            if pending:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
                _check_foreign_keys(connection)
    except OperationalError as exc:
        raise StorageError(f"database {engine.url!r}: {exc.orig}") from None
    return list(reversed(pending))


@contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """Foreign keys off on SQLite while migrations rebuild tables (batch mode drops the old
    table, and with foreign keys on that drop cascades to every row referring to it). SQLite
    ignores this pragma inside a transaction: it is set on the bare DBAPI connection first."""
    if connection.dialect.name != "sqlite":
        yield
        return
    raw = connection.connection.driver_connection
    assert raw is not None
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _check_foreign_keys(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return  # PostgreSQL checks them all along
    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if broken:
        raise StorageError(
            f"database {connection.engine.url!r}: the migrations left rows pointing at nothing: "
            f"{broken[:5]}",
            hint="restore the database from its backup and report this",
        )


def head_revision() -> str | None:
    """The revision the migrations end at: where upgrade() takes a database."""
    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def backup(url: str, target: Path) -> Path:
    """Copy the SQLite database of URL to TARGET, a new file, with SQLite's online backup: a
    consistent snapshot, taken while other connections go on reading and writing. Returns the
    database's path. Any other database is refused with the tool that backs it up."""
    try:
        named = make_url(url)
    except ArgumentError as exc:
        raise StorageError(f"database.url: cannot use {url!r}: {exc}") from None
    if named.get_backend_name() != "sqlite":
        raise _not_sqlite(named, target)
    source = Path(named.database or ":memory:")
    if not source.is_file():
        raise StorageError(
            f"database.url: no SQLite database at {source}",
            hint="check database.url in config.yaml; `digest db upgrade` creates the database",
        )
    try:
        target.open("xb").close()  # claims the name: never overwrites, even in a race
    except FileExistsError:
        raise StorageError(
            f"{target} already exists: digest backup never overwrites a file",
            hint="give a new file name, e.g. with the date: digest backup digest-$(date +%F).db",
        ) from None
    except OSError as exc:
        raise StorageError(
            f"cannot write the backup to {target}: {exc.strerror}",
            hint="give a path in a folder that exists and that you may write to",
        ) from None
    try:
        # mode=rw: a database that vanished is an error, not a new empty file.
        uri = f"{source.resolve().as_uri()}?mode=rw"
        with (
            closing(sqlite3.connect(uri, uri=True, timeout=10)) as database,
            closing(sqlite3.connect(target)) as copy,
        ):
            database.backup(copy)
    except BaseException as exc:
        target.unlink(missing_ok=True)
        if isinstance(exc, sqlite3.Error):
            raise StorageError(f"backup of {source} failed: {exc}") from None
        raise
    return source


def _not_sqlite(named: URL, target: Path) -> StorageError:
    backend = named.get_backend_name()
    if backend != "postgresql":
        return StorageError(
            f"database.url is {backend}: digest backup copies SQLite databases only",
            hint="back it up with that database's own tool",
        )
    options = [f"-h {named.host}"] if named.host else []
    options += [f"-p {named.port}"] if named.port else []
    options += [f"-U {named.username}"] if named.username else []
    where = f" on {named.host}" if named.host else ""
    return StorageError(
        f"database.url is PostgreSQL ({named.database}{where}): digest backup copies SQLite "
        "databases only",
        hint=f"back it up with pg_dump: pg_dump -Fc {' '.join([*options, '-f', str(target)])} "
        f"{named.database} (restore with pg_restore)",
    )
