"""The orders and invoices lists' search box also finds an amount: ``12950`` or
``12 950,00`` typed is the exact total, looked up through these indexes.

Revision ID: orders_0007
Revises: orders_0006
Create Date: 2026-12-07
"""

from alembic import op

revision = "orders_0007"
down_revision = "orders_0006"
branch_labels = None
depends_on = None

SCHEMA = "orders"


def upgrade() -> None:
    op.create_index("ix_orders_total", "orders", ["total"], schema=SCHEMA)
    op.create_index("ix_invoices_total", "invoices", ["total"], schema=SCHEMA)


def downgrade() -> None:
    op.drop_index("ix_invoices_total", "invoices", schema=SCHEMA)
    op.drop_index("ix_orders_total", "orders", schema=SCHEMA)
