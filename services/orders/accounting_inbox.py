"""What a message from the accounting system does to Osprey (docs/accounting.md).

Each message lands in ``accounting_inbox`` in the transaction of its effect: applied
once per ``message_id``, in the order of its per-order ``order_seq``; a message ahead
of a gap waits as ``pending`` and is applied when the gap closes. A message the order's
state refuses is ``rejected`` with the reason but still takes its turn. These steps
take the session ``db`` and leave the commit to the entrypoint.
"""

from __future__ import annotations

import logging
from typing import Any

from services.platform.access import Actor
from services.platform.errors import Conflict, NotFound, OspreyError
from services.platform.events import utcnow
from services.platform.ids import new_id

from . import accounting_rules, accounting_store, domain, store
from .accounting_contract import MAX_SEQ
from .models import AccountingInbox, Order
from .schemas import dump_invoice, dump_order, dump_payment

log = logging.getLogger(__name__)


def reject(db: Any, message_id: Any, body: Any, error: str) -> str:
    """Record a message that breaks the contract as ``rejected``; ``duplicate`` when
    its id was seen before."""
    log.warning("accounting message rejected: %s", error)
    if not isinstance(message_id, str) or not 0 < len(message_id) <= 64:
        message_id = f"rejected-{new_id()}"
    order_id = body.get("order_id") if isinstance(body, dict) else None
    seq = body.get("order_seq") if isinstance(body, dict) else None
    inserted = accounting_store.record_incoming(
        db,
        {
            "message_id": message_id,
            "type": str(body.get("type"))[:64] if isinstance(body, dict) else None,
            "order_id": order_id if domain.is_uuid(order_id) else None,
            "order_seq": seq
            if isinstance(seq, int) and not isinstance(seq, bool) and 0 < seq <= MAX_SEQ
            else None,
            "state": "rejected",
            "message": body,
            "error": error,
        },
    )
    return "rejected" if inserted else "duplicate"


def receive(db: Any, body: dict[str, Any]) -> str:
    """Take one message that keeps the contract: ``applied``, ``pending``, ``ignored``,
    ``duplicate`` or ``rejected``."""
    type_ = body["type"]
    fresh = accounting_store.record_incoming(
        db,
        {
            "message_id": body["message_id"],
            "type": type_,
            "order_id": body.get("order_id") if domain.is_uuid(body.get("order_id")) else None,
            "order_seq": body.get("order_seq"),
            "state": "pending",
            "message": body,
        },
    )
    if not fresh:  # delivered again: it was applied (or judged) once already
        log.info("accounting message %s seen before; skipped", body["message_id"])
        return "duplicate"
    row = accounting_store.incoming(db, body["message_id"])
    if type_ == "reconcile_snapshot":
        return settle(row, "ignored", "a snapshot answers a reply queue, not this one")
    order = None
    if domain.is_uuid(body["order_id"]):
        order = accounting_store.lock_order(db, body["order_id"])
    if order is None:
        return settle(row, "rejected", "no such order")
    seq = body["order_seq"]
    if seq <= order.accounting_in_seq:
        return settle(
            row, "ignored", f"order_seq {seq} was passed (last {order.accounting_in_seq})"
        )
    if seq > order.accounting_in_seq + 1:
        log.info("accounting message %s waits for order_seq %d", row.message_id, seq - 1)
        return "pending"
    outcome = apply_in_turn(db, order, row)
    # Messages that arrived ahead of this one and waited for it.
    while (successor := accounting_store.next_pending(db, order)) is not None:
        apply_in_turn(db, order, successor)
    return outcome


def settle(row: AccountingInbox, state: str, error: str | None) -> str:
    row.state = state
    row.error = error
    row.applied_at = utcnow()
    return state


def apply_in_turn(db: Any, order: Order, row: AccountingInbox) -> str:
    """Apply ``row`` to ``order`` (its turn has come); a message the order's state
    refuses is ``rejected`` with the reason but still takes its turn."""
    order.accounting_in_seq = row.order_seq
    try:
        with db.begin_nested():
            note = apply(db, order, row.message)
    except (OspreyError, domain.Invalid) as exc:
        row.state, row.error = "rejected", str(exc)
    else:
        row.state, row.error = ("ignored", note) if note else ("applied", None)
    row.applied_at = utcnow()
    db.flush()
    return row.state


def set_status(order: Order, status: str, note: str | None) -> None:
    """The order's accounting status, with a note, now."""
    order.accounting_status = status
    order.accounting_note = accounting_rules.note(note)
    order.accounting_updated_at = utcnow()


def apply(db: Any, order: Order, body: dict[str, Any]) -> str | None:
    """The effect of one incoming message; a text when it has none (and why)."""
    type_, data = body["type"], body["data"]
    system = Actor.system("accounting")
    actor = {"id": system.id, "email": system.email}
    if type_ == "stock_availability":
        return None  # an answer for the log; nothing changes
    if type_ == "payment_notified":
        return apply_payment(db, order, body, system, actor)
    if order.accounting_status == "cancelled" and type_ != "shipment_notified":
        return f"the order's reservation was cancelled; {type_} changes nothing"
    if type_ == "reservation_confirmed":
        if order.accounting_status in ("shipped", "reserved"):
            return f"the order is {order.accounting_status} already"
        set_status(order, "reserved", None)
        store.touch(db, order)
        db.emit("stock_reserved", dump_order(order), actor=actor)
    elif type_ == "reservation_rejected":
        if order.accounting_status == "shipped":
            return "the order has shipped already"
        reason = str(data["reason"])
        short = data.get("lines_short") or []
        set_status(order, "rejected", reason)
        store.touch(db, order)
        db.emit(
            "stock_reservation_failed",
            {"order": dump_order(order), "reason": reason, "lines_short": short},
            actor=actor,
        )
    elif type_ == "shipment_notified":
        domain.parse_moment(data["shipped_at"])
        tracking = data.get("tracking")
        set_status(order, "shipped", f"tracking {tracking}" if tracking else None)
        ship(db, order, system, actor, tracking)
    return None


def ship(db: Any, order: Order, system: Actor, actor: dict[str, Any], tracking: Any) -> None:
    """Move the order on to ``shipped`` (through ``in_progress`` from ``confirmed``)."""
    steps = accounting_rules.ship_path(order.status)
    if steps is None:
        raise Conflict(f"A {order.status} order cannot be shipped")
    if not steps:  # shipped or completed already: only the accounting status changed
        store.touch(db, order)
        return
    reason = f"shipped by accounting (tracking {tracking})" if tracking else None
    for target in steps:
        before = order.status
        order.status = target
        store.touch(db, order)
        store.log_status(db, order, before, system, reason if target == "shipped" else None)
        db.flush()
        db.emit(
            "order_status_changed",
            {"order": dump_order(order), "from": before, "to": target},
            actor=actor,
        )


def apply_payment(
    db: Any, order: Order, body: dict[str, Any], system: Actor, actor: dict[str, Any]
) -> str | None:
    """Register a payment the accounting system notified, once per its ``payment_id``."""
    data = body["data"]
    invoice = accounting_store.lock_invoice_by_number(db, str(data["invoice_number"]))
    if invoice is None or invoice.order_id != order.id:
        raise NotFound(f"The order has no invoice {data['invoice_number']}")
    payment_id = str(data["payment_id"])[:100]
    if accounting_store.known_payment(db, payment_id) is not None:
        return f"payment {payment_id} was registered before"
    if invoice.status not in ("issued", "overdue"):
        raise Conflict(f"A {invoice.status} invoice takes no payment")
    amount = domain.parse_money(str(data["amount"]), invoice.currency)
    moment = domain.parse_moment(data["paid_at"])
    if amount <= 0:
        raise domain.Invalid("amount must be more than zero")
    if amount > domain.outstanding(invoice.total, invoice.paid_amount):
        raise domain.Invalid("amount is more than is outstanding")
    payment = store.add_payment(db, invoice, amount, moment, system.id)
    accounting_store.remember_payment(db, payment_id, invoice.id, payment.id, body["message_id"])
    db.flush()
    result = dump_invoice(invoice)
    db.emit(
        "invoice_payment_registered",
        {"invoice": result, "payment": dump_payment(payment, invoice.currency)},
        actor=actor,
    )
    if invoice.status == "paid":
        db.emit("invoice_paid", result, actor=actor)
    return None
