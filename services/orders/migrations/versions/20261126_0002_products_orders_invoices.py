"""Products, price lists and prices; orders, their lines and status history; invoices
and their payments; the yearly counters that number orders and invoices gap-free.

Revision ID: orders_0002
Revises: orders_0001
Create Date: 2026-11-26
"""

import sqlalchemy as sa
from alembic import op

revision = "orders_0002"
down_revision = "orders_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "number_counters",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "year", name=op.f("pk_number_counters")),
        schema="orders",
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("account_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("contact_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("opportunity_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("discount_total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("tax_total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("owner_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("team_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.UUID(as_uuid=False), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'confirmed', 'in_progress', 'shipped', 'completed', 'cancelled')",
            name=op.f("ck_orders_status"),
        ),
        sa.CheckConstraint(
            "total = subtotal - discount_total + tax_total", name=op.f("ck_orders_totals")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_orders_version")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_orders_number")),
        schema="orders",
    )
    op.create_index("ix_orders_account_id", "orders", ["account_id"], unique=False, schema="orders")
    op.create_index(
        "ix_orders_created_at_id", "orders", ["created_at", "id"], unique=False, schema="orders"
    )
    op.create_index(
        "ix_orders_opportunity_id", "orders", ["opportunity_id"], unique=False, schema="orders"
    )
    op.create_index("ix_orders_owner_id", "orders", ["owner_id"], unique=False, schema="orders")
    op.create_index("ix_orders_status", "orders", ["status"], unique=False, schema="orders")
    op.create_index("ix_orders_team_id", "orders", ["team_id"], unique=False, schema="orders")
    op.create_index(
        "ix_orders_updated_at_id", "orders", ["updated_at", "id"], unique=False, schema="orders"
    )
    op.create_table(
        "price_lists",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("is_default", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.UUID(as_uuid=False), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_price_lists")),
        sa.UniqueConstraint("name", name=op.f("uq_price_lists_name")),
        schema="orders",
    )
    op.create_index(
        "ix_price_lists_created_at_id",
        "price_lists",
        ["created_at", "id"],
        unique=False,
        schema="orders",
    )
    op.create_index(
        "uq_price_lists_one_default",
        "price_lists",
        ["is_default"],
        unique=True,
        schema="orders",
        postgresql_where=sa.text("is_default"),
    )
    op.create_table(
        "products",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("unit", sa.String(length=32), nullable=True),
        sa.Column("category", sa.String(length=100), nullable=True),
        sa.Column("is_active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("tax_rate", sa.Numeric(precision=5, scale=2), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.UUID(as_uuid=False), nullable=False),
        sa.CheckConstraint("tax_rate BETWEEN 0 AND 100", name=op.f("ck_products_tax_rate")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("code", name=op.f("uq_products_code")),
        schema="orders",
    )
    op.create_index(
        "ix_products_created_at_id", "products", ["created_at", "id"], unique=False, schema="orders"
    )
    op.create_index(
        "ix_products_name_id", "products", ["name", "id"], unique=False, schema="orders"
    )
    op.create_table(
        "invoices",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("order_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("account_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("subtotal", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("discount_total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("tax_total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column(
            "paid_amount", sa.Numeric(precision=18, scale=2), server_default="0", nullable=False
        ),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("owner_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("team_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.UUID(as_uuid=False), nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'issued', 'paid', 'overdue', 'cancelled')",
            name=op.f("ck_invoices_status"),
        ),
        sa.CheckConstraint(
            "paid_amount >= 0 AND paid_amount <= total", name=op.f("ck_invoices_paid_amount")
        ),
        sa.CheckConstraint("total >= 0", name=op.f("ck_invoices_total")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_invoices_version")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.orders.id"], name=op.f("fk_invoices_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoices")),
        sa.UniqueConstraint("number", name=op.f("uq_invoices_number")),
        schema="orders",
    )
    op.create_index(
        "ix_invoices_account_id", "invoices", ["account_id"], unique=False, schema="orders"
    )
    op.create_index(
        "ix_invoices_created_at_id", "invoices", ["created_at", "id"], unique=False, schema="orders"
    )
    op.create_index(
        "ix_invoices_issued_due_date",
        "invoices",
        ["due_date"],
        unique=False,
        schema="orders",
        postgresql_where=sa.text("status = 'issued'"),
    )
    op.create_index("ix_invoices_order_id", "invoices", ["order_id"], unique=False, schema="orders")
    op.create_index("ix_invoices_owner_id", "invoices", ["owner_id"], unique=False, schema="orders")
    op.create_index("ix_invoices_team_id", "invoices", ["team_id"], unique=False, schema="orders")
    op.create_index(
        "ix_invoices_updated_at_id", "invoices", ["updated_at", "id"], unique=False, schema="orders"
    )
    op.create_table(
        "order_lines",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("order_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=13, scale=3), nullable=False),
        sa.Column("price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("discount", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("tax_rate", sa.Numeric(precision=5, scale=2), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("discount_amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("net", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("tax", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("total", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.CheckConstraint("discount BETWEEN 0 AND 100", name=op.f("ck_order_lines_discount")),
        sa.CheckConstraint("price >= 0", name=op.f("ck_order_lines_price")),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_lines_quantity")),
        sa.CheckConstraint("tax_rate BETWEEN 0 AND 100", name=op.f("ck_order_lines_tax_rate")),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.orders.id"],
            name=op.f("fk_order_lines_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["orders.products.id"], name=op.f("fk_order_lines_product_id_products")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_lines")),
        sa.UniqueConstraint("order_id", "position", name=op.f("uq_order_lines_order_id_position")),
        schema="orders",
    )
    op.create_index(
        "ix_order_lines_product_id", "order_lines", ["product_id"], unique=False, schema="orders"
    )
    op.create_table(
        "order_status_history",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("order_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("from_status", sa.String(length=20), nullable=True),
        sa.Column("to_status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("changed_by", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.orders.id"],
            name=op.f("fk_order_status_history_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_status_history")),
        schema="orders",
    )
    op.create_index(
        "ix_order_status_history_order_id",
        "order_status_history",
        ["order_id", "changed_at"],
        unique=False,
        schema="orders",
    )
    op.create_table(
        "prices",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("price_list_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("product_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("price", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.UUID(as_uuid=False), nullable=False),
        sa.CheckConstraint("price >= 0", name=op.f("ck_prices_price")),
        sa.ForeignKeyConstraint(
            ["price_list_id"],
            ["orders.price_lists.id"],
            name=op.f("fk_prices_price_list_id_price_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["orders.products.id"],
            name=op.f("fk_prices_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prices")),
        sa.UniqueConstraint(
            "price_list_id", "product_id", name=op.f("uq_prices_price_list_id_product_id")
        ),
        schema="orders",
    )
    op.create_index("ix_prices_product_id", "prices", ["product_id"], unique=False, schema="orders")
    op.create_table(
        "invoice_payments",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("invoice_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("amount", sa.Numeric(precision=18, scale=2), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("registered_by", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_invoice_payments_amount")),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["orders.invoices.id"],
            name=op.f("fk_invoice_payments_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invoice_payments")),
        schema="orders",
    )
    op.create_index(
        "ix_invoice_payments_invoice_id",
        "invoice_payments",
        ["invoice_id", "paid_at"],
        unique=False,
        schema="orders",
    )


def downgrade() -> None:
    for table in (
        "invoice_payments",
        "prices",
        "order_status_history",
        "order_lines",
        "invoices",
        "products",
        "price_lists",
        "orders",
        "number_counters",
    ):
        op.drop_table(table, schema="orders")
