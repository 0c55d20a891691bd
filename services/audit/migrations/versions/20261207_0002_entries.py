"""The audit trail: one entry per change of a record.

Revision ID: audit_0002
Revises: audit_0001
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "audit_0002"
down_revision = "audit_0001"
branch_labels = None
depends_on = None

ID = sa.UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "entries",
        sa.Column("id", ID, nullable=False),
        sa.Column("entity", sa.String(length=30), nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("phase", sa.SmallInteger(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("event", sa.String(length=60), nullable=False),
        sa.Column("event_id", sa.String(length=60), nullable=False),
        sa.Column("actor_id", sa.String(length=60), nullable=True),
        sa.Column("actor_email", sa.String(length=320), nullable=True),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("changes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("old_known", sa.Boolean(), nullable=False),
        sa.Column("state", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("team_id", ID, nullable=True),
        sa.Column("admin_only", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("entity", "record_id", "version", "phase", name=op.f("pk_entries")),
        sa.UniqueConstraint("id", name=op.f("uq_entries_id")),
        schema="audit",
    )
    op.create_index("ix_entries_at", "entries", ["at"], schema="audit")
    op.create_index("ix_entries_actor_id_at", "entries", ["actor_id", "at"], schema="audit")
    op.create_index("ix_entries_entity_at", "entries", ["entity", "at"], schema="audit")


def downgrade() -> None:
    op.drop_table("entries", schema="audit")
