"""The database's commands: `digest db` (its schema) and `digest backup`."""

from __future__ import annotations

from pathlib import Path

import click
from rich.filesize import decimal

from digest import db
from digest.cli.context import Invocation
from digest.cli.output import out


@click.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@click.pass_obj
def db_upgrade(state: Invocation) -> None:
    """Apply pending migrations."""
    engine = db.make_engine(state.settings.database_url)
    try:
        applied = db.upgrade(engine)
        revision = db.current_revision(engine)
    finally:
        engine.dispose()
    if applied:
        out.print(f"Applied {len(applied)} migration(s): {', '.join(applied)} (now at {revision})")
    else:
        out.print(f"Database is up to date (at {revision})")


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_obj
def backup(state: Invocation, path: Path) -> None:
    """Copy the SQLite database to PATH, a new file, while digest goes on using it."""
    source = db.backup(state.settings.database_url, path)
    size = path.stat().st_size
    out.print(f"Backed up {source} to {path} ({size:,} bytes, {decimal(size)})", markup=False)
