"""The database schema, versioned by Alembic migrations (dondoc/migrations).

Production upgrades as a one-shot job (`dondoc db upgrade`) before a rollout, and every other process only checks
that the database is at the revision its code knows as newest, refusing to start otherwise (`prepare`). The embedded
default (environment `dev`: `dondoc up`, the tests) upgrades when an engine is first made, as a convenience.

A database created by `create_all` before migrations existed is recognised and stamped with the revision it
matches, then upgraded like any other. Concurrent upgrades are serialised: PostgreSQL by an advisory lock, SQLite by
the write lock its transactions take at BEGIN.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
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


class SchemaMismatch(RuntimeError):
    """The database is not at the revision this code expects; the message says what to do, in Vietnamese."""


def head() -> str:
    """The newest revision this code knows."""
    revision = ScriptDirectory.from_config(config()).get_current_head()
    assert revision is not None, "dondoc/migrations has no revision"
    return revision


def check(engine: Engine) -> str:
    """The database's revision when it is the newest this code knows; else SchemaMismatch."""
    found, expected = current(engine), head()
    if found == expected:
        return found
    if found is None:
        raise SchemaMismatch(
            f"Cơ sở dữ liệu chưa có lược đồ của dondoc (cần phiên bản {expected}). "
            "Hãy chạy 'dondoc db upgrade' (job migration) trước khi khởi động worker và trang web."
        )
    known = {script.revision for script in ScriptDirectory.from_config(config()).walk_revisions()}
    if found in known:
        raise SchemaMismatch(
            f"Lược đồ cơ sở dữ liệu ở phiên bản {found}, cũ hơn phiên bản {expected} mà chương trình này cần. "
            "Hãy chạy 'dondoc db upgrade' (job migration) trước khi triển khai phiên bản mới."
        )
    raise SchemaMismatch(
        f"Lược đồ cơ sở dữ liệu ở phiên bản {found}, mới hơn mọi phiên bản chương trình này biết (mới nhất {expected}): "
        "cơ sở dữ liệu đã được một bản dondoc mới hơn nâng cấp. Hãy chạy image mới hơn, không chạy lại bản cũ."
    )


def upgrades_on_connect() -> bool:
    """Whether a process upgrades the schema itself when it first connects: only the embedded default does."""
    from dondoc.settings import get_settings

    return get_settings().environment != "production"


def prepare(engine: Engine) -> None:
    """What every new engine goes through: upgrade (embedded default) or check (production)."""
    if upgrades_on_connect():
        upgrade(engine)
    else:
        check(engine)


def current(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if "alembic_version" not in inspect(connection).get_table_names():
            return None
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
