"""The orders service's SQL for orders, invoices, numbering and settings: functions that
take the session ``db`` first. They read and write; the rules are :mod:`.domain`'s.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, UUID
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.platform.access import Actor
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.listing import Filter, ListSpec, Lookup, Sort

from . import access
from .accounting_contract import ACCOUNTING_STATUSES
from .domain import INVOICE_STATUSES, ORDER_STATUSES, Line, LineAmounts, order_totals
from .models import (
    Invoice,
    InvoicePayment,
    NumberCounter,
    Order,
    OrderLine,
    OrderStatusChange,
    Product,
    Setting,
)

ORDER_LIST_SPEC = ListSpec(
    id_column=Order.id,
    filters={
        "number": Filter(Order.number, "contains"),
        "status": Filter(Order.status, "enum", options=ORDER_STATUSES),
        "accounting_status": Filter(Order.accounting_status, "enum", options=ACCOUNTING_STATUSES),
        "account_id": Filter(Order.account_id, "uuid"),
        "contact_id": Filter(Order.contact_id, "uuid"),
        "opportunity_id": Filter(Order.opportunity_id, "uuid"),
        "owner_id": Filter(Order.owner_id, "uuid"),
        "team_id": Filter(Order.team_id, "uuid"),
        "created_at": Filter(Order.created_at, "datetime"),
        "updated_at": Filter(Order.updated_at, "datetime"),
    },
    sorts={
        "created_at": Sort(Order.created_at, nullable=False),
        "updated_at": Sort(Order.updated_at, nullable=False),
        "number": Sort(Order.number, nullable=False),
        "total": Sort(Order.total, nullable=False),
    },
    default_sort="-created_at",
    # the search box: the number, whole or any part of it (ix_orders_number_trgm), and
    # an amount typed as the exact total (ix_orders_total)
    search_contains=(Lookup(sa.func.lower(Order.number)),),
    search_amounts=(Lookup(Order.total),),
)

INVOICE_LIST_SPEC = ListSpec(
    id_column=Invoice.id,
    filters={
        "number": Filter(Invoice.number, "contains"),
        "status": Filter(Invoice.status, "enum", options=INVOICE_STATUSES),
        "order_id": Filter(Invoice.order_id, "uuid"),
        "account_id": Filter(Invoice.account_id, "uuid"),
        "owner_id": Filter(Invoice.owner_id, "uuid"),
        "team_id": Filter(Invoice.team_id, "uuid"),
        "due_date": Filter(Invoice.due_date, "date"),
        "created_at": Filter(Invoice.created_at, "datetime"),
        "updated_at": Filter(Invoice.updated_at, "datetime"),
    },
    sorts={
        "created_at": Sort(Invoice.created_at, nullable=False),
        "updated_at": Sort(Invoice.updated_at, nullable=False),
        "number": Sort(Invoice.number, nullable=False),
        "total": Sort(Invoice.total, nullable=False),
        "due_date": Sort(Invoice.due_date, nullable=False),
    },
    default_sort="-created_at",
    search_contains=(Lookup(sa.func.lower(Invoice.number)),),
    search_amounts=(Lookup(Invoice.total),),
)


def with_customers(
    spec: ListSpec, account: Any, query: dict[str, Any] | None, customers: Sequence[str]
) -> ListSpec:
    """``spec`` whose search box also finds the records of ``customers`` — the accounts
    sales found by the typed name — beside the number's and the total's match."""
    text = " ".join(str((query or {}).get("q") or "").split()).lower()
    if not customers or not text:
        return spec
    # The ids as one array parameter, not a VALUES list of literals: the statement is
    # then the same for every text and compiled once (200 ids compiled afresh cost
    # the orders service more than the search itself). The lookup's column is the
    # typed text itself, which its own match finds: every customer sales found.
    ids = sa.literal(list(customers), ARRAY(UUID(as_uuid=False)))
    found = (
        sa.func.unnest(ids)
        .table_valued(sa.column("id", UUID(as_uuid=False)))
        .render_derived(name="customers")
    )
    lookup = Lookup(sa.func.lower(sa.literal(text, sa.Text)), record_id=found.c.id, on=account)
    return dataclasses.replace(spec, search_contains=(*spec.search_contains, lookup))


def order_page(
    db: Any,
    caller: Actor,
    query: dict[str, Any] | None,
    dump: Callable[[Any], Any],
    customers: Sequence[str] = (),
) -> dict[str, Any]:
    """A page of the orders the caller may read (``customers``: accounts found by name),
    as :meth:`EntityAccess.list_page` answers it."""
    spec = with_customers(ORDER_LIST_SPEC, Order.account_id, query, customers)
    return access.ORDERS.list_page(db, caller, Order, spec, query, dump)


def invoice_page(
    db: Any,
    caller: Actor,
    query: dict[str, Any] | None,
    dump: Callable[[Any], Any],
    customers: Sequence[str] = (),
) -> dict[str, Any]:
    """A page of the invoices the caller may read (``customers``: accounts found by
    name), as :meth:`EntityAccess.list_page` answers it."""
    spec = with_customers(INVOICE_LIST_SPEC, Invoice.account_id, query, customers)
    return access.INVOICES.list_page(db, caller, Invoice, spec, query, dump)


#: How many overdue invoices one transaction marks.
OVERDUE_BATCH = 200


# --- numbering -----------------------------------------------------------------------------


def next_number(db: Any, kind: str, year: int) -> int:
    """The next number of ``kind`` in ``year``, gap-free.

    The year's counter row is locked (``SELECT … FOR UPDATE``) until the caller's
    transaction ends: creates of the same kind and year queue behind each other, and a
    create that rolls back rolls the counter back with it, so no number is ever skipped
    or given twice.
    """
    table = NumberCounter.__table__
    db.execute(
        pg_insert(table)
        .values(kind=kind, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["kind", "year"])
    )
    row = (table.c.kind == kind) & (table.c.year == year)
    last = db.execute(sa.select(table.c.last_number).where(row).with_for_update()).scalar_one()
    number = last + 1
    db.execute(sa.update(table).where(row).values(last_number=number))
    return number


# --- orders ----------------------------------------------------------------------------------


def product_states(db: Any, product_ids: set[str]) -> dict[str, bool]:
    """product id → whether it is active, for the ids the catalogue has."""
    if not product_ids:
        return {}
    return dict(
        db.execute(
            sa.select(Product.id, Product.is_active).where(Product.id.in_(product_ids))
        ).all()
    )


def product_tax_rates(db: Any, product_ids: list[str]) -> dict[str, Any]:
    """product id → its tax rate (None when it has none), for the ids the catalogue has."""
    return dict(
        db.execute(sa.select(Product.id, Product.tax_rate).where(Product.id.in_(product_ids))).all()
    )


def product_codes(db: Any, product_ids: list[str]) -> dict[str, str]:
    """product id → its code."""
    return dict(
        db.execute(sa.select(Product.id, Product.code).where(Product.id.in_(product_ids))).all()
    )


def lock_deal(db: Any, deal_id: str) -> None:
    """Queue the creates of orders for one deal until the first commits (one order per deal)."""
    db.execute(
        sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
        {"key": f"orders.opportunity:{deal_id}"},
    )


def deal_order_number(db: Any, deal_id: str) -> str | None:
    """The number of the deal's first order that is not cancelled, if it has one."""
    return db.execute(
        sa.select(Order.number)
        .where(Order.opportunity_id == deal_id, Order.status != "cancelled")
        .order_by(Order.created_at)
        .limit(1)
    ).scalar_one_or_none()


def set_lines(db: Any, order: Order, priced: list[tuple[Line, LineAmounts]]) -> None:
    """Replace the order's lines and store its totals (the sums of the rounded lines)."""
    order.lines.clear()
    db.flush()  # the old lines go before the new take their positions
    for position, (line, amounts) in enumerate(priced):
        order.lines.append(
            OrderLine(
                id=new_id(),
                position=position,
                product_id=line.product_id,
                quantity=line.quantity,
                price=line.price,
                discount=line.discount,
                tax_rate=line.tax_rate,
                amount=amounts.amount,
                discount_amount=amounts.discount_amount,
                net=amounts.net,
                tax=amounts.tax,
                total=amounts.total,
            )
        )
    totals = order_totals([amounts for _line, amounts in priced])
    order.subtotal = totals.subtotal
    order.discount_total = totals.discount_total
    order.tax_total = totals.tax_total
    order.total = totals.total


def log_status(
    db: Any, order: Order, from_status: str | None, caller: Actor, reason: str | None = None
) -> None:
    """A row of the order's status history: from ``from_status`` to its status now."""
    db.add(
        OrderStatusChange(
            id=new_id(),
            order_id=order.id,
            from_status=from_status,
            to_status=order.status,
            reason=reason,
            changed_by=caller.id,
            changed_at=order.updated_at,
        )
    )


def insert_order(
    db: Any, values: dict[str, Any], priced: list[tuple[Line, LineAmounts]], caller: Actor
) -> Order:
    """A new draft order with its lines, numbered and logged (flushed, not committed).

    The number is taken last, right before the insert, so the counter's row lock is
    held as briefly as possible; anything that fails after it rolls it back too.
    """
    now = utcnow()
    order = Order(
        **values,
        id=new_id(),
        number="",
        status="draft",
        version=1,
        created_at=now,
        updated_at=now,
        created_by=caller.id,
    )
    set_lines(db, order, priced)
    order.number = f"{now.year}-{next_number(db, 'order', now.year):06d}"
    db.add(order)
    log_status(db, order, None, caller)
    db.flush()
    return order


def status_history(db: Any, order_id: str) -> list[OrderStatusChange]:
    """The order's status changes, oldest first."""
    return list(
        db.execute(
            sa.select(OrderStatusChange)
            .where(OrderStatusChange.order_id == order_id)
            .order_by(OrderStatusChange.changed_at, OrderStatusChange.id)
        ).scalars()
    )


def order_number(db: Any, order_id: str) -> str | None:
    return db.execute(sa.select(Order.number).where(Order.id == order_id)).scalar_one_or_none()


def lines_with_products(db: Any, order_id: str) -> list[tuple[OrderLine, str, str, str | None]]:
    """The order's lines in order, each with its product's code, name and unit."""
    return list(
        db.execute(
            sa.select(OrderLine, Product.code, Product.name, Product.unit)
            .join(Product, Product.id == OrderLine.product_id)
            .where(OrderLine.order_id == order_id)
            .order_by(OrderLine.position)
        ).all()
    )


def touch(db: Any, record: Any) -> None:
    """A changed record's next version, now (flushed)."""
    record.version += 1
    record.updated_at = utcnow()
    db.flush()


# --- invoices ------------------------------------------------------------------------------


def payments(db: Any, invoice_id: str) -> list[InvoicePayment]:
    """The invoice's payments, oldest first."""
    return list(
        db.execute(
            sa.select(InvoicePayment)
            .where(InvoicePayment.invoice_id == invoice_id)
            .order_by(InvoicePayment.paid_at, InvoicePayment.id)
        ).scalars()
    )


def add_payment(
    db: Any, invoice: Invoice, amount: Any, paid_at: Any, registered_by: str
) -> InvoicePayment:
    """Record a payment of the invoice; the invoice is ``paid`` once its payments reach
    the total. Flushed, with the invoice's next version."""
    now = utcnow()
    payment = InvoicePayment(
        id=new_id(),
        invoice_id=invoice.id,
        amount=amount,
        paid_at=paid_at,
        registered_by=registered_by,
        registered_at=now,
    )
    db.add(payment)
    invoice.paid_amount = invoice.paid_amount + amount
    if invoice.paid_amount == invoice.total:
        invoice.status = "paid"
        invoice.paid_at = paid_at
    invoice.version += 1
    invoice.updated_at = now
    db.flush()
    return payment


def lock_due_invoices(db: Any, today: date) -> list[Invoice]:
    """A batch of issued invoices due before ``today`` that no other replica holds
    (``SKIP LOCKED``), locked."""
    return list(
        db.execute(
            sa.select(Invoice)
            .where(Invoice.status == "issued", Invoice.due_date < today)
            .order_by(Invoice.due_date, Invoice.id)
            .limit(OVERDUE_BATCH)
            .with_for_update(skip_locked=True)
        ).scalars()
    )


# --- settings --------------------------------------------------------------------------------

#: The name of the one settings row.
SETTINGS_ROW = "orders"


def settings_row(db: Any, *, for_update: bool = False) -> Setting | None:
    """The stored settings (None while nobody has set any)."""
    stmt = sa.select(Setting).where(Setting.name == SETTINGS_ROW)
    if for_update:
        stmt = stmt.with_for_update()
    return db.execute(stmt).scalar_one_or_none()


def lock_settings_row(db: Any, caller_id: str) -> Setting:
    """The settings row, made if missing, under its row lock, so two changes do not
    overwrite each other."""
    db.execute(
        pg_insert(Setting.__table__)
        .values(name=SETTINGS_ROW, value={}, version=0, updated_at=utcnow(), updated_by=caller_id)
        .on_conflict_do_nothing(index_elements=["name"])
    )
    row = settings_row(db, for_update=True)
    assert row is not None  # made above, or by whoever made it first
    return row
