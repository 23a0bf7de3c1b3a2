"""Who follows each conclusion (its officers), what each account chooses to receive by email, and an index of the
stored files that recorded evidence and reports use (the orphan-file sweep looks each file up there).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 11:50:00
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models.tables

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _files(value: Any) -> list[dict[str, Any]]:
    data = json.loads(value) if isinstance(value, str) else value
    return [f for f in data or [] if isinstance(f, dict) and isinstance(f.get("sha256"), str)]


def upgrade() -> None:
    with op.batch_alter_table("conclusions") as batch_op:
        batch_op.add_column(sa.Column("officers", sa.JSON(), nullable=False, server_default="[]"))
    op.create_table(
        "mail_preferences",
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("review_queue", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("digest", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("immediate_review", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("updated_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("email"),
    )
    refs = op.create_table(
        "file_refs",
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("workflow_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("owner", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.PrimaryKeyConstraint("sha256", "workflow_id", "owner"),
    )
    connection = op.get_bind()
    rows: set[tuple[str, str, str]] = set()
    for table, key in (("evidence", "evidence_id"), ("reports", "report_id")):
        for workflow_id, owner, files in connection.execute(sa.text(f"SELECT workflow_id, {key}, files FROM {table}")):
            rows |= {(f["sha256"], workflow_id, owner) for f in _files(files)}
    if rows:
        op.bulk_insert(refs, [{"sha256": s, "workflow_id": w, "owner": o} for s, w, o in sorted(rows)])


def downgrade() -> None:
    op.drop_table("file_refs")
    op.drop_table("mail_preferences")
    with op.batch_alter_table("conclusions") as batch_op:
        batch_op.drop_column("officers")
