"""The `digest db` commands: the database's schema."""

from __future__ import annotations

import click

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
