"""An index on why a deal was lost, for the list's filter by loss reason (the drill-down
from the loss reasons' figure): a rare reason is found without walking every deal.

Revision ID: sales_0010
Revises: sales_0009
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "sales_0010"
down_revision = "sales_0009"
branch_labels = None
depends_on = None

SCHEMA = "sales"


def upgrade() -> None:
    op.create_index(
        "ix_opportunities_lost_reason",
        "opportunities",
        ["lost_reason"],
        schema=SCHEMA,
        postgresql_where=sa.text("lost_reason IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_opportunities_lost_reason", "opportunities", schema=SCHEMA)
