"""editor sessions and sign-in throttles, kept in the database for every process to share

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import digest.db

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "editor_sessions",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("username", sa.Text(), nullable=False),
        sa.Column("created_at", digest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", digest.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_editor_sessions")),
    )
    op.create_index(
        op.f("ix_editor_sessions_expires_at"), "editor_sessions", ["expires_at"], unique=False
    )
    op.create_table(
        "sign_in_throttles",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_started_at", digest.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("locked_until", digest.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("expires_at", digest.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_sign_in_throttles")),
    )
    op.create_index(
        op.f("ix_sign_in_throttles_expires_at"), "sign_in_throttles", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sign_in_throttles_expires_at"), table_name="sign_in_throttles")
    op.drop_table("sign_in_throttles")
    op.drop_index(op.f("ix_editor_sessions_expires_at"), table_name="editor_sessions")
    op.drop_table("editor_sessions")
