"""schedule runs: one claimed row per (list, job, scheduled time)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24 21:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digest.db

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schedule_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_slug", sa.String(length=100), nullable=False),
        sa.Column("job", sa.String(length=16), nullable=False),
        sa.Column("scheduled_for", digest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=False),
        sa.Column("claimed_at", digest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", digest.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedule_runs")),
        sa.UniqueConstraint(
            "list_slug",
            "job",
            "scheduled_for",
            name=op.f("uq_schedule_runs_list_slug_job_scheduled_for"),
        ),
    )


def downgrade() -> None:
    op.drop_table("schedule_runs")
