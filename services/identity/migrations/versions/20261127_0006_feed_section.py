"""The corporate feed for the seeded roles, so every user sees the Feed section
in the web app.

Revision ID: identity_0006
Revises: identity_0005
Create Date: 2026-11-27
"""

from alembic import op

revision = "identity_0006"
down_revision = "identity_0005"
branch_labels = None
depends_on = None

# Written out, not imported: a migration must keep meaning what it meant when written.
PERMISSIONS = ("feed.read",)


def upgrade() -> None:
    for permission in PERMISSIONS:
        op.execute(
            "UPDATE identity.roles SET permissions = array_append(permissions, "
            f"'{permission}') WHERE name IN ('admin', 'sales_manager', 'sales_rep')"
            f" AND NOT ('{permission}' = ANY(permissions))"
        )


def downgrade() -> None:
    for permission in PERMISSIONS:
        op.execute(
            f"UPDATE identity.roles SET permissions = array_remove(permissions, '{permission}')"
        )
