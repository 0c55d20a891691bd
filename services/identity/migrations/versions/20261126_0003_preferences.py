"""Per-user UI preferences and the accent colour.

Revision ID: identity_0003
Revises: identity_0002
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB, UUID

revision = "identity_0003"
down_revision = "identity_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("accent_color", sa.String(7)), schema="identity")
    op.create_table(
        "preferences",
        sa.Column("user_id", UUID(as_uuid=False), nullable=False),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("value", JSONB, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["identity.users.id"],
            name="fk_preferences_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "key", name="pk_preferences"),
        schema="identity",
    )


def downgrade() -> None:
    op.drop_table("preferences", schema="identity")
    op.drop_column("users", "accent_color", schema="identity")
