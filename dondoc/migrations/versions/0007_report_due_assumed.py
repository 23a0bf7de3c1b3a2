"""A unit's report deadline may be an assumption (the conclusion sets none): the read model says so, as it does for
actions, so pages, digests and the follow-up report never state it as the conclusion's.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 13:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("units") as batch_op:
        batch_op.add_column(sa.Column("report_due_assumed", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("units") as batch_op:
        batch_op.drop_column("report_due_assumed")
