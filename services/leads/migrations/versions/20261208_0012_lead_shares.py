"""Record sharing: a lead shared with a user or a team for reading or editing, beyond
the record scope of their roles.

Revision ID: leads_0012
Revises: leads_0011
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "leads_0012"
down_revision = "leads_0011"
branch_labels = None
depends_on = None

SCHEMA = "leads"


def upgrade() -> None:
    op.create_table(
        "lead_shares",
        sa.Column("id", UUID(as_uuid=False), nullable=False),
        sa.Column(
            "record_id",
            UUID(as_uuid=False),
            sa.ForeignKey("leads.leads.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("user_id", UUID(as_uuid=False), nullable=True),
        sa.Column("team_id", UUID(as_uuid=False), nullable=True),
        sa.Column("access", sa.String(10), nullable=False),
        sa.Column("created_by", UUID(as_uuid=False), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lead_shares"),
        sa.CheckConstraint("access IN ('read', 'edit')", name="ck_lead_shares_access"),
        sa.CheckConstraint(
            "(user_id IS NULL) <> (team_id IS NULL)", name="ck_lead_shares_user_or_team"
        ),
        schema=SCHEMA,
    )
    op.create_index("ix_lead_shares_record_id", "lead_shares", ["record_id"], schema=SCHEMA)
    op.create_index(
        "uq_lead_shares_user",
        "lead_shares",
        ["record_id", "user_id"],
        unique=True,
        postgresql_where=sa.text("user_id IS NOT NULL"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_lead_shares_team",
        "lead_shares",
        ["record_id", "team_id"],
        unique=True,
        postgresql_where=sa.text("team_id IS NOT NULL"),
        schema=SCHEMA,
    )
    for column in ("user_id", "team_id"):
        op.create_index(
            f"ix_lead_shares_{column}", "lead_shares", [column, "record_id"], schema=SCHEMA
        )


def downgrade() -> None:
    op.drop_table("lead_shares", schema=SCHEMA)
