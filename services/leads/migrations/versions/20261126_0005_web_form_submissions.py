"""Web form submissions: one row per submission attempt, for the per-form, per-address
rate limit that every gateway and service replica shares.

Only a SHA-256 of the address (salted with the form's id) is stored, never the
address; rows older than the limit's one-minute window are pruned as new ones come
and every minute.

Revision ID: leads_0005
Revises: leads_0003
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import UUID

revision = "leads_0005"
down_revision = "leads_0003"
branch_labels = None
depends_on = None

SCHEMA = "leads"


def upgrade() -> None:
    op.create_table(
        "web_form_submissions",
        sa.Column("id", UUID(as_uuid=False), nullable=False),
        sa.Column("form_id", UUID(as_uuid=False), nullable=False),
        sa.Column("ip_hash", sa.String(64), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_web_form_submissions"),
        sa.ForeignKeyConstraint(
            ["form_id"],
            [f"{SCHEMA}.web_forms.id"],
            name="fk_web_form_submissions_form_id_web_forms",
            ondelete="CASCADE",
        ),
        schema=SCHEMA,
    )
    op.create_index(
        "ix_web_form_submissions_form_id_ip_hash_submitted_at",
        "web_form_submissions",
        ["form_id", "ip_hash", "submitted_at"],
        schema=SCHEMA,
    )
    op.create_index(
        "ix_web_form_submissions_submitted_at",
        "web_form_submissions",
        ["submitted_at"],
        schema=SCHEMA,
    )


def downgrade() -> None:
    op.drop_table("web_form_submissions", schema=SCHEMA)
