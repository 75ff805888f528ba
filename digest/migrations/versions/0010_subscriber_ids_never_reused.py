"""subscribers' ids are never reused on SQLite (AUTOINCREMENT)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _rebuild_subscribers(autoincrement=True)


def downgrade() -> None:
    _rebuild_subscribers(autoincrement=False)


def _rebuild_subscribers(*, autoincrement: bool) -> None:
    # PostgreSQL's sequences never hand out an id twice: nothing to do there. SQLite without
    # AUTOINCREMENT reuses the highest id once its row is deleted; only a rebuilt table gets it
    # (digest.db.upgrade turns foreign keys off around this, or dropping the old table would
    # cascade to every subscription, consent record and delivery).
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table(
        "subscribers", recreate="always", table_kwargs={"sqlite_autoincrement": autoincrement}
    ):
        pass
