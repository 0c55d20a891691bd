"""The orders and invoices lists' search box: the number, whole or any part of it.

A trigram index on the lower-cased number serves ``lower(number) LIKE '%…%'`` (the
year, the last digits, the whole number) from three characters on.

Revision ID: orders_0006
Revises: orders_0005
Create Date: 2026-12-07
"""

from alembic import op

revision = "orders_0006"
down_revision = "orders_0005"
branch_labels = None
depends_on = None

SCHEMA = "orders"
INDEXES = {"ix_orders_number_trgm": "orders", "ix_invoices_number_trgm": "invoices"}


def upgrade() -> None:
    # pg_trgm is created by `osprey migrate` before any service's history runs.
    for name, table in INDEXES.items():
        op.execute(
            f"CREATE INDEX {name} ON {SCHEMA}.{table}"
            " USING gin (lower((number)::text) gin_trgm_ops)"
        )


def downgrade() -> None:
    for name, table in INDEXES.items():
        op.drop_index(name, table, schema=SCHEMA)
