"""Where an activity came from: ``source`` (google, exchange; NULL when made in Osprey),
set by the calendar integrations so a timeline says which calendar a meeting came from.

Revision ID: sales_0011
Revises: sales_0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "sales_0011"
down_revision = "sales_0010"
branch_labels = None
depends_on = None

SCHEMA = "sales"


def upgrade() -> None:
    op.add_column("activities", sa.Column("source", sa.String(20)), schema=SCHEMA)
    op.create_check_constraint(
        op.f("ck_activities_source"),
        "activities",
        "source IN ('google', 'exchange')",
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_constraint("ck_activities_source", "activities", schema=SCHEMA, type_="check")
    op.drop_column("activities", "source", schema=SCHEMA)
