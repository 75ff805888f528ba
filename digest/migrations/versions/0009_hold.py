"""workers: each worker's own stale threshold, by which the others judge its heartbeat

Revision ID: 0009_hold
Revises: 0008_tput
Create Date: 2026-12-06 07:40:00

A worker beats every sixth of its own delivery.worker_stale_seconds; another worker judged its
heartbeat by the claimer's setting. Two live workers whose settings differ (another machine's
config.yaml, an environment override) took each other's rows: one with 2 s took the rows of a
live one with the default 20 s, beating every 3.3 s, between two beats. Each row now says the
threshold its worker keeps to; rows of workers from before this revision get the default.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_hold"
down_revision: str | None = "0008_tput"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.add_column(
            sa.Column("stale_seconds", sa.Float(), nullable=False, server_default=sa.text("20"))
        )


def downgrade() -> None:
    with op.batch_alter_table("workers") as batch:
        batch.drop_column("stale_seconds")
