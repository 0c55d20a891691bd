"""the outbound webhooks' delivery log pruned by age (an index of the settled deliveries
by their last try, or their making); the inbound bus's refused messages kept for an
administrator (dead_letters)

Revision ID: social_0002
Revises: social_0001
Create Date: 2026-12-08 00:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "social_0002"
down_revision = "social_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=True),
        sa.Column("routing_key", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dead_letters"),
        schema="social",
    )
    op.create_index(
        "ix_deliveries_settled_at",
        "deliveries",
        [sa.text("COALESCE(last_attempt_at, created_at)")],
        schema="social",
        postgresql_where=sa.text("status <> 'pending'"),
    )


def downgrade() -> None:
    op.drop_index("ix_deliveries_settled_at", table_name="deliveries", schema="social")
    op.drop_table("dead_letters", schema="social")
