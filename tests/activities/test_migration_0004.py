"""Migration 0004 on a database with recorded submissions: conclusions get officers (none yet), and the index of
referenced files is filled from the evidence and reports already recorded, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from dondoc import schema
from models.tables import ConclusionRow, FileRefRow

SHA_A, SHA_B, SHA_C = "a" * 64, "b" * 64, "c" * 64


def file(sha256: str) -> dict[str, object]:
    return {"name": f"{sha256[0]}.pdf", "sha256": sha256, "size": 10, "content_type": "application/pdf"}


def test_upgrading_indexes_the_files_of_submissions_already_recorded(database_url: str) -> None:
    engine = create_engine(database_url)
    with engine.begin() as connection:
        command.upgrade(schema.config(connection), "0003")
    now, day = datetime(2026, 11, 1, tzinfo=UTC), date(2026, 3, 1)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO conclusions (workflow_id, number, issued_on, received_on, issuer, title, tracking_body, "
                "inspectorate_head, agency_head, status, unit_count, action_count, open_actions, overdue_actions, "
                "version) VALUES ('kl-1', '1/KL', :day, :day, 'x', 'x', 'x', 'h@x.vn', 'a@x.vn', 'active', 1, 1, 1, "
                "0, 1)"
            ),
            {"day": day},
        )
        for table, key, owner, files in (
            ("evidence", "evidence_id", "ev-1", [file(SHA_A), file(SHA_B)]),
            ("evidence", "evidence_id", "ev-2", [file(SHA_A)]),
            ("reports", "report_id", "rp-1", [file(SHA_C)]),
        ):
            extra = ", action_id" if table == "evidence" else ", unit"
            connection.execute(
                text(
                    f"INSERT INTO {table} (workflow_id, {key}{extra}, files, note, status, submitted_by, submitted_at) "
                    "VALUES ('kl-1', :owner, 'a1', :files, '', 'submitted', 'u@x.vn', :at)"
                ),
                {"owner": owner, "files": json.dumps(files), "at": now},
            )

    schema.upgrade(engine)

    with Session(engine) as session:
        refs = {(r.sha256, r.owner) for r in session.exec(select(FileRefRow)).all()}
        conclusion = session.get(ConclusionRow, "kl-1")
    assert refs == {(SHA_A, "ev-1"), (SHA_B, "ev-1"), (SHA_A, "ev-2"), (SHA_C, "rp-1")}
    assert conclusion is not None and conclusion.officers == []
    engine.dispose()
