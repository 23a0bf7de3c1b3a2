"""Conclusion drafts: a conclusion prepared in SQL (typed, or imported from its document) before its follow-up
starts, with a version number guarding concurrent edits and the original document in the file store.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models.tables

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conclusion_drafts",
        sa.Column("id", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("title", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("imported", sa.JSON(), nullable=False),
        sa.Column("source_name", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("source_sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("source_size", sa.Integer(), nullable=True),
        sa.Column("source_media_type", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("workflow_id", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("created_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("updated_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.Column("started_at", models.tables.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conclusion_drafts") as batch_op:
        batch_op.create_index(batch_op.f("ix_conclusion_drafts_source_sha256"), ["source_sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_conclusion_drafts_workflow_id"), ["workflow_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("conclusion_drafts") as batch_op:
        batch_op.drop_index(batch_op.f("ix_conclusion_drafts_workflow_id"))
        batch_op.drop_index(batch_op.f("ix_conclusion_drafts_source_sha256"))
    op.drop_table("conclusion_drafts")
