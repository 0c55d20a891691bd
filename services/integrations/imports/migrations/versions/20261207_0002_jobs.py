"""Import and export jobs, their files and their rows.

Revision ID: imports_0002
Revises: imports_0001
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "imports_0002"
down_revision = "imports_0001"
branch_labels = None
depends_on = None

ID = sa.UUID(as_uuid=False)
TS = sa.DateTime(timezone=True)
JSONB = postgresql.JSONB(astext_type=sa.Text())


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", ID, nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("entity", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("file_name", sa.String(300), nullable=False),
        sa.Column("format", sa.String(10)),
        sa.Column("encoding", sa.String(20)),
        sa.Column("delimiter", sa.String(2)),
        sa.Column("size", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("columns", JSONB, server_default="[]", nullable=False),
        sa.Column("mapping", JSONB, server_default="[]", nullable=False),
        sa.Column("options", JSONB, server_default="{}", nullable=False),
        sa.Column("query", JSONB, server_default="{}", nullable=False),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("done", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("counts", JSONB, server_default="{}", nullable=False),
        sa.Column("position", sa.Integer(), server_default="0", nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("actor", JSONB, nullable=False),
        sa.Column("owner_id", ID, nullable=False),
        sa.Column("leased_until", TS),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("started_at", TS),
        sa.Column("finished_at", TS),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        schema="imports",
    )
    op.create_index("ix_jobs_owner_created", "jobs", ["owner_id", "created_at"], schema="imports")
    op.create_index(
        "ix_jobs_waiting",
        "jobs",
        ["status"],
        schema="imports",
        postgresql_where=sa.text(
            "status IN ('queued', 'running', 'rollback_queued', 'rolling_back')"
        ),
    )
    op.create_table(
        "blobs",
        sa.Column("job_id", ID, nullable=False),
        sa.Column("part", sa.String(10), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", postgresql.BYTEA(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["imports.jobs.id"], name=op.f("fk_blobs_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", "part", "seq", name=op.f("pk_blobs")),
        schema="imports",
    )
    op.create_table(
        "job_rows",
        sa.Column("job_id", ID, nullable=False),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("record_id", ID),
        sa.Column("entity", sa.String(30)),
        sa.Column("before", JSONB),
        sa.Column("cells", JSONB),
        sa.Column("errors", JSONB),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["imports.jobs.id"],
            name=op.f("fk_job_rows_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "row_no", name=op.f("pk_job_rows")),
        schema="imports",
    )


def downgrade() -> None:
    op.drop_table("job_rows", schema="imports")
    op.drop_table("blobs", schema="imports")
    op.drop_table("jobs", schema="imports")
