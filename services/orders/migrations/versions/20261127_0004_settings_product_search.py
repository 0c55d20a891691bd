"""The orders service's settings (whether a won deal gets a proposed order, …) and the
products' search column (the product picker's ``q``).

Revision ID: orders_0004
Revises: orders_0002
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# The same expression as services/orders/models.py PRODUCT_SEARCH_EXPRESSION, frozen here.
PRODUCT_SEARCH_EXPRESSION = (
    "to_tsvector('simple', coalesce(code, '')"
    " || ' ' || translate(coalesce(code, ''), '-_./', '    ')"
    " || ' ' || coalesce(name, '') || ' ' || coalesce(category, ''))"
)

revision = "orders_0004"
down_revision = "orders_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "settings",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.UUID(as_uuid=False), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_settings")),
        schema="orders",
    )
    op.add_column(
        "products",
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed(PRODUCT_SEARCH_EXPRESSION, persisted=True),
            nullable=True,
        ),
        schema="orders",
    )
    op.create_index(
        "ix_products_search", "products", ["search"], schema="orders", postgresql_using="gin"
    )


def downgrade() -> None:
    op.drop_index("ix_products_search", table_name="products", schema="orders")
    op.drop_column("products", "search", schema="orders")
    op.drop_table("settings", schema="orders")
