"""editor fields on issues (intro, subject, exclusions, approval) and article images

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 20:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digest.db

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.add_column(sa.Column("image_url", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("image_alt", sa.Text(), nullable=True))
    with op.batch_alter_table("issues", schema=None) as batch_op:
        batch_op.add_column(sa.Column("intro", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("subject_edited", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("excluded_article_ids", sa.JSON(), nullable=False, server_default="[]")
        )
        batch_op.add_column(
            sa.Column("edited_at", digest.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("edited_by", sa.String(length=200), nullable=True))
        batch_op.add_column(
            sa.Column("approval", sa.String(length=16), nullable=False, server_default="pending")
        )
        batch_op.add_column(
            sa.Column("approved_at", digest.db.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("approved_by", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issues", schema=None) as batch_op:
        for column in (
            "approved_by",
            "approved_at",
            "approval",
            "edited_by",
            "edited_at",
            "excluded_article_ids",
            "subject_edited",
            "intro",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_column("image_alt")
        batch_op.drop_column("image_url")
