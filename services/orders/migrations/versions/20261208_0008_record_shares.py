"""Record sharing: an order or an invoice shared with a user or a team for reading or
editing, beyond the record scope of their roles.

Revision ID: orders_0008
Revises: orders_0007
Create Date: 2026-12-08
"""

from services.platform.record_shares import create_shares_table

revision = "orders_0008"
down_revision = "orders_0007"
branch_labels = None
depends_on = None

SCHEMA = "orders"
SHARED = (("order_shares", "orders.orders"), ("invoice_shares", "orders.invoices"))


def upgrade() -> None:
    for name, records in SHARED:
        create_shares_table(SCHEMA, name, records)


def downgrade() -> None:
    from alembic import op

    for name, _records in SHARED:
        op.drop_table(name, schema=SCHEMA)
