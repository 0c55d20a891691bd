"""The exchange with the company's accounting system (docs/accounting.md): the orders
service's part.

Osprey sends through the accounting outbox (written in the transaction of the order
change and relayed by :class:`~.dependencies.AccountingLink`): confirming an order
asks for a reservation (:func:`request_reservation`, called where ``orders.py``
confirms), cancelling one that was sent releases it (:func:`release_reservation`),
``reserve_order`` asks again and ``query_order_stock`` asks what is in stock. What
comes back through :class:`~.dependencies.AccountingConsumer` is applied by
:mod:`.accounting_inbox`. An order's message log and the reconciliation of both
sides' books are read here too.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.events import isoformat, utcnow
from services.platform.ids import new_id
from services.platform.rpc import rpc

from . import access, accounting_inbox, accounting_rules, accounting_store, store
from .accounting_contract import MalformedMessage, check_message, message
from .base import OrdersBase
from .dependencies import AccountingUnavailable, WorkerLink, accounting_consumer
from .models import Order
from .schemas import dump_log_entry, dump_order

# ``AccountingUnavailable`` is raised from here (a reconciliation without an answer);
# callers and the gateway's error table have always found it in this module.
__all__ = ["AccountingRpc", "AccountingUnavailable", "release_reservation", "request_reservation"]

log = logging.getLogger(__name__)


# --- sending ---------------------------------------------------------------------------------


def send(
    db: Any, link: WorkerLink, order: Order, type_: str, data: dict[str, Any]
) -> dict[str, Any]:
    """Queue one message about ``order`` in this transaction, with its next ``order_seq``;
    the relay sends it once the worker is done."""
    order.accounting_out_seq += 1
    body = message(new_id(), type_, order.id, order.accounting_out_seq, data)
    accounting_store.queue_message(db, body)
    link.written()
    return body


def order_lines(db: Any, order: Order) -> list[dict[str, Any]]:
    """The order's lines as the accounting system knows goods: by product code."""
    codes = store.product_codes(db, [line.product_id for line in order.lines])
    return [
        {"product_code": codes.get(line.product_id), "quantity": str(line.quantity)}
        for line in order.lines
    ]


def request_reservation(db: Any, link: WorkerLink, order: Order) -> None:
    """Ask the accounting system to hold the order's goods; the order is ``waiting``."""
    send(
        db,
        link,
        order,
        "reservation_requested",
        {"order_number": order.number, "lines": order_lines(db, order), "currency": order.currency},
    )
    accounting_inbox.set_status(order, "waiting", None)


def release_reservation(db: Any, link: WorkerLink, order: Order) -> None:
    """Tell the accounting system a cancelled order's goods are free again, if it was
    ever asked to hold them."""
    if not accounting_rules.releases_reservation(order.status, order.accounting_status):
        return
    send(
        db,
        link,
        order,
        "reservation_cancel_requested",
        {"order_number": order.number, "reason": order.cancel_reason},
    )
    accounting_inbox.set_status(order, "cancelled", order.cancel_reason)


class AccountingRpc(OrdersBase):
    """Sends to and applies from the accounting system; the message log; reconciliation."""

    @rpc(expected_exceptions=EXPECTED)
    def reserve_order(
        self, order_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> dict[str, Any]:
        """Send the reservation request again for a confirmed or in-progress order whose
        accounting status is ``not_sent``, ``rejected`` or ``waiting``; returns the order.

        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (another status; stale version).
        """
        caller = Actor.from_dict(actor)
        order = access.ORDERS.load_for_change(self.db, Order, order_id, caller, expected_version)
        accounting_rules.check_resendable(order.status, order.accounting_status)
        request_reservation(self.db, self.accounting, order)
        store.touch(self.db, order)
        result = dump_order(order)
        self.db.emit("order_updated", {**result, "changed_fields": ["accounting_status"]}, actor)
        self.db.commit()
        return access.ORDERS.visible(caller, result)

    @rpc(expected_exceptions=EXPECTED)
    def query_order_stock(self, order_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """Ask the accounting system how much of the order's products is in stock; the
        answer (``stock_availability``) appears in the order's message log. Returns the
        message sent. Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        order = access.ORDERS.load(self.db, Order, order_id, caller, for_update=True)
        lines = order_lines(self.db, order)
        sent = send(self.db, self.accounting, order, "stock_query", {"lines": lines})
        self.db.commit()
        return sent

    @rpc(expected_exceptions=EXPECTED)
    def order_accounting(self, order_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The order's accounting status and its messages both ways, oldest first:
        ``{status, note, updated_at, messages: [{direction: out|in, message_id, type,
        order_seq, at, state, data, …}]}``. Raises ``NotFound``."""
        caller = Actor.from_dict(actor)
        order = access.ORDERS.load(self.db, Order, order_id, caller)
        sent, received = accounting_store.message_log(self.db, order.id)
        entries = [dump_log_entry("out", r) for r in sent]
        entries += [dump_log_entry("in", r) for r in received]
        entries.sort(key=lambda e: (e["at"] or "", e["direction"]))
        result = {
            "order_id": order.id,
            "status": order.accounting_status,
            "note": order.accounting_note,
            "updated_at": isoformat(order.accounting_updated_at),
            "messages": entries,
        }
        self.db.commit()
        return result

    @accounting_consumer
    def handle_accounting_message(self, raw: Any) -> str:
        """Apply one message from ``accounting.from_erp``; return what became of it
        (``applied``, ``pending``, ``ignored``, ``duplicate``, ``rejected``)."""
        text = accounting_rules.text_of(raw)
        try:
            body = json.loads(text)
        except ValueError as exc:
            outcome = accounting_inbox.reject(
                self.db, None, {"raw": text[:10000]}, f"not JSON: {exc}"
            )
            self.db.commit()
            return outcome
        try:
            check_message(body)
        except MalformedMessage as exc:
            message_id = body.get("message_id") if isinstance(body, dict) else None
            outcome = accounting_inbox.reject(self.db, message_id, body, str(exc))
            self.db.commit()
            return outcome
        try:
            outcome = accounting_inbox.receive(self.db, body)
        except sa.exc.OperationalError:
            raise  # the database, not the message: leave it for redelivery
        except Exception as exc:  # a bug must not wedge the queue: keep it, say why
            log.exception("accounting message %s could not be applied", body["message_id"])
            self.db.rollback()
            outcome = accounting_inbox.reject(
                self.db, body["message_id"], body, f"could not be applied: {exc}"
            )
        self.db.commit()
        return outcome

    @rpc(expected_exceptions=EXPECTED)
    def reconcile_accounting(self, actor: dict[str, Any]) -> dict[str, Any]:
        """Compare every order sent to accounting and the payments of their invoices with
        the accounting system's snapshot; administrators only. Returns ``{checked_at,
        orders, payments, differences: [{order_number, field, crm, accounting}]}``.

        Raises ``PermissionDenied``, ``AccountingUnavailable`` (no snapshot in time).
        """
        Actor.from_dict(actor).require_admin()
        self.db.commit()  # no transaction held while waiting for the answer
        snapshot = self.accounting.request_snapshot()
        crm = accounting_store.sent_orders(self.db)
        paid = accounting_store.paid_amounts(self.db, [o.id for o in crm.values()])
        differences = accounting_rules.compare(crm, paid, snapshot.get("data") or {})
        self.db.commit()
        return {
            "checked_at": isoformat(utcnow()),
            "orders": len(crm),
            "payments": len(paid),
            "differences": differences,
        }
