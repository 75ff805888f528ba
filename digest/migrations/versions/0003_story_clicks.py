"""story clicks: a count per (issue, story), and per reader only when analytics.per_reader

Revision ID: 0003_story_clicks
Revises: 0002_leaving_answers
Create Date: 2026-12-05 09:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_story_clicks"
down_revision: str | None = "0002_leaving_answers"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _story_columns(table: str) -> list[sa.Column[int] | sa.ForeignKeyConstraint]:
    return [
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f(f"fk_{table}_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["issues.id"],
            name=op.f(f"fk_{table}_issue_id_issues"),
            ondelete="CASCADE",
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "story_clicks",
        *_story_columns("story_clicks"),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("issue_id", "article_id", name=op.f("pk_story_clicks")),
    )
    op.create_table(
        "reader_clicks",
        *_story_columns("reader_clicks"),
        sa.Column("subscriber_id", sa.Integer(), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.id"],
            name=op.f("fk_reader_clicks_subscriber_id_subscribers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "issue_id", "article_id", "subscriber_id", name=op.f("pk_reader_clicks")
        ),
    )


def downgrade() -> None:
    op.drop_table("reader_clicks")
    op.drop_table("story_clicks")
