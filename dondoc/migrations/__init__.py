"""Alembic migrations of the read model and the app's tables (applied by `dondoc.schema.upgrade`)."""
