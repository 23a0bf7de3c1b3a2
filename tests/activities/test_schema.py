"""The schema comes from Alembic migrations: they build exactly what the models describe, on SQLite and PostgreSQL,
and a database made by `create_all` before migrations existed is recognised and upgraded without losing a row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import MetaData, Table, create_engine, insert, inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from dondoc import schema
from models.tables import ActionRow, NotificationRow
from models.web_tables import PortalLink

HEAD = ScriptDirectory.from_config(schema.config()).get_current_head()
WID = "kl-312-kl-ttra-2018"


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
    """Databases made by `create_all` (before migrations) as of either revision, without a version table; their
    rows get the later columns' defaults (an outbox row becomes a unit's copy, a portal link acts, an item has no
    reference and a stated due date)."""
    engine = fresh(database_url)
    with engine.begin() as connection:
        command.upgrade(schema.config(connection), made_as)
        connection.exec_driver_sql("DROP TABLE alembic_version")
    now = datetime(2026, 11, 23, tzinfo=UTC)
    old = MetaData()
    actions, notifications, portal_links = (
        Table(name, old, autoload_with=engine) for name in ("actions", "notifications", "portal_links")
    )
    assert "ref" not in actions.c and "letter_key" not in notifications.c and "view_only" not in portal_links.c
    with engine.begin() as connection:
        connection.execute(
            insert(actions).values(
                workflow_id=WID,
                action_id="ly-son-thu-hoi",
                unit="ly-son",
                kind="recover",
                text="Thu hồi kinh phí",
                status="open",
                due=now,
                original_due=now,
                due_version=1,
                overdue=False,
                amount_vnd=15_000_000,
                recovered_vnd=0,
            )
        )
        connection.execute(
            insert(notifications).values(
                key=f"{WID}/ly-son-thu-hoi/v1/2-overdue",
                message_id=f"<{WID}/ly-son-thu-hoi/v1/2-overdue@dondoc>",
                workflow_id=WID,
                target="ly-son-thu-hoi",
                unit="ly-son",
                step="overdue",
                recipients=["vanphong@lyson.example.vn"],
                cc=[],
                subject="[Quá hạn] KL 312/KL-Ttra – UBND huyện Lý Sơn",
                status="sent",
                attempts=1,
                created_at=now,
            )
        )
        connection.execute(
            insert(portal_links).values(id="a" * 16, workflow_id=WID, unit="ly-son", created_at=now, expires_at=now)
        )

    schema.upgrade(engine)

    assert schema.current(engine) == HEAD and differences(engine) == []
    assert {"config_documents", "unit_directory"} <= set(inspect(engine).get_table_names())
    with Session(engine) as session:
        kept = session.get(ActionRow, (WID, "ly-son-thu-hoi"))
        assert kept is not None and kept.amount_vnd == 15_000_000
        assert (kept.ref, kept.progress, kept.due_assumed) == (None, None, False)
        sent = session.get(NotificationRow, f"{WID}/ly-son-thu-hoi/v1/2-overdue")
        assert sent is not None and (sent.status, sent.recipients) == ("sent", ["vanphong@lyson.example.vn"])
        assert (sent.letter_key, sent.audience, sent.items) == ("", "unit", [])
        link = session.get(PortalLink, "a" * 16)
        assert link is not None and link.view_only is False
        kept.amount_vnd = 3_000_000_000  # beyond a 32-bit INTEGER (meaningful on PostgreSQL): a real recovery amount
        session.add(kept)
        session.commit()
    with Session(engine) as session:
        again = session.get(ActionRow, (WID, "ly-son-thu-hoi"))
        assert again is not None and again.amount_vnd == 3_000_000_000


def test_a_database_at_0002_is_upgraded_to_letters(database_url: str) -> None:
    """A database migrated to 0002 (with its version table) takes 0003: the letters' outbox and view-only links."""
    engine = fresh(database_url)
    with engine.begin() as connection:
        command.upgrade(schema.config(connection), "0002")
    assert schema.current(engine) == "0002"

    schema.upgrade(engine)

    assert schema.current(engine) == HEAD and differences(engine) == []
    columns = {table: {c["name"] for c in inspect(engine).get_columns(table)} for table in ("notifications", "actions")}
    assert {"letter_key", "audience", "items"} <= columns["notifications"]
    assert {"ref", "progress", "due_assumed"} <= columns["actions"]
    indexes = {i["name"] for i in inspect(engine).get_indexes("notifications")}
    assert "ix_notifications_letter_key" in indexes
