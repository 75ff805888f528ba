"""sources: the web app's switch, tags, selector, pages folder and origin of each source

Revision ID: 0006_sources_roles
Revises: 0005_issue_edits
Create Date: 2026-12-05 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_sources_roles"
down_revision: str | None = "0005_issue_edits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported from digest.states: a migration builds the same schema
# whenever it runs.
ORIGINS = ("config", "web")


def upgrade() -> None:
    # Existing rows came from config.yaml: enabled, no tags yet (the next start copies them).
    with op.batch_alter_table("sources") as batch:
        batch.add_column(
            sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(sa.Column("selector", sa.Text(), nullable=True))
        batch.add_column(sa.Column("pages_dir", sa.Text(), nullable=True))
        batch.add_column(
            sa.Column(
                "origin",
                sa.Enum(
                    *ORIGINS, name="origin", native_enum=False, create_constraint=True, length=16
                ),
                nullable=False,
                server_default="config",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("sources") as batch:
        for column in ("origin", "pages_dir", "selector", "tags", "enabled"):
            batch.drop_column(column)
