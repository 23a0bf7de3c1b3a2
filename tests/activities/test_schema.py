"""The schema comes from Alembic migrations: they build exactly what the models describe, on SQLite and PostgreSQL,
and a database made by `create_all` before migrations existed is recognised and upgraded without losing a row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from dondoc import schema
from models.tables import ActionRow

HEAD = ScriptDirectory.from_config(schema.config()).get_current_head()


def fresh(url: str) -> Engine:
    return create_engine(url)


def differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def test_migrations_build_the_schema_the_models_describe(database_url: str) -> None:
    engine = fresh(database_url)
    schema.upgrade(engine)
    assert schema.current(engine) == HEAD
    assert differences(engine) == []
    schema.upgrade(engine)  # again: nothing to do
    assert schema.current(engine) == HEAD


@pytest.mark.parametrize("made_as", ["0001", "0002"])
def test_a_database_made_before_migrations_is_upgraded_keeping_its_rows(database_url: str, made_as: str) -> None:
    """Databases made by `create_all` (before migrations) as of either revision, without a version table."""
    engine = fresh(database_url)
    with engine.begin() as connection:
        command.upgrade(schema.config(connection), made_as)
        connection.exec_driver_sql("DROP TABLE alembic_version")
    now = datetime(2026, 11, 23, tzinfo=UTC)
    row = ActionRow(
        workflow_id="kl-312-kl-ttra-2018",
        action_id="ly-son-thu-hoi",
        unit="ly-son",
        kind="recover",
        text="Thu hồi kinh phí",
        status="open",
        due=now,
        original_due=now,
        amount_vnd=15_000_000,
    )
    with Session(engine) as session:
        session.add(row)
        session.commit()

    schema.upgrade(engine)

    assert schema.current(engine) == HEAD and differences(engine) == []
    assert {"config_documents", "unit_directory"} <= set(inspect(engine).get_table_names())
    with Session(engine) as session:
        kept = session.get(ActionRow, ("kl-312-kl-ttra-2018", "ly-son-thu-hoi"))
        assert kept is not None and kept.amount_vnd == 15_000_000
        kept.amount_vnd = 3_000_000_000  # beyond a 32-bit INTEGER (meaningful on PostgreSQL): a real recovery amount
        session.add(kept)
        session.commit()
    with Session(engine) as session:
        assert (session.get(ActionRow, ("kl-312-kl-ttra-2018", "ly-son-thu-hoi")) or row).amount_vnd == 3_000_000_000
