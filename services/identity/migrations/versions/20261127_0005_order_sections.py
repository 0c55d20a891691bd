"""The orders service's sections (products, orders, invoices) for the seeded roles, so
reps and managers see them in the web app.

Revision ID: identity_0005
Revises: identity_0004
Create Date: 2026-11-27
"""

from alembic import op

revision = "identity_0005"
down_revision = "identity_0004"
branch_labels = None
depends_on = None

# Written out, not imported: a migration must keep meaning what it meant when written.
PERMISSIONS = ("products.read", "orders.read", "invoices.read")


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
