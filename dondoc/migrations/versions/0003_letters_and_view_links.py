"""Letters: an outbox row per copy of a letter (its key, audience and items); read-only portal links; items keep
their reference, assumed due dates and prior progress; unit heads their titles.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.add_column(
            sa.Column("letter_key", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False, server_default="")
        )
        batch_op.add_column(
            sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default="unit")
        )
        batch_op.add_column(sa.Column("items", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.create_index(batch_op.f("ix_notifications_letter_key"), ["letter_key"], unique=False)
    with op.batch_alter_table("portal_links") as batch_op:
        batch_op.add_column(sa.Column("view_only", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("actions") as batch_op:
        batch_op.add_column(sa.Column("ref", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column("progress", sqlmodel.sql.sqltypes.AutoString(), nullable=True))
        batch_op.add_column(sa.Column("due_assumed", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("units") as batch_op:
        batch_op.add_column(sa.Column("head_title", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("units") as batch_op:
        batch_op.drop_column("head_title")
    with op.batch_alter_table("actions") as batch_op:
        batch_op.drop_column("due_assumed")
        batch_op.drop_column("progress")
        batch_op.drop_column("ref")
    with op.batch_alter_table("portal_links") as batch_op:
        batch_op.drop_column("view_only")
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_index(batch_op.f("ix_notifications_letter_key"))
        batch_op.drop_column("items")
        batch_op.drop_column("audience")
        batch_op.drop_column("letter_key")
