"""issue edits: lead story, section order, story overrides, a send time, the stored web version

Revision ID: 0005_issue_edits
Revises: 0004_workers
Create Date: 2026-12-05 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digest.db

revision: str = "0005_issue_edits"
down_revision: str | None = "0004_workers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("issues") as batch:
        batch.add_column(sa.Column("lead_article_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("section_order", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("story_edits", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("send_at", digest.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("web_html", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("issues") as batch:
        batch.drop_column("web_html")
        batch.drop_column("send_at")
        batch.drop_column("story_edits")
        batch.drop_column("section_order")
        batch.drop_column("lead_article_id")
