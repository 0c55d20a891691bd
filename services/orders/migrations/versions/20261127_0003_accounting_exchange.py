"""The exchange with the accounting system: each order's accounting status and message
counters, the outgoing messages' outbox, the incoming messages' inbox (applied once,
held while a predecessor is missing, rejected when malformed) and the payments the
accounting system reported (docs/accounting.md).

orders_0004 was applied before this slot was filled, so orders_0003 follows it.

Revision ID: orders_0003
Revises: orders_0004
Create Date: 2026-11-27
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "orders_0003"
down_revision = "orders_0004"
branch_labels = None
depends_on = None

STATUSES = "'not_sent', 'waiting', 'reserved', 'rejected', 'shipped', 'cancelled'"


def upgrade() -> None:
    op.add_column(
        "orders",
        sa.Column(
            "accounting_status", sa.String(length=20), server_default="not_sent", nullable=False
        ),
        schema="orders",
    )
    op.add_column(
        "orders",
        sa.Column("accounting_note", sa.String(length=500), nullable=True),
        schema="orders",
    )
    op.add_column(
        "orders",
        sa.Column("accounting_updated_at", sa.DateTime(timezone=True), nullable=True),
        schema="orders",
    )
    op.add_column(
        "orders",
        sa.Column("accounting_out_seq", sa.Integer(), server_default="0", nullable=False),
        schema="orders",
    )
    op.add_column(
        "orders",
        sa.Column("accounting_in_seq", sa.Integer(), server_default="0", nullable=False),
        schema="orders",
    )
    op.create_check_constraint(
        op.f("ck_orders_accounting_status"),
        "orders",
        f"accounting_status IN ({STATUSES})",
        schema="orders",
    )
    op.create_table(
        "accounting_outbox",
        sa.Column("id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("order_seq", sa.Integer(), nullable=True),
        sa.Column("message", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_accounting_outbox")),
        sa.UniqueConstraint(
            "order_id", "order_seq", name=op.f("uq_accounting_outbox_order_id_order_seq")
        ),
        schema="orders",
    )
    op.create_index(
        "ix_accounting_outbox_unsent",
        "accounting_outbox",
        ["id"],
        schema="orders",
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "accounting_inbox",
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=True),
        sa.Column("order_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("order_seq", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("message", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('applied', 'ignored', 'pending', 'rejected')",
            name=op.f("ck_accounting_inbox_state"),
        ),
        sa.PrimaryKeyConstraint("message_id", name=op.f("pk_accounting_inbox")),
        schema="orders",
    )
    op.create_index(
        "ix_accounting_inbox_order_id",
        "accounting_inbox",
        ["order_id", "order_seq"],
        schema="orders",
    )
    op.create_table(
        "accounting_payments",
        sa.Column("payment_id", sa.String(length=100), nullable=False),
        sa.Column("invoice_id", sa.UUID(as_uuid=False), nullable=False),
        sa.Column("invoice_payment_id", sa.UUID(as_uuid=False), nullable=True),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["invoice_id"],
            ["orders.invoices.id"],
            name=op.f("fk_accounting_payments_invoice_id_invoices"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("payment_id", name=op.f("pk_accounting_payments")),
        schema="orders",
    )


def downgrade() -> None:
    op.drop_table("accounting_payments", schema="orders")
    op.drop_index("ix_accounting_inbox_order_id", table_name="accounting_inbox", schema="orders")
    op.drop_table("accounting_inbox", schema="orders")
    op.drop_index("ix_accounting_outbox_unsent", table_name="accounting_outbox", schema="orders")
    op.drop_table("accounting_outbox", schema="orders")
    op.drop_constraint("ck_orders_accounting_status", "orders", schema="orders")
    for column in (
        "accounting_in_seq",
        "accounting_out_seq",
        "accounting_updated_at",
        "accounting_note",
        "accounting_status",
    ):
        op.drop_column("orders", column, schema="orders")
