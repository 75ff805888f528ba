"""Alembic migrations for digest's schema (applied by `digest db upgrade` and on first run)."""
