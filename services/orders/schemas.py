"""What crosses the wire: each entity's fields, and records as JSON-safe dicts.

Money goes out as decimal strings in the currency's minor unit, times as ISO 8601
UTC, ids as strings; no ORM object leaves the service.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.platform.events import isoformat
from services.platform.records import describe_entity

from . import domain
from .accounting_contract import ACCOUNTING_STATUSES
from .domain import (
    INVOICE_STATUSES,
    ORDER_STATUSES,
    Entity,
    EntityField,
    record_tail,
)


def wire(value: Any) -> Any:
    """A stored value as JSON carries it: decimals as strings, times ISO 8601 UTC."""
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return value


def dump_entity(entity: Entity, record: Any) -> dict[str, Any]:
    """A record's fields, in the entity's order, as JSON-safe values."""
    return {name: wire(getattr(record, name, None)) for name in entity.field_names}


# --- the catalogue ------------------------------------------------------------------------

PRODUCT_FIELDS: tuple[EntityField, ...] = (
    EntityField("id", "uuid", "ID", read_only=True),
    EntityField(
        "code",
        "string",
        "Code",
        max_length=64,
        required=True,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    EntityField(
        "name",
        "string",
        "Name",
        max_length=300,
        required=True,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    EntityField("unit", "string", "Unit", max_length=32),
    EntityField("category", "string", "Category", max_length=100, filterable=True),
    EntityField("is_active", "boolean", "Active", filterable=True),
    EntityField("description", "text", "Description", max_length=5000),
    EntityField("tax_rate", "percent", "Tax rate, %"),
    EntityField("price", "money", "Price", read_only=True),
    EntityField("currency", "currency", "Currency", read_only=True),
    *record_tail(owned=False),
)
PRODUCT = Entity("product", PRODUCT_FIELDS)

PRICE_LIST_FIELDS: tuple[EntityField, ...] = (
    EntityField("id", "uuid", "ID", read_only=True),
    EntityField(
        "name", "string", "Name", max_length=200, required=True, sortable=True, filterable=True
    ),
    EntityField("currency", "currency", "Currency", required=True, filterable=True),
    EntityField("is_default", "boolean", "Default", filterable=True),
    *record_tail(owned=False),
)
PRICE_LIST = Entity("price_list", PRICE_LIST_FIELDS)


def dump_product(product: Any, price: Any = None, currency: str | None = None) -> dict[str, Any]:
    """A product with its price in the default price list (None when it has none)."""
    result = dump_entity(PRODUCT, product)
    result["price"] = domain.money_text(price, currency)
    result["currency"] = currency if price is not None else None
    return result


def dump_price_list(price_list: Any) -> dict[str, Any]:
    return dump_entity(PRICE_LIST, price_list)


def dump_price(price: Any, currency: str, product: Any = None) -> dict[str, Any]:
    return {
        "price_list_id": price.price_list_id,
        "product_id": price.product_id,
        "product_code": product.code if product is not None else None,
        "product_name": product.name if product is not None else None,
        "price": domain.money_text(price.price, currency),
        "currency": currency,
        "updated_at": wire(price.updated_at),
        "updated_by": price.updated_by,
    }


def describe_products() -> dict[str, Any]:
    """The product entity for ``meta/entities``."""
    return describe_entity(PRODUCT, "products", "Products", "Product")


# --- orders -------------------------------------------------------------------------------

ORDER_FIELDS: tuple[EntityField, ...] = (
    EntityField("id", "uuid", "ID", read_only=True),
    EntityField(
        "number",
        "string",
        "Number",
        read_only=True,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    EntityField("account_id", "uuid", "Account", filterable=True, lookup="accounts"),
    EntityField("contact_id", "uuid", "Contact", filterable=True, lookup="contacts"),
    EntityField("opportunity_id", "uuid", "Opportunity", filterable=True, lookup="opportunities"),
    EntityField("currency", "currency", "Currency", max_length=3, required=True),
    EntityField(
        "status", "enum", "Status", options=ORDER_STATUSES, read_only=True, filterable=True
    ),
    EntityField("lines", "list", "Lines", items="order_line"),
    EntityField("subtotal", "money", "Subtotal", read_only=True),
    EntityField("discount_total", "money", "Discount", read_only=True),
    EntityField("tax_total", "money", "Tax", read_only=True),
    EntityField("total", "money", "Total", read_only=True, sortable=True),
    EntityField("notes", "text", "Notes", max_length=5000),
    EntityField("cancel_reason", "string", "Reason cancelled", max_length=500, read_only=True),
    EntityField(
        "accounting_status",
        "enum",
        "Accounting",
        options=ACCOUNTING_STATUSES,
        read_only=True,
        filterable=True,
    ),
    EntityField("accounting_note", "string", "Accounting note", max_length=500, read_only=True),
    EntityField("accounting_updated_at", "datetime", "Accounting updated", read_only=True),
    *record_tail(owned=True),
)
ORDER = Entity("order", ORDER_FIELDS)
ORDER_MONEY_FIELDS = ("subtotal", "discount_total", "tax_total", "total")


def dump_line(line: Any, currency: str) -> dict[str, Any]:
    return {
        "product_id": line.product_id,
        "quantity": wire(line.quantity),
        "price": domain.money_text(line.price, currency),
        "discount": wire(line.discount),
        "tax_rate": wire(line.tax_rate),
        "amount": domain.money_text(line.amount, currency),
        "discount_amount": domain.money_text(line.discount_amount, currency),
        "net": domain.money_text(line.net, currency),
        "tax": domain.money_text(line.tax, currency),
        "total": domain.money_text(line.total, currency),
    }


def dump_order(order: Any) -> dict[str, Any]:
    """An order with its lines; money as decimal strings in the currency's minor unit."""
    result = dump_entity(ORDER, order)
    for name in ORDER_MONEY_FIELDS:
        result[name] = domain.money_text(getattr(order, name), order.currency)
    result["lines"] = [dump_line(line, order.currency) for line in order.lines]
    return result


def dump_status_change(change: Any) -> dict[str, Any]:
    return {
        "from": change.from_status,
        "to": change.to_status,
        "reason": change.reason,
        "changed_by": change.changed_by,
        "changed_at": isoformat(change.changed_at),
    }


def line_key(line: domain.Line) -> dict[str, str]:
    """A line as sent, comparable with a stored line's :func:`stored_line_key`."""
    return {
        "product_id": line.product_id,
        "quantity": wire(line.quantity),
        "price": f"{line.price:.2f}",
        "discount": wire(line.discount),
        "tax_rate": wire(line.tax_rate),
    }


def stored_line_key(line: Any) -> dict[str, str]:
    """A stored order line in the form of :func:`line_key`."""
    return {
        "product_id": line.product_id,
        "quantity": wire(line.quantity),
        "price": f"{line.price:.2f}",
        "discount": wire(line.discount),
        "tax_rate": wire(line.tax_rate),
    }


def describe_orders() -> dict[str, Any]:
    """The order entity for ``meta/entities``."""
    return describe_entity(ORDER, "orders", "Orders", "Order")


# --- invoices -----------------------------------------------------------------------------

INVOICE_FIELDS: tuple[EntityField, ...] = (
    EntityField("id", "uuid", "ID", read_only=True),
    EntityField(
        "number",
        "string",
        "Number",
        read_only=True,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    EntityField("order_id", "uuid", "Order", filterable=True, lookup="orders"),
    EntityField("account_id", "uuid", "Account", filterable=True, lookup="accounts"),
    EntityField("currency", "currency", "Currency", max_length=3, required=True),
    EntityField(
        "status", "enum", "Status", options=INVOICE_STATUSES, read_only=True, filterable=True
    ),
    EntityField("subtotal", "money", "Subtotal", read_only=True),
    EntityField("discount_total", "money", "Discount", read_only=True),
    EntityField("tax_total", "money", "Tax"),
    EntityField("total", "money", "Total", required=True, sortable=True),
    EntityField("paid_amount", "money", "Paid", read_only=True),
    EntityField("due_date", "date", "Due date", sortable=True, filterable=True, filter_op="range"),
    EntityField("issued_at", "datetime", "Issued", read_only=True),
    EntityField("paid_at", "datetime", "Paid on", read_only=True),
    EntityField("cancel_reason", "string", "Reason cancelled", max_length=500, read_only=True),
    EntityField("notes", "text", "Notes", max_length=5000),
    *record_tail(owned=True),
)
INVOICE = Entity("invoice", INVOICE_FIELDS)
INVOICE_MONEY_FIELDS = ("subtotal", "discount_total", "tax_total", "total", "paid_amount")


def dump_invoice(invoice: Any) -> dict[str, Any]:
    """An invoice; money as decimal strings in the currency's minor unit."""
    result = dump_entity(INVOICE, invoice)
    for name in INVOICE_MONEY_FIELDS:
        result[name] = domain.money_text(getattr(invoice, name), invoice.currency)
    return result


def dump_payment(payment: Any, currency: str) -> dict[str, Any]:
    return {
        "id": payment.id,
        "invoice_id": payment.invoice_id,
        "amount": domain.money_text(payment.amount, currency),
        "paid_at": isoformat(payment.paid_at),
        "registered_by": payment.registered_by,
        "registered_at": isoformat(payment.registered_at),
    }


def describe_invoices() -> dict[str, Any]:
    """The invoice entity for ``meta/entities``."""
    return describe_entity(INVOICE, "invoices", "Invoices", "Invoice")


# --- the accounting exchange's log ----------------------------------------------------------


def dump_log_entry(direction: str, row: Any) -> dict[str, Any]:
    body = row.message if isinstance(row.message, dict) else {}
    entry = {
        "direction": direction,
        "message_id": body.get("message_id") if direction == "out" else row.message_id,
        "type": row.type,
        "order_seq": row.order_seq,
        "data": body.get("data"),
    }
    if direction == "out":
        entry.update(at=isoformat(row.created_at), state="sent" if row.sent_at else "queued")
        entry["sent_at"] = isoformat(row.sent_at)
    else:
        entry.update(at=isoformat(row.received_at), state=row.state, error=row.error)
    return entry
