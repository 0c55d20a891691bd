"""Bulk actions run as jobs: the job and its selected records with their results.

Revision ID: imports_0003
Revises: imports_0002
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "imports_0003"
down_revision = "imports_0002"
branch_labels = None
depends_on = None

ID = sa.UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)
JSONB = postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    op.create_table(
        "bulk_actions",
        sa.Column("id", ID, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("actor", JSONB, nullable=False),
        sa.Column("entity", sa.String(30), nullable=False),
        sa.Column("action", sa.String(10), nullable=False),
        sa.Column("changes", JSONB, server_default="{}", nullable=False),
        sa.Column("text", sa.Text()),
        sa.Column("query", JSONB),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("total", sa.Integer()),
        sa.Column("done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("refused", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("leased_until", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS),
        sa.Column("finished_at", TS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bulk_actions")),
        schema="imports",
    )
    op.create_index(
        "ix_bulk_actions_waiting",
        "bulk_actions",
        ["created_at"],
        schema="imports",
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.create_index("ix_bulk_actions_finished", "bulk_actions", ["finished_at"], schema="imports")
    op.create_table(
        "bulk_records",
        sa.Column("job_id", ID, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("record_id", ID, nullable=False),
        sa.Column("version", sa.BigInteger()),
        sa.Column("outcome", sa.String(8)),
        sa.Column("status", sa.Integer()),
        sa.Column("reason", sa.Text()),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["imports.bulk_actions.id"],
            name=op.f("fk_bulk_records_job_id_bulk_actions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "seq", name=op.f("pk_bulk_records")),
        schema="imports",
    )
    op.create_index(
        "ix_bulk_records_pending",
        "bulk_records",
        ["job_id", "seq"],
        schema="imports",
        postgresql_where=sa.text("outcome IS NULL"),
    )


def downgrade() -> None:
    op.drop_table("bulk_records", schema="imports")
    op.drop_table("bulk_actions", schema="imports")
