"""Opportunities (stages, stage history, tactics, competitors), activities, forecast plans, merges.

Seeds the default pipeline: qualification → presentation → proposal → negotiation →
won / lost. Administrators change it through ``opportunity-stages``.

Revision ID: sales_0004
Revises: sales_0003
Create Date: 2026-11-26
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, UUID

revision = "sales_0004"
down_revision = "sales_0003"
branch_labels = None
depends_on = None

SCHEMA = "sales"

# Written out, not imported: a migration must keep meaning what it meant when written.
DEFAULT_STAGES = (
    # name, position, probability, is_final, is_successful
    ("Qualification", 10, 10, False, False),
    ("Presentation", 20, 30, False, False),
    ("Proposal", 30, 50, False, False),
    ("Negotiation", 40, 80, False, False),
    ("Won", 90, 100, True, True),
    ("Lost", 100, 0, True, False),
)


def _uuid() -> sa.Column:
    return UUID(as_uuid=False)


def _record_tail() -> list[sa.Column]:
    return [
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", _uuid(), nullable=False),
    ]


def upgrade() -> None:
    stages = op.create_table(
        "opportunity_stages",
        sa.Column("id", _uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("probability", sa.Integer, nullable=False),
        sa.Column("is_final", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("is_successful", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_opportunity_stages"),
        sa.CheckConstraint(
            "probability BETWEEN 0 AND 100", name="ck_opportunity_stages_probability"
        ),
        sa.CheckConstraint(
            "is_final OR NOT is_successful", name="ck_opportunity_stages_successful_is_final"
        ),
        sa.UniqueConstraint("position", name="uq_opportunity_stages_position"),
        sa.UniqueConstraint("name", name="uq_opportunity_stages_name"),
        schema=SCHEMA,
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        stages,
        [
            {
                "id": str(uuid.uuid4()),
                "name": name,
                "position": position,
                "probability": probability,
                "is_final": is_final,
                "is_successful": is_successful,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for name, position, probability, is_final, is_successful in DEFAULT_STAGES
        ],
    )

    op.create_table(
        "opportunities",
        sa.Column("id", _uuid(), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("account_id", _uuid()),
        sa.Column("contact_id", _uuid()),
        sa.Column("stage_id", _uuid(), nullable=False),
        sa.Column("need_type", sa.String(100)),
        sa.Column("budget", sa.Numeric(18, 2)),
        sa.Column("amount", sa.Numeric(18, 2)),
        sa.Column("currency", sa.String(3)),
        sa.Column("probability", sa.Integer),
        sa.Column("close_date", sa.Date),
        sa.Column("status", sa.String(10), nullable=False, server_default="open"),
        sa.Column("lost_reason", sa.String(500)),
        sa.Column("lead_id", _uuid()),
        sa.Column("lines", JSONB, nullable=False, server_default="[]"),
        sa.Column("stage_entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("owner_id", _uuid(), nullable=False),
        sa.Column("team_id", _uuid()),
        *_record_tail(),
        sa.Column(
            "search",
            TSVECTOR,
            sa.Computed(
                "to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(need_type, ''))",
                persisted=True,
            ),
        ),
        sa.PrimaryKeyConstraint("id", name="pk_opportunities"),
        sa.ForeignKeyConstraint(
            ["account_id"], [f"{SCHEMA}.accounts.id"], name="fk_opportunities_account_id_accounts"
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"], [f"{SCHEMA}.contacts.id"], name="fk_opportunities_contact_id_contacts"
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            [f"{SCHEMA}.opportunity_stages.id"],
            name="fk_opportunities_stage_id_opportunity_stages",
        ),
        sa.CheckConstraint("status IN ('open', 'won', 'lost')", name="ck_opportunities_status"),
        sa.CheckConstraint("probability BETWEEN 0 AND 100", name="ck_opportunities_probability"),
        sa.CheckConstraint("amount >= 0 AND budget >= 0", name="ck_opportunities_money"),
        sa.CheckConstraint("version >= 1", name="ck_opportunities_version"),
        schema=SCHEMA,
    )
    for name, columns in (
        ("ix_opportunities_created_at_id", ["created_at", "id"]),
        ("ix_opportunities_updated_at_id", ["updated_at", "id"]),
        ("ix_opportunities_owner_id", ["owner_id"]),
        ("ix_opportunities_team_id", ["team_id"]),
        ("ix_opportunities_account_id", ["account_id"]),
        ("ix_opportunities_contact_id", ["contact_id"]),
        ("ix_opportunities_lead_id", ["lead_id"]),
        ("ix_opportunities_close_date", ["close_date"]),
    ):
        op.create_index(name, "opportunities", columns, schema=SCHEMA)
    op.create_index(
        "ix_opportunities_open_stage",
        "opportunities",
        ["stage_id", "updated_at", "id"],
        schema=SCHEMA,
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_index(
        "ix_opportunities_search",
        "opportunities",
        ["search"],
        schema=SCHEMA,
        postgresql_using="gin",
    )

    op.create_table(
        "opportunity_stage_history",
        sa.Column("id", _uuid(), nullable=False),
        sa.Column("opportunity_id", _uuid(), nullable=False),
        sa.Column("stage_id", _uuid(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("left_at", sa.DateTime(timezone=True)),
        sa.Column("moved_by", _uuid()),
        sa.Column("skipped", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.PrimaryKeyConstraint("id", name="pk_opportunity_stage_history"),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            [f"{SCHEMA}.opportunities.id"],
            name="fk_opportunity_stage_history_opportunity_id_opportunities",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            [f"{SCHEMA}.opportunity_stages.id"],
            name="fk_opportunity_stage_history_stage_id_opportunity_stages",
        ),
        sa.CheckConstraint("left_at >= entered_at", name="ck_opportunity_stage_history_time_order"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_opportunity_stage_history_opportunity_id",
        "opportunity_stage_history",
        ["opportunity_id", "entered_at"],
        schema=SCHEMA,
    )
    op.create_index(
        "uq_opportunity_stage_history_current",
        "opportunity_stage_history",
        ["opportunity_id"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("left_at IS NULL"),
    )

    op.create_table(
        "opportunity_tactics",
        sa.Column("id", _uuid(), nullable=False),
        sa.Column("opportunity_id", _uuid(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.String(2000), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", _uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_opportunity_tactics"),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            [f"{SCHEMA}.opportunities.id"],
            name="fk_opportunity_tactics_opportunity_id_opportunities",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "kind IN ('strength', 'weakness', 'opportunity', 'threat')",
            name="ck_opportunity_tactics_kind",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_opportunity_tactics_opportunity_id",
        "opportunity_tactics",
        ["opportunity_id"],
        schema=SCHEMA,
    )

    op.create_table(
        "opportunity_competitors",
        sa.Column("id", _uuid(), nullable=False),
        sa.Column("opportunity_id", _uuid(), nullable=False),
        sa.Column("account_id", _uuid(), nullable=False),
        sa.Column("offer", sa.String(2000)),
        sa.Column("comparison", sa.String(2000)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", _uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_opportunity_competitors"),
        sa.ForeignKeyConstraint(
            ["opportunity_id"],
            [f"{SCHEMA}.opportunities.id"],
            name="fk_opportunity_competitors_opportunity_id_opportunities",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            [f"{SCHEMA}.accounts.id"],
            name="fk_opportunity_competitors_account_id_accounts",
        ),
        sa.UniqueConstraint("opportunity_id", "account_id", name="uq_opportunity_competitors"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_opportunity_competitors_account_id",
        "opportunity_competitors",
        ["account_id"],
        schema=SCHEMA,
    )

    op.create_table(
        "activities",
        sa.Column("id", _uuid(), nullable=False),
        sa.Column("type", sa.String(10), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("status", sa.String(20), nullable=False, server_default="not_started"),
        sa.Column("priority", sa.String(10), nullable=False, server_default="normal"),
        sa.Column("start_at", sa.DateTime(timezone=True)),
        sa.Column("due_at", sa.DateTime(timezone=True)),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("result", sa.String(2000)),
        sa.Column("related_type", sa.String(20)),
        sa.Column("related_id", _uuid()),
        sa.Column("owner_id", _uuid()),
        sa.Column("team_id", _uuid()),
        *_record_tail(),
        sa.Column(
            "search",
            TSVECTOR,
            sa.Computed("to_tsvector('simple', coalesce(title, ''))", persisted=True),
        ),
        sa.PrimaryKeyConstraint("id", name="pk_activities"),
        sa.CheckConstraint(
            "type IN ('task', 'call', 'meeting', 'email')", name="ck_activities_type"
        ),
        sa.CheckConstraint(
            "status IN ('not_started', 'in_progress', 'completed', 'cancelled')",
            name="ck_activities_status",
        ),
        sa.CheckConstraint("priority IN ('low', 'normal', 'high')", name="ck_activities_priority"),
        sa.CheckConstraint(
            "related_type IN ('lead', 'contact', 'account', 'opportunity', 'order')",
            name="ck_activities_related_type",
        ),
        sa.CheckConstraint(
            "(related_type IS NULL) = (related_id IS NULL)", name="ck_activities_related_pair"
        ),
        sa.CheckConstraint("due_at >= start_at", name="ck_activities_time_order"),
        sa.CheckConstraint("version >= 1", name="ck_activities_version"),
        schema=SCHEMA,
    )
    for name, columns in (
        ("ix_activities_created_at_id", ["created_at", "id"]),
        ("ix_activities_updated_at_id", ["updated_at", "id"]),
        ("ix_activities_owner_due", ["owner_id", "due_at", "id"]),
        ("ix_activities_team_id", ["team_id"]),
        ("ix_activities_related", ["related_type", "related_id"]),
    ):
        op.create_index(name, "activities", columns, schema=SCHEMA)
    op.create_index(
        "ix_activities_search", "activities", ["search"], schema=SCHEMA, postgresql_using="gin"
    )

    op.create_table(
        "activity_participants",
        sa.Column("activity_id", _uuid(), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("participant_id", _uuid(), nullable=False),
        sa.PrimaryKeyConstraint(
            "activity_id", "kind", "participant_id", name="pk_activity_participants"
        ),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            [f"{SCHEMA}.activities.id"],
            name="fk_activity_participants_activity_id_activities",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint("kind IN ('contact', 'user')", name="ck_activity_participants_kind"),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_activity_participants_participant",
        "activity_participants",
        ["kind", "participant_id"],
        schema=SCHEMA,
    )

    op.create_table(
        "forecast_plans",
        sa.Column("id", _uuid(), nullable=False),
        sa.Column("owner_id", _uuid()),
        sa.Column("team_id", _uuid()),
        sa.Column("period_kind", sa.String(10), nullable=False),
        sa.Column("period_start", sa.Date, nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        *_record_tail(),
        sa.PrimaryKeyConstraint("id", name="pk_forecast_plans"),
        sa.CheckConstraint(
            "period_kind IN ('month', 'quarter', 'year')", name="ck_forecast_plans_period_kind"
        ),
        sa.CheckConstraint(
            "(owner_id IS NULL) <> (team_id IS NULL)", name="ck_forecast_plans_one_scope"
        ),
        sa.CheckConstraint("amount >= 0", name="ck_forecast_plans_amount"),
        schema=SCHEMA,
    )
    op.create_index(
        "uq_forecast_plans_owner_period",
        "forecast_plans",
        ["owner_id", "period_kind", "period_start", "currency"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("owner_id IS NOT NULL"),
    )
    op.create_index(
        "uq_forecast_plans_team_period",
        "forecast_plans",
        ["team_id", "period_kind", "period_start", "currency"],
        unique=True,
        schema=SCHEMA,
        postgresql_where=sa.text("team_id IS NOT NULL"),
    )

    op.create_table(
        "merges",
        sa.Column("id", _uuid(), nullable=False),
        sa.Column("entity", sa.String(20), nullable=False),
        sa.Column("kept_id", _uuid(), nullable=False),
        sa.Column("merged_id", _uuid(), nullable=False),
        sa.Column("merged_record", JSONB, nullable=False),
        sa.Column("moved", JSONB, nullable=False),
        sa.Column("merged_by", _uuid(), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_merges"),
        sa.CheckConstraint("entity IN ('contact', 'account')", name="ck_merges_entity"),
        schema=SCHEMA,
    )
    op.create_index("ix_merges_kept_id", "merges", ["kept_id"], schema=SCHEMA)
    op.create_index("ix_merges_merged_id", "merges", ["merged_id"], schema=SCHEMA)


def downgrade() -> None:
    for table in (
        "merges",
        "forecast_plans",
        "activity_participants",
        "activities",
        "opportunity_competitors",
        "opportunity_tactics",
        "opportunity_stage_history",
        "opportunities",
        "opportunity_stages",
    ):
        op.drop_table(table, schema=SCHEMA)
