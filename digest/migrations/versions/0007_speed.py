"""deliveries: a partial index of the unfinished rows, by issue and id, for the claims

Revision ID: 0007_speed
Revises: 0006_sources_roles
Create Date: 2026-12-05 21:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_speed"
down_revision: str | None = "0006_sources_roles"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Written out rather than imported from digest.models: a migration builds the same schema
# whenever it runs.
UNFINISHED = "status IN ('queued', 'deferred', 'sending')"


def upgrade() -> None:
    op.create_index(
        "ix_deliveries_unfinished",
        "deliveries",
        ["issue_id", "id"],
        sqlite_where=sa.text(UNFINISHED),
        postgresql_where=sa.text(UNFINISHED),
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_unfinished", table_name="deliveries")
