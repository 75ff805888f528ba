"""`digest backup PATH`: a consistent copy of the SQLite database, taken while it is in use."""

from __future__ import annotations

import re
import sqlite3
import threading
from pathlib import Path

import pytest

from tests.cli_runner import run_digest


@pytest.fixture
def sqlite_config(tmp_path: Path, write_config) -> Path:  # type: ignore[no-untyped-def]
    """A config on a migrated SQLite database of its own (PostgreSQL or not), with a table
    that a test can write to from another connection."""
    settings = write_config({"database": {"url": f"sqlite:///{tmp_path / 'news.db'}"}})
    upgraded = run_digest(["--config", str(settings.config_path), "db", "upgrade"])
    assert upgraded.returncode == 0, upgraded.stderr
    with sqlite3.connect(tmp_path / "news.db") as connection:
        connection.execute("CREATE TABLE ticks (n INTEGER NOT NULL)")
        connection.executemany("INSERT INTO ticks VALUES (?)", [(n,) for n in range(1000)])
    return settings.config_path


def test_backup_copies_the_database_while_another_connection_writes(
    sqlite_config: Path, tmp_path: Path
) -> None:
    stop = threading.Event()
    written: list[int] = []

    def write() -> None:
        with sqlite3.connect(tmp_path / "news.db", timeout=10, isolation_level=None) as db:
            n = 1000
            while not stop.is_set():
                db.execute("INSERT INTO ticks VALUES (?)", (n,))
                written.append(n)
                n += 1

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(written) < 50:
            stop.wait(0.01)
        backup = run_digest(["--config", str(sqlite_config), "backup", "copy.db"], cwd=tmp_path)
    finally:
        stop.set()
        writer.join()

    assert backup.returncode == 0, backup.stderr
    copy = tmp_path / "copy.db"
    size = copy.stat().st_size
    assert re.fullmatch(
        rf"Backed up .*news\.db to .*copy\.db \({size:,} bytes, .*B\)\n", backup.stdout
    )
    with sqlite3.connect(f"file:{copy}?mode=ro", uri=True) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        [(count, top)] = connection.execute("SELECT count(*), max(n) FROM ticks").fetchall()
        # Every row committed before the backup began, and a consistent snapshot: no gaps.
        assert count >= 1050 and top == count - 1
        assert connection.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    assert len(written) > count - 1000  # the writer went on while the copy was taken


def test_backup_refuses_to_overwrite_a_file(sqlite_config: Path, tmp_path: Path) -> None:
    existing = tmp_path / "copy.db"
    existing.write_bytes(b"yesterday's backup")
    refused = run_digest(["--config", str(sqlite_config), "backup", str(existing)])
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        f"error: {existing} already exists: digest backup never overwrites a file",
        "hint: give a new file name, e.g. with the date: digest backup digest-$(date +%F).db",
    ]
    assert existing.read_bytes() == b"yesterday's backup"


def test_backup_of_a_missing_database_creates_nothing(tmp_path: Path, write_config) -> None:  # type: ignore[no-untyped-def]
    settings = write_config({"database": {"url": f"sqlite:///{tmp_path / 'none.db'}"}})
    missing = run_digest(["--config", str(settings.config_path), "backup", "copy.db"], cwd=tmp_path)
    assert missing.returncode == 1
    assert f"error: database.url: no SQLite database at {tmp_path / 'none.db'}" in missing.stderr
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "copy.db").exists()


def test_backup_of_postgresql_names_pg_dump(tmp_path: Path, write_config) -> None:  # type: ignore[no-untyped-def]
    url = "postgresql+psycopg://digest:s3cret@db.internal:5432/news"
    settings = write_config({"database": {"url": url}})
    refused = run_digest(["--config", str(settings.config_path), "backup", "news.dump"])
    assert refused.returncode == 1
    assert refused.stderr.splitlines() == [
        "error: database.url is PostgreSQL (news on db.internal): digest backup copies SQLite "
        "databases only",
        "hint: back it up with pg_dump: pg_dump -Fc -h db.internal -p 5432 -U digest -f "
        "news.dump news (restore with pg_restore)",
    ]
    assert "s3cret" not in refused.stderr
    assert not (tmp_path / "news.dump").exists()
