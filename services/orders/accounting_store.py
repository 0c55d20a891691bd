"""The SQL of the exchange with the accounting system: the accounting outbox and inbox,
and what a reconciliation reads. Functions that take the session ``db`` first.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from services.platform.events import utcnow

from .models import AccountingInbox, AccountingOutbox, AccountingPayment, Invoice, Order


def queue_message(db: Any, body: dict[str, Any]) -> None:
    """Write one outgoing message into the accounting outbox (sent after commit)."""
    db.add(
        AccountingOutbox(
            id=body["message_id"],
            type=body["type"],
            order_id=body["order_id"],
            order_seq=body["order_seq"],
            message=body,
            created_at=utcnow(),
            sent_at=None,
            attempts=0,
        )
    )


def record_incoming(db: Any, values: dict[str, Any]) -> bool:
    """Write a received message into the inbox; False when its ``message_id`` is there
    already (a redelivery)."""
    inserted = db.execute(
        pg_insert(AccountingInbox.__table__)
        .values(**values, received_at=utcnow())
        .on_conflict_do_nothing(index_elements=["message_id"])
    ).rowcount
    return bool(inserted)


def incoming(db: Any, message_id: str) -> AccountingInbox:
    return db.get(AccountingInbox, message_id)


def next_pending(db: Any, order: Order) -> AccountingInbox | None:
    """The message that waited for the order's next ``order_seq``, if it came."""
    return db.execute(
        sa.select(AccountingInbox).where(
            AccountingInbox.order_id == order.id,
            AccountingInbox.order_seq == order.accounting_in_seq + 1,
            AccountingInbox.state == "pending",
        )
    ).scalar_one_or_none()


def lock_order(db: Any, order_id: str) -> Order | None:
    return db.execute(
        sa.select(Order).where(Order.id == order_id).with_for_update()
    ).scalar_one_or_none()


def lock_invoice_by_number(db: Any, number: str) -> Invoice | None:
    return db.execute(
        sa.select(Invoice).where(Invoice.number == number).with_for_update()
    ).scalar_one_or_none()


def known_payment(db: Any, payment_id: str) -> AccountingPayment | None:
    """The accounting system's payment already registered under ``payment_id``."""
    return db.get(AccountingPayment, payment_id)


def remember_payment(
    db: Any, payment_id: str, invoice_id: str, invoice_payment_id: str, message_id: str
) -> None:
    db.add(
        AccountingPayment(
            payment_id=payment_id,
            invoice_id=invoice_id,
            invoice_payment_id=invoice_payment_id,
            message_id=message_id,
            registered_at=utcnow(),
        )
    )


def message_log(db: Any, order_id: str) -> tuple[list[Any], list[Any]]:
    """The order's messages sent and received."""
    sent = db.execute(
        sa.select(AccountingOutbox).where(AccountingOutbox.order_id == order_id)
    ).scalars()
    received = db.execute(
        sa.select(AccountingInbox).where(AccountingInbox.order_id == order_id)
    ).scalars()
    return list(sent), list(received)


def sent_orders(db: Any) -> dict[str, Order]:
    """Every order that was ever sent to accounting, by number."""
    orders = db.execute(sa.select(Order).where(Order.accounting_status != "not_sent")).scalars()
    return {o.number: o for o in orders}


def paid_amounts(db: Any, order_ids: list[str]) -> dict[str, Decimal]:
    """invoice number → paid amount, for the invoices of these orders."""
    return dict(
        db.execute(
            sa.select(Invoice.number, Invoice.paid_amount).where(Invoice.order_id.in_(order_ids))
        ).all()
    )
