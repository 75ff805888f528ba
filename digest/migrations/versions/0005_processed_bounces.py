"""processed bounce reports, so reading a mailbox twice changes nothing

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-24 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digest.db

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "processed_bounces",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_hash", sa.String(length=64), nullable=False),
        sa.Column("processed_at", digest.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processed_bounces")),
        sa.UniqueConstraint("report_hash", name=op.f("uq_processed_bounces_report_hash")),
    )


def downgrade() -> None:
    op.drop_table("processed_bounces")
