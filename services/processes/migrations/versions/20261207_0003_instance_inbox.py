"""An instance's inbox: record events about its record that came while it was busy
(an action under way) and that it may wait for once the action answers.

Revision ID: processes_0003
Revises: processes_0002
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "processes_0003"
down_revision = "processes_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "instances",
        sa.Column(
            "inbox",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default="[]",
            nullable=False,
        ),
        schema="processes",
    )


def downgrade() -> None:
    op.drop_column("instances", "inbox", schema="processes")
