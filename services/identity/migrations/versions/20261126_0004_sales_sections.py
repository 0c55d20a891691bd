"""The sales sections' read permissions (accounts, contacts, opportunities, activities)
for the seeded roles, so reps and managers see them in the web app.

Revision ID: identity_0004
Revises: identity_0003
Create Date: 2026-11-26
"""

from alembic import op

revision = "identity_0004"
down_revision = "identity_0003"
branch_labels = None
depends_on = None

# Written out, not imported: a migration must keep meaning what it meant when written.
PERMISSIONS = ("accounts.read", "contacts.read", "opportunities.read", "activities.read")


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
