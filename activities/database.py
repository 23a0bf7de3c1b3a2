"""Database engines for the read model: SQLite by default, PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import Table, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel, create_engine

from dondoc import schema


@lru_cache(maxsize=8)
def get_engine(url: str) -> Engine:
    """One engine per URL, its schema at the newest revision (upgraded in the embedded default, checked in production)."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        # pysqlite defers BEGIN to the first write and ignores FOR UPDATE: take the write lock at BEGIN instead,
        # so a version check and the write it guards are one atomic step (as FOR UPDATE makes them on PostgreSQL).
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30, "isolation_level": None})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _begin_immediate)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    schema.prepare(engine)
    return engine


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def upsert(session: Session, rows: Sequence[SQLModel], overwrite: bool = True) -> int:
    """Insert `rows` (all of one table) in one statement, not a read and a write per row; a row whose key exists is
    overwritten, or left as it is (`overwrite=False`). Returns how many rows the statement wrote (with
    `overwrite=False`: how many were new)."""
    if not rows:
        return 0
    table: Table = type(rows[0]).__table__  # type: ignore[attr-defined]
    statement = _upsert_statement(table, session.get_bind().dialect.name, overwrite)
    values = [{column.name: getattr(row, column.name) for column in table.columns} for row in rows]
    written = session.connection().execute(statement, values)
    return len(written.all())


@lru_cache(maxsize=64)
def _upsert_statement(table: Table, dialect: str, overwrite: bool) -> Any:
    """The INSERT … ON CONFLICT … RETURNING of `table`, built once: building it (the `excluded` alias with a proxy
    of every column) cost more than running it, for every outbox claim and projection."""
    insert: Any = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    keys = [column.name for column in table.primary_key.columns]
    others = {column.name: statement.excluded[column.name] for column in table.columns if column.name not in keys}
    statement = (
        statement.on_conflict_do_update(index_elements=keys, set_=others)
        if others and overwrite
        else statement.on_conflict_do_nothing(index_elements=keys)
    )
    return statement.returning(*table.primary_key.columns)
