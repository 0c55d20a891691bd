"""Per-user UI preferences, the accent colour, and the Leads section's read permission
for the seeded roles (the web app shows a section to those who hold `<section>.read`).

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

    op.execute(
        "UPDATE identity.roles SET permissions = array_append(permissions, 'leads.read')"
        " WHERE name IN ('admin', 'sales_manager', 'sales_rep')"
        " AND NOT ('leads.read' = ANY(permissions))"
    )


def downgrade() -> None:
    op.execute("UPDATE identity.roles SET permissions = array_remove(permissions, 'leads.read')")
    op.drop_table("preferences", schema="identity")
    op.drop_column("users", "accent_color", schema="identity")
