"""The title letters address a unit's supervisor by, in the read model beside the head's: the conclusion page shows
it and its contacts form edits it. A unit projected before this revision shows no supervisor title until its next
change is projected (letters take the title from the workflow's state, which has it); its contacts form keeps the
recorded title while the supervisor stays.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("units") as batch_op:
        batch_op.add_column(sa.Column("supervisor_title", sqlmodel.sql.sqltypes.AutoString(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("units") as batch_op:
        batch_op.drop_column("supervisor_title")
