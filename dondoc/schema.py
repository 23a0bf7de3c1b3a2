"""The database schema, kept current by Alembic migrations (dondoc/migrations) whenever an engine is first made.

A database created by `create_all` before migrations existed is recognised and stamped with the revision it
matches, then upgraded like any other. Concurrent starts (worker and web app) are serialised: PostgreSQL by an
advisory lock, SQLite by the write lock its transactions take at BEGIN.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect
from sqlalchemy.engine import Connection, Engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_LOCK_KEY = 0x646F6E646F63  # "dondoc"
# Revisions of databases made by create_all, newest first: the table whose presence shows each.
_BEFORE_MIGRATIONS = (("config_documents", "0002"), ("conclusions", "0001"))


def config(connection: Connection | None = None) -> Config:
    settings = Config()
    settings.set_main_option("script_location", str(MIGRATIONS))
    settings.attributes["connection"] = connection
    return settings


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest revision (a no-op when it is there already)."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")
        tables = set(inspect(connection).get_table_names())
        if "alembic_version" not in tables:
            baseline = next((rev for table, rev in _BEFORE_MIGRATIONS if table in tables), None)
            if baseline is not None:
                command.stamp(config(connection), baseline)
        command.upgrade(config(connection), "head")


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if "alembic_version" not in inspect(connection).get_table_names():
            return None
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
