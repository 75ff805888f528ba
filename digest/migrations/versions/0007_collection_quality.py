"""collection quality: moved source urls, Retry-After, merged regions, language, duplicates

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digest.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        batch.add_column(sa.Column("configured_url", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column("retry_after_at", digest.db.UTCDateTime(timezone=True), nullable=True)
        )
    with op.batch_alter_table("articles") as batch:
        batch.add_column(sa.Column("regions", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("language", sa.String(length=35), nullable=True))
        batch.add_column(sa.Column("duplicate_of_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_articles_duplicate_of_id_articles"),
            "articles",
            ["duplicate_of_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("articles") as batch:
        batch.drop_constraint(op.f("fk_articles_duplicate_of_id_articles"), type_="foreignkey")
        batch.drop_column("duplicate_of_id")
        batch.drop_column("language")
        batch.drop_column("regions")
    with op.batch_alter_table("sources") as batch:
        batch.drop_column("retry_after_at")
        batch.drop_column("configured_url")
