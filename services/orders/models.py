"""Tables of the orders service (schema `orders`).

Products, price lists and their prices; orders with their lines and status history;
invoices with their payments; the yearly counters that number orders and invoices.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR, UUID
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from services.platform.db import service_metadata
from services.platform.record_shares import shares_table
from services.platform.requests_once import applied_requests_table

from .accounting_contract import ACCOUNTING_STATUSES
from .domain import INVOICE_STATUSES, ORDER_STATUSES

metadata = service_metadata("orders")
#: the idempotency keys of the requests applied (services/platform/requests_once.py)
applied_requests = applied_requests_table(metadata)

MONEY = sa.Numeric(18, 2)
PERCENT = sa.Numeric(5, 2)
QUANTITY = sa.Numeric(13, 3)

#: What the product picker's search box looks through (the migration creates the same):
#: the code whole and in its parts ("OSP-SEAT" is found by "seat"), the name, the category.
PRODUCT_SEARCH_EXPRESSION = (
    "to_tsvector('simple', coalesce(code, '')"
    " || ' ' || translate(coalesce(code, ''), '-_./', '    ')"
    " || ' ' || coalesce(name, '') || ' ' || coalesce(category, ''))"
)


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _id() -> Mapped[str]:
    return mapped_column(UUID(as_uuid=False), primary_key=True)


class Base(DeclarativeBase):
    metadata = metadata


class Product(Base):
    __tablename__ = "products"

    id: Mapped[str] = _id()
    code: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(300))
    unit: Mapped[str | None] = mapped_column(sa.String(32))
    category: Mapped[str | None] = mapped_column(sa.String(100))
    is_active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    description: Mapped[str | None] = mapped_column(sa.Text)
    tax_rate: Mapped[Decimal | None] = mapped_column(PERCENT)
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(UUID(as_uuid=False))
    search: Mapped[str | None] = mapped_column(
        TSVECTOR, sa.Computed(PRODUCT_SEARCH_EXPRESSION, persisted=True), deferred=True
    )

    __table_args__ = (
        sa.UniqueConstraint("code"),
        sa.CheckConstraint("tax_rate BETWEEN 0 AND 100", name="tax_rate"),
        sa.Index("ix_products_created_at_id", "created_at", "id"),
        sa.Index("ix_products_name_id", "name", "id"),
        sa.Index("ix_products_search", "search", postgresql_using="gin"),
    )


class PriceList(Base):
    __tablename__ = "price_lists"

    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(sa.String(200))
    currency: Mapped[str] = mapped_column(sa.String(3))
    is_default: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(UUID(as_uuid=False))

    __table_args__ = (
        sa.UniqueConstraint("name"),
        # At most one price list is the default (the products' shown price).
        sa.Index(
            "uq_price_lists_one_default",
            "is_default",
            unique=True,
            postgresql_where=sa.text("is_default"),
        ),
        sa.Index("ix_price_lists_created_at_id", "created_at", "id"),
    )


class Price(Base):
    """A product's price in one price list (in the list's currency)."""

    __tablename__ = "prices"

    id: Mapped[str] = _id()
    price_list_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("orders.price_lists.id", ondelete="CASCADE")
    )
    product_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("orders.products.id", ondelete="CASCADE")
    )
    price: Mapped[Decimal] = mapped_column(MONEY)
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(UUID(as_uuid=False))

    __table_args__ = (
        sa.UniqueConstraint("price_list_id", "product_id"),
        sa.CheckConstraint("price >= 0", name="price"),
        sa.Index("ix_prices_product_id", "product_id"),
    )


class NumberCounter(Base):
    """The last number given to an order or invoice in one year (gap-free numbering)."""

    __tablename__ = "number_counters"

    kind: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(sa.Integer)


class Order(Base):
    __tablename__ = "orders"

    id: Mapped[str] = _id()
    number: Mapped[str] = mapped_column(sa.String(32))
    account_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    contact_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    opportunity_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[str] = mapped_column(sa.String(20))
    subtotal: Mapped[Decimal] = mapped_column(MONEY)
    discount_total: Mapped[Decimal] = mapped_column(MONEY)
    tax_total: Mapped[Decimal] = mapped_column(MONEY)
    total: Mapped[Decimal] = mapped_column(MONEY)
    notes: Mapped[str | None] = mapped_column(sa.Text)
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    owner_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    team_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(UUID(as_uuid=False))
    # The exchange with the accounting system (services/orders/accounting.py).
    accounting_status: Mapped[str] = mapped_column(sa.String(20), server_default="not_sent")
    accounting_note: Mapped[str | None] = mapped_column(sa.String(500))
    accounting_updated_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    accounting_out_seq: Mapped[int] = mapped_column(sa.Integer, server_default="0")
    accounting_in_seq: Mapped[int] = mapped_column(sa.Integer, server_default="0")

    lines: Mapped[list[OrderLine]] = relationship(
        order_by="OrderLine.position",
        lazy="selectin",
        cascade="all, delete-orphan",
        passive_deletes=True,
    )

    __table_args__ = (
        sa.UniqueConstraint("number"),
        sa.CheckConstraint(f"status IN ({_in(ORDER_STATUSES)})", name="status"),
        sa.CheckConstraint(
            f"accounting_status IN ({_in(ACCOUNTING_STATUSES)})", name="accounting_status"
        ),
        sa.CheckConstraint("total = subtotal - discount_total + tax_total", name="totals"),
        # the search box's amount (orders_0007)
        sa.Index("ix_orders_total", "total"),
        sa.CheckConstraint("version >= 1", name="version"),
        sa.Index("ix_orders_created_at_id", "created_at", "id"),
        sa.Index("ix_orders_updated_at_id", "updated_at", "id"),
        sa.Index("ix_orders_owner_id", "owner_id"),
        sa.Index("ix_orders_team_id", "team_id"),
        sa.Index("ix_orders_account_id", "account_id"),
        sa.Index("ix_orders_opportunity_id", "opportunity_id"),
        sa.Index("ix_orders_status", "status"),
    )


class OrderLine(Base):
    """One line of an order with its amounts, rounded to the order's currency."""

    __tablename__ = "order_lines"

    id: Mapped[str] = _id()
    order_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("orders.orders.id", ondelete="CASCADE")
    )
    position: Mapped[int] = mapped_column(sa.Integer)
    product_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("orders.products.id")
    )
    quantity: Mapped[Decimal] = mapped_column(QUANTITY)
    price: Mapped[Decimal] = mapped_column(MONEY)
    discount: Mapped[Decimal] = mapped_column(PERCENT)
    tax_rate: Mapped[Decimal] = mapped_column(PERCENT)
    amount: Mapped[Decimal] = mapped_column(MONEY)
    discount_amount: Mapped[Decimal] = mapped_column(MONEY)
    net: Mapped[Decimal] = mapped_column(MONEY)
    tax: Mapped[Decimal] = mapped_column(MONEY)
    total: Mapped[Decimal] = mapped_column(MONEY)

    __table_args__ = (
        sa.UniqueConstraint("order_id", "position"),
        sa.CheckConstraint("quantity > 0", name="quantity"),
        sa.CheckConstraint("price >= 0", name="price"),
        sa.CheckConstraint("discount BETWEEN 0 AND 100", name="discount"),
        sa.CheckConstraint("tax_rate BETWEEN 0 AND 100", name="tax_rate"),
        sa.Index("ix_order_lines_product_id", "product_id"),
    )


class OrderStatusChange(Base):
    """One step of an order's life: from which status to which, who and when."""

    __tablename__ = "order_status_history"

    id: Mapped[str] = _id()
    order_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("orders.orders.id", ondelete="CASCADE")
    )
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str | None] = mapped_column(sa.String(500))
    changed_by: Mapped[str] = mapped_column(UUID(as_uuid=False))
    changed_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (sa.Index("ix_order_status_history_order_id", "order_id", "changed_at"),)


class Invoice(Base):
    __tablename__ = "invoices"

    id: Mapped[str] = _id()
    number: Mapped[str] = mapped_column(sa.String(32))
    order_id: Mapped[str | None] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("orders.orders.id")
    )
    account_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    currency: Mapped[str] = mapped_column(sa.String(3))
    status: Mapped[str] = mapped_column(sa.String(20))
    subtotal: Mapped[Decimal] = mapped_column(MONEY)
    discount_total: Mapped[Decimal] = mapped_column(MONEY)
    tax_total: Mapped[Decimal] = mapped_column(MONEY)
    total: Mapped[Decimal] = mapped_column(MONEY)
    paid_amount: Mapped[Decimal] = mapped_column(MONEY, server_default="0")
    due_date: Mapped[date] = mapped_column(sa.Date)
    issued_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    paid_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    notes: Mapped[str | None] = mapped_column(sa.Text)
    owner_id: Mapped[str] = mapped_column(UUID(as_uuid=False))
    team_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(UUID(as_uuid=False))

    __table_args__ = (
        sa.UniqueConstraint("number"),
        sa.CheckConstraint(f"status IN ({_in(INVOICE_STATUSES)})", name="status"),
        sa.CheckConstraint("paid_amount >= 0 AND paid_amount <= total", name="paid_amount"),
        sa.CheckConstraint("total >= 0", name="total"),
        # the search box's amount (orders_0007)
        sa.Index("ix_invoices_total", "total"),
        sa.CheckConstraint("version >= 1", name="version"),
        sa.Index("ix_invoices_created_at_id", "created_at", "id"),
        sa.Index("ix_invoices_updated_at_id", "updated_at", "id"),
        sa.Index("ix_invoices_owner_id", "owner_id"),
        sa.Index("ix_invoices_team_id", "team_id"),
        sa.Index("ix_invoices_order_id", "order_id"),
        sa.Index("ix_invoices_account_id", "account_id"),
        # The overdue sweep looks only at issued invoices by due date.
        sa.Index(
            "ix_invoices_issued_due_date",
            "due_date",
            postgresql_where=sa.text("status = 'issued'"),
        ),
    )


class InvoicePayment(Base):
    """One payment registered against an invoice (partial payments are several rows)."""

    __tablename__ = "invoice_payments"

    id: Mapped[str] = _id()
    invoice_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("orders.invoices.id", ondelete="CASCADE")
    )
    amount: Mapped[Decimal] = mapped_column(MONEY)
    paid_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    registered_by: Mapped[str] = mapped_column(UUID(as_uuid=False))
    registered_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint("amount > 0", name="amount"),
        sa.Index("ix_invoice_payments_invoice_id", "invoice_id", "paid_at"),
    )


class Setting(Base):
    """One of the orders service's settings (``services/orders/settings.py``), as JSON."""

    __tablename__ = "settings"

    name: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONB)
    version: Mapped[int] = mapped_column(sa.Integer, server_default="1")
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    updated_by: Mapped[str] = mapped_column(UUID(as_uuid=False))


class AccountingOutbox(Base):
    """A message to the accounting system, written with the order change it tells of."""

    __tablename__ = "accounting_outbox"

    id: Mapped[str] = _id()
    type: Mapped[str] = mapped_column(sa.String(64))
    order_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    order_seq: Mapped[int | None] = mapped_column(sa.Integer)
    message: Mapped[dict[str, Any]] = mapped_column(JSONB)
    created_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))
    attempts: Mapped[int] = mapped_column(sa.Integer, server_default="0")

    __table_args__ = (
        sa.UniqueConstraint("order_id", "order_seq"),
        sa.Index("ix_accounting_outbox_unsent", "id", postgresql_where=sa.text("sent_at IS NULL")),
    )


class AccountingInbox(Base):
    """A message from the accounting system: applied, ignored, pending or rejected, once."""

    __tablename__ = "accounting_inbox"

    message_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    type: Mapped[str | None] = mapped_column(sa.String(64))
    order_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    order_seq: Mapped[int | None] = mapped_column(sa.Integer)
    state: Mapped[str] = mapped_column(sa.String(16))
    message: Mapped[Any] = mapped_column(JSONB)
    error: Mapped[str | None] = mapped_column(sa.Text)
    received_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))
    applied_at: Mapped[datetime | None] = mapped_column(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.CheckConstraint("state IN ('applied', 'ignored', 'pending', 'rejected')", name="state"),
        sa.Index("ix_accounting_inbox_order_id", "order_id", "order_seq"),
    )


class AccountingPayment(Base):
    """A payment the accounting system reported, once per its ``payment_id``."""

    __tablename__ = "accounting_payments"

    payment_id: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    invoice_id: Mapped[str] = mapped_column(
        UUID(as_uuid=False), sa.ForeignKey("orders.invoices.id", ondelete="CASCADE")
    )
    invoice_payment_id: Mapped[str | None] = mapped_column(UUID(as_uuid=False))
    message_id: Mapped[str] = mapped_column(sa.String(64))
    registered_at: Mapped[datetime] = mapped_column(sa.DateTime(timezone=True))


# The search box of the orders and invoices lists: any part of the number (orders_0006).
sa.Index(
    "ix_orders_number_trgm",
    sa.func.lower(Order.__table__.c.number).label("number_lower"),
    postgresql_using="gin",
    postgresql_ops={"number_lower": "gin_trgm_ops"},
)
sa.Index(
    "ix_invoices_number_trgm",
    sa.func.lower(Invoice.__table__.c.number).label("number_lower"),
    postgresql_using="gin",
    postgresql_ops={"number_lower": "gin_trgm_ops"},
)


# Record sharing (docs/architecture.md, "Access rights"): an order or an invoice shared
# with a user or a team for reading or editing, beyond their roles' scope (orders_0008).
order_shares = shares_table(metadata, "order_shares", "orders.orders")
invoice_shares = shares_table(metadata, "invoice_shares", "orders.invoices")
