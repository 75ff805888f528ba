"""leaving_answers: why a reader left a list (the optional question after unsubscribing)

The reasons' values are written out here rather than taken from subscribers.states, as in
the baseline: a migration must build the same schema whenever it runs.

Revision ID: 0002_leaving_answers
Revises: 0001
Create Date: 2026-12-05 09:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digest.db

revision: str = "0002_leaving_answers"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REASONS = ("too_many", "not_relevant", "too_long", "never_signed_up", "other")


def upgrade() -> None:
    op.create_table(
        "leaving_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("left_at", digest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(*REASONS, name="reason", native_enum=False, create_constraint=True, length=16),
            nullable=False,
        ),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("answered_at", digest.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["mailing_lists.id"],
            name=op.f("fk_leaving_answers_list_id_mailing_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_leaving_answers_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leaving_answers")),
        sa.UniqueConstraint(
            "subscriber_id",
            "list_id",
            "left_at",
            name=op.f("uq_leaving_answers_subscriber_id_list_id_left_at"),
        ),
    )
    op.create_index(
        op.f("ix_leaving_answers_list_id"), "leaving_answers", ["list_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_leaving_answers_list_id"), table_name="leaving_answers")
    op.drop_table("leaving_answers")
