"""An index on the stage a lead's history moved it into, so the list's "reached this
stage" filter (the funnel's drill-down) finds the leads through it rather than reading
every lead's history.

Revision ID: leads_0011
Revises: leads_0010
Create Date: 2026-12-08
"""

from alembic import op

revision = "leads_0011"
down_revision = "leads_0010"
branch_labels = None
depends_on = None

SCHEMA = "leads"


def upgrade() -> None:
    op.create_index(
        "ix_lead_stage_history_to_stage",
        "lead_stage_history",
        ["to_stage", "lead_id"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_index("ix_lead_stage_history_to_stage", "lead_stage_history", schema=SCHEMA)
