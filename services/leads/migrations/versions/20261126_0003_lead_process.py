"""The lead process: stage history, lookups, distribution rules and assignments,
scoring rules, merges and web forms; a lead's region and score reasons.

Seeds the lookups (sources, channels, disqualification reasons).

Revision ID: leads_0003
Revises: leads_0002
Create Date: 2026-11-26
"""

import uuid
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "leads_0003"
down_revision = "leads_0002"
branch_labels = None
depends_on = None

SCHEMA = "leads"
# Written out, not imported: a migration must keep meaning what it meant when written.
LOOKUPS = {
    "source": (
        ("website", "Website"),
        ("event", "Event"),
        ("referral", "Referral"),
        ("cold_call", "Cold call"),
        ("social", "Social networks"),
        ("email", "Email"),
        ("advertising", "Advertising"),
        ("partner", "Partner"),
    ),
    "channel": (
        ("web_form", "Web form"),
        ("phone", "Phone"),
        ("email", "Email"),
        ("chat", "Chat"),
        ("facebook", "Facebook"),
        ("telegram", "Telegram"),
        ("vk", "VK"),
    ),
    "disqualification_reason": (
        ("no_budget", "No budget"),
        ("no_need", "No need"),
        ("chose_competitor", "Chose a competitor"),
        ("no_response", "No response"),
        ("duplicate", "Duplicate"),
        ("spam", "Spam"),
    ),
}


def _uuid() -> UUID:
    return UUID(as_uuid=False)


def _times() -> list[sa.Column]:
    return [
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.add_column("leads", sa.Column("region", sa.String(100)), schema=SCHEMA)
    op.add_column(
        "leads",
        sa.Column("score_reasons", JSONB, nullable=False, server_default="[]"),
        schema=SCHEMA,
    )
    op.create_index("ix_leads_phone", "leads", ["phone"], schema=SCHEMA)

    op.create_table(
        "lead_stage_history",
        sa.Column("id", _uuid(), nullable=False),
        sa.Column("lead_id", _uuid(), nullable=False),
        sa.Column("from_stage", sa.String(20)),
        sa.Column("to_stage", sa.String(20), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(300)),
        sa.Column("changed_by", _uuid()),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lead_stage_history"),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            [f"{SCHEMA}.leads.id"],
            name="fk_lead_stage_history_lead_id_leads",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_lead_stage_history_lead_id",
        "lead_stage_history",
        ["lead_id", "changed_at"],
        schema=SCHEMA,
    )

    lookups = op.create_table(
        "lookups",
        sa.Column("id", _uuid(), nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer, nullable=False, server_default="0"),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        *_times(),
        sa.PrimaryKeyConstraint("id", name="pk_lookups"),
        sa.CheckConstraint(
            "kind IN ('source', 'channel', 'disqualification_reason')", name="ck_lookups_kind"
        ),
        sa.UniqueConstraint("kind", "code", name="uq_lookups_kind_code"),
        schema=SCHEMA,
    )
    now = datetime.now(UTC)
    op.bulk_insert(
        lookups,
        [
            {
                "id": str(uuid.uuid4()),
                "kind": kind,
                "code": code,
                "name": name,
                "position": (i + 1) * 10,
                "is_active": True,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for kind, entries in LOOKUPS.items()
            for i, (code, name) in enumerate(entries)
        ],
    )

    op.create_table(
        "distribution_rules",
        sa.Column("id", _uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("need_type", sa.String(100)),
        sa.Column("source", sa.String(100)),
        sa.Column("region", sa.String(100)),
        sa.Column("team_id", _uuid()),
        sa.Column("strategy", sa.String(20), nullable=False),
        sa.Column("owner_ids", JSONB, nullable=False, server_default="[]"),
        sa.Column("fixed_owner_id", _uuid()),
        sa.Column("last_index", sa.Integer, nullable=False, server_default="-1"),
        *_times(),
        sa.PrimaryKeyConstraint("id", name="pk_distribution_rules"),
        sa.CheckConstraint(
            "strategy IN ('round_robin', 'least_open', 'fixed_owner')",
            name="ck_distribution_rules_strategy",
        ),
        sa.UniqueConstraint("position", name="uq_distribution_rules_position"),
        schema=SCHEMA,
    )

    op.create_table(
        "lead_assignments",
        sa.Column("id", _uuid(), nullable=False),
        sa.Column("lead_id", _uuid(), nullable=False),
        sa.Column("owner_id", _uuid(), nullable=False),
        sa.Column("previous_owner_id", _uuid()),
        sa.Column("rule_id", _uuid()),
        sa.Column("strategy", sa.String(20)),
        sa.Column("assigned_by", _uuid()),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lead_assignments"),
        sa.ForeignKeyConstraint(
            ["lead_id"],
            [f"{SCHEMA}.leads.id"],
            name="fk_lead_assignments_lead_id_leads",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_lead_assignments_lead_id", "lead_assignments", ["lead_id", "assigned_at"], schema=SCHEMA
    )
    op.create_index("ix_lead_assignments_owner_id", "lead_assignments", ["owner_id"], schema=SCHEMA)

    op.create_table(
        "scoring_rules",
        sa.Column("id", _uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("field", sa.String(50), nullable=False),
        sa.Column("operator", sa.String(20), nullable=False),
        sa.Column("value", JSONB),
        sa.Column("points", sa.Integer, nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        *_times(),
        sa.PrimaryKeyConstraint("id", name="pk_scoring_rules"),
        sa.CheckConstraint(
            "operator IN ('equals', 'not_equals', 'in', 'contains', 'is_set', 'is_empty',"
            " 'gte', 'lte')",
            name="ck_scoring_rules_operator",
        ),
        sa.CheckConstraint("points BETWEEN -100 AND 100", name="ck_scoring_rules_points"),
        schema=SCHEMA,
    )

    op.create_table(
        "lead_merges",
        sa.Column("id", _uuid(), nullable=False),
        sa.Column("kept_id", _uuid(), nullable=False),
        sa.Column("merged_id", _uuid(), nullable=False),
        sa.Column("merged_record", JSONB, nullable=False),
        sa.Column("filled_fields", JSONB, nullable=False, server_default="[]"),
        sa.Column("merged_by", _uuid(), nullable=False),
        sa.Column("merged_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_lead_merges"),
        schema=SCHEMA,
    )
    op.create_index("ix_lead_merges_kept_id", "lead_merges", ["kept_id"], schema=SCHEMA)
    op.create_index("ix_lead_merges_merged_id", "lead_merges", ["merged_id"], schema=SCHEMA)

    op.create_table(
        "web_forms",
        sa.Column("id", _uuid(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("is_active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.Column("allowed_origins", JSONB, nullable=False, server_default="[]"),
        sa.Column("source", sa.String(100)),
        sa.Column("channel", sa.String(100)),
        sa.Column("team_id", _uuid()),
        sa.Column("owner_id", _uuid()),
        sa.Column("honeypot_field", sa.String(50), nullable=False, server_default="website"),
        sa.Column("rate_limit_per_minute", sa.Integer, nullable=False, server_default="10"),
        sa.Column("redirect_url", sa.String(2000)),
        sa.Column("submissions", sa.Integer, nullable=False, server_default="0"),
        *_times(),
        sa.Column("created_by", _uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_forms"),
        sa.CheckConstraint(
            "rate_limit_per_minute BETWEEN 1 AND 10000", name="ck_web_forms_rate_limit"
        ),
        schema=SCHEMA,
    )


def downgrade() -> None:
    for table in (
        "web_forms",
        "lead_merges",
        "scoring_rules",
        "lead_assignments",
        "distribution_rules",
        "lookups",
        "lead_stage_history",
    ):
        op.drop_table(table, schema=SCHEMA)
    op.drop_index("ix_leads_phone", "leads", schema=SCHEMA)
    op.drop_column("leads", "score_reasons", schema=SCHEMA)
    op.drop_column("leads", "region", schema=SCHEMA)
