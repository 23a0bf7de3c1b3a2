"""Administrators' tables (configuration documents, directory of units); amounts in đồng as 64-bit integers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

import models.tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_AMOUNTS = (("actions", "amount_vnd", True), ("actions", "recovered_vnd", False), ("evidence", "recovered_vnd", True))


def upgrade() -> None:
    op.create_table(
        "config_documents",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("updated_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "unit_directory",
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
        sa.Column("contacts", sa.JSON(), nullable=False),
        sa.Column("head", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("supervisor", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=True),
        sa.Column("updated_by", sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
        sa.Column("updated_at", models.tables.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    for table, column, nullable in _AMOUNTS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(column, type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=nullable)


def downgrade() -> None:
    for table, column, nullable in _AMOUNTS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.alter_column(column, type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=nullable)
    op.drop_table("unit_directory")
    op.drop_table("config_documents")
