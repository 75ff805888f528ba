"""deliveries: no index on status alone

Revision ID: 0008_tput
Revises: 0007_speed
Create Date: 2026-12-06 05:10:00

Every delivery row changes its status twice in a send (queued -> sending when claimed, sending
-> sent when its 250 is recorded), and each change moved the row in this index too: on SQLite
about 3 us of the database's work a row and change (15.0 -> 11.7 us a row recorded three to a
commit, measured without the index). No query needs it: the claims read the partial index of
the unfinished rows (0007_speed), an issue's counts its (issue_id, subscriber_id) key, and the
metrics' count by status reads every row, as its count by reply class already does: with the
index it could count from the index alone, so a scrape of /metrics now reads the table (one
pass over the deliveries a scrape, against two row moves a message sent).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008_tput"
down_revision: str | None = "0007_speed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_deliveries_status", table_name="deliveries")


def downgrade() -> None:
    op.create_index("ix_deliveries_status", "deliveries", ["status"], unique=False)
