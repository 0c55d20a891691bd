"""The leads table: fields, checks, keyset and search indexes.

Revision ID: leads_0002
Revises: leads_0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import TSVECTOR, UUID

revision = "leads_0002"
down_revision = "leads_0001"
branch_labels = None
depends_on = None

SCHEMA = "leads"
STAGES = (
    "qualification",
    "distribution",
    "handoff",
    "awaiting_sale",
    "converted",
    "disqualified",
    "nurturing",
)
NEED_MATURITIES = ("unknown", "interest", "need", "intention", "ready")
# Written out, not imported: a migration must keep meaning what it meant when written.
SEARCH_EXPRESSION = (
    "to_tsvector('simple', coalesce(contact_name, '') || ' ' || coalesce(account_name, '')"
    " || ' ' || coalesce(email, '') || ' ' || translate(coalesce(email, ''), '@.', '  ')"
    " || ' ' || coalesce(phone, '') || ' ' || translate(coalesce(phone, ''), '+', ''))"
)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    op.create_table(
        "leads",
        sa.Column("id", UUID(as_uuid=False), nullable=False),
        sa.Column("contact_name", sa.String(300)),
        sa.Column("account_name", sa.String(300)),
        sa.Column("email", sa.String(254)),
        sa.Column("phone", sa.String(16)),
        sa.Column("source", sa.String(100)),
        sa.Column("channel", sa.String(100)),
        sa.Column("need_type", sa.String(100)),
        sa.Column("need_maturity", sa.String(20)),
        sa.Column("stage", sa.String(20), nullable=False, server_default="qualification"),
        sa.Column("owner_id", UUID(as_uuid=False)),
        sa.Column("team_id", UUID(as_uuid=False)),
        sa.Column("score", sa.Integer),
        sa.Column("disqualification_reason", sa.String(300)),
        sa.Column("contact_id", UUID(as_uuid=False)),
        sa.Column("account_id", UUID(as_uuid=False)),
        sa.Column("opportunity_id", UUID(as_uuid=False)),
        sa.Column("utm_source", sa.String(300)),
        sa.Column("utm_medium", sa.String(300)),
        sa.Column("utm_campaign", sa.String(300)),
        sa.Column("utm_term", sa.String(300)),
        sa.Column("utm_content", sa.String(300)),
        sa.Column("referrer", sa.String(2000)),
        sa.Column("notes", sa.Text),
        sa.Column("version", sa.Integer, nullable=False, server_default="1"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", UUID(as_uuid=False), nullable=False),
        sa.Column(
            "search", TSVECTOR, sa.Computed(SEARCH_EXPRESSION, persisted=True), nullable=True
        ),
        sa.PrimaryKeyConstraint("id", name="pk_leads"),
        sa.CheckConstraint(f"stage IN ({_in(STAGES)})", name="ck_leads_stage"),
        sa.CheckConstraint(
            f"need_maturity IN ({_in(NEED_MATURITIES)})", name="ck_leads_need_maturity"
        ),
        sa.CheckConstraint("score BETWEEN 0 AND 100", name="ck_leads_score"),
        sa.CheckConstraint("version >= 1", name="ck_leads_version"),
        schema=SCHEMA,
    )
    for name, columns in (
        ("ix_leads_created_at_id", ["created_at", "id"]),
        ("ix_leads_updated_at_id", ["updated_at", "id"]),
        ("ix_leads_owner_id", ["owner_id"]),
        ("ix_leads_team_id", ["team_id"]),
        ("ix_leads_stage", ["stage"]),
        ("ix_leads_email", ["email"]),
    ):
        op.create_index(name, "leads", columns, schema=SCHEMA)
    op.create_index("ix_leads_search", "leads", ["search"], schema=SCHEMA, postgresql_using="gin")
    # pg_trgm is created by `osprey migrate` before any service's history runs.
    for column in ("contact_name", "account_name"):
        op.create_index(
            f"ix_leads_{column}_trgm",
            "leads",
            [column],
            schema=SCHEMA,
            postgresql_using="gin",
            postgresql_ops={column: "gin_trgm_ops"},
        )


def downgrade() -> None:
    op.drop_table("leads", schema=SCHEMA)
