"""The orders service's settings (whether a won deal gets a proposed order, …).

Revision ID: orders_0004
Revises: orders_0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "orders_0004"
down_revision = "orders_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.UUID(as_uuid=False), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_settings")),
        schema="orders",
    )


def downgrade() -> None:
    op.drop_table("settings", schema="orders")
