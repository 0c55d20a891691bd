"""Parked completions: an activity of a user task completed before the answer that
names it reached the task waits here for that answer.

Revision ID: processes_0005
Revises: processes_0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "processes_0005"
down_revision = "processes_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parked_completions",
        sa.Column("activity_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("data", JSONB, nullable=False),
        sa.Column("actor", JSONB, nullable=True),
        sa.Column("parked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("activity_id", name=op.f("pk_parked_completions")),
        schema="processes",
    )


def downgrade() -> None:
    op.drop_table("parked_completions", schema="processes")
