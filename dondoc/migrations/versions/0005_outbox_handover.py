"""The mail outbox records the handover to the relay: when a copy's DATA began (cleared once the relay answered) and
how many handovers a retry found unconfirmed (each one may have been delivered twice, same Message-ID).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 11:55:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.tables

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.add_column(sa.Column("handed_over_at", models.tables.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("unconfirmed_handovers", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_column("unconfirmed_handovers")
        batch_op.drop_column("handed_over_at")
