"""An instance's owner and team: those of the record it is about (or of whoever started
it by hand), so a sales rep reads only the processes of records they may read.

Revision ID: processes_0004
Revises: processes_0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "processes_0004"
down_revision = "processes_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("instances", sa.Column("owner_id", sa.UUID(as_uuid=False)), schema="processes")
    op.add_column("instances", sa.Column("team_id", sa.UUID(as_uuid=False)), schema="processes")


def downgrade() -> None:
    op.drop_column("instances", "team_id", schema="processes")
    op.drop_column("instances", "owner_id", schema="processes")
