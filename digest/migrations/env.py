"""Alembic environment: runs on the connection digest.db.upgrade hands over."""

from alembic import context

import digest.models  # noqa: F401  (registers digest's tables)
import subscribers.models  # noqa: F401  (registers the audience tables)
from digest.db import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `digest db upgrade`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
