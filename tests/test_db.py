"""digest.db's transactions on SQLite: a claim takes the write lock at BEGIN."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from digest import db


@pytest.mark.parametrize("form", ["engine", "sessionmaker"])
def test_a_claim_holds_the_write_lock_before_it_writes(tmp_path: Path, form: str) -> None:
    path = tmp_path / "claims.db"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    factory = db.session_factory(engine)
    bind: Engine | sessionmaker[Session] = engine if form == "engine" else factory
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        with db.claim_transaction(bind) as session:
            session.connection()  # begun, nothing read or written yet
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # released with the transaction
        other.execute("ROLLBACK")
    finally:
        other.close()
        engine.dispose()
