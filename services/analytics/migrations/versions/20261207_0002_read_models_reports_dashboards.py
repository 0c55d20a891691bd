"""The read models (records and their stays in stages), saved reports and Results pages.

Revision ID: analytics_0002
Revises: analytics_0001
Create Date: 2026-12-07 06:27:39.901523
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "analytics_0002"
down_revision = "analytics_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboards",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("widgets", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("owner_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("team_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("is_team_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dashboards")),
        schema="analytics",
    )
    op.create_index(
        "ix_dashboards_owner_id", "dashboards", ["owner_id"], unique=False, schema="analytics"
    )
    op.create_table(
        "records",
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("owner_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("team_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.PrimaryKeyConstraint("entity", "id", name=op.f("pk_records")),
        schema="analytics",
    )
    op.create_index(
        "ix_records_entity_created_at",
        "records",
        ["entity", "created_at"],
        unique=False,
        schema="analytics",
    )
    op.create_index(
        "ix_records_entity_owner_id",
        "records",
        ["entity", "owner_id"],
        unique=False,
        schema="analytics",
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("spec", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("owner_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("team_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column(
            "shared_with_team", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
        schema="analytics",
    )
    op.create_index(
        "ix_reports_owner_id", "reports", ["owner_id"], unique=False, schema="analytics"
    )
    op.create_table(
        "stage_periods",
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("record_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("stage", sa.String(length=100), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint(
            "entity", "record_id", "stage", "entered_at", name=op.f("pk_stage_periods")
        ),
        schema="analytics",
    )
    op.create_index(
        "ix_stage_periods_entity_stage",
        "stage_periods",
        ["entity", "stage"],
        unique=False,
        schema="analytics",
    )


def downgrade() -> None:
    op.drop_index("ix_stage_periods_entity_stage", table_name="stage_periods", schema="analytics")
    op.drop_table("stage_periods", schema="analytics")
    op.drop_index("ix_reports_owner_id", table_name="reports", schema="analytics")
    op.drop_table("reports", schema="analytics")
    op.drop_index("ix_records_entity_owner_id", table_name="records", schema="analytics")
    op.drop_index("ix_records_entity_created_at", table_name="records", schema="analytics")
    op.drop_table("records", schema="analytics")
    op.drop_index("ix_dashboards_owner_id", table_name="dashboards", schema="analytics")
    op.drop_table("dashboards", schema="analytics")
