"""The message contract between Osprey and the accounting system (docs/accounting.md).

Pure values and checks, no I/O, shared by the orders service and the reference peer
(``deploy/accounting/peer.py``). Every message is a JSON object::

    {"message_id": "<uuid7>", "type": "reservation_requested", "version": 1,
     "order_id": "<the CRM order's id>", "order_seq": 3,
     "sent_at": "2026-11-27T10:00:00.000Z", "data": {...}}

``order_seq`` counts the messages about one order in one direction (1, 2, 3 …);
each side keeps its own counter. ``reconcile_request``/``reconcile_snapshot`` are
about no order: their ``order_id`` and ``order_seq`` are ``null``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

#: The durable direct exchange both directions are published to.
EXCHANGE = "osprey.accounting"
#: Osprey → accounting (routing key = queue name).
TO_ERP = "accounting.to_erp"
#: Accounting → Osprey.
FROM_ERP = "accounting.from_erp"
VERSION = 1
#: The largest ``order_seq`` (a PostgreSQL ``integer``).
MAX_SEQ = 2_147_483_647

#: Where an order stands with the accounting system.
ACCOUNTING_STATUSES: tuple[str, ...] = (
    "not_sent",
    "waiting",
    "reserved",
    "rejected",
    "shipped",
    "cancelled",
)

#: Osprey sends these.
OUTGOING_TYPES: tuple[str, ...] = (
    "stock_query",
    "reservation_requested",
    "reservation_cancel_requested",
    "reconcile_request",
)
#: The accounting system sends these, with the ``data`` fields each must carry.
INCOMING_FIELDS: dict[str, tuple[str, ...]] = {
    "stock_availability": ("lines",),
    "reservation_confirmed": (),
    "reservation_rejected": ("reason",),
    "shipment_notified": ("shipped_at",),
    "payment_notified": ("invoice_number", "amount", "paid_at", "payment_id"),
    "reconcile_snapshot": ("orders", "payments"),
}
#: Incoming types about no single order.
UNORDERED_TYPES: tuple[str, ...] = ("reconcile_snapshot", "reconcile_request")


class MalformedMessage(ValueError):
    """A message that breaks the contract; it is recorded as rejected, never applied."""


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def message(
    message_id: str,
    type_: str,
    order_id: str | None,
    order_seq: int | None,
    data: dict[str, Any],
) -> dict[str, Any]:
    """One message of the contract."""
    return {
        "message_id": message_id,
        "type": type_,
        "version": VERSION,
        "order_id": order_id,
        "order_seq": order_seq,
        "sent_at": now_text(),
        "data": data,
    }


def check_message(body: Any, types: dict[str, tuple[str, ...]] | None = None) -> dict[str, Any]:
    """``body`` (the decoded JSON) when it keeps the contract; else :class:`MalformedMessage`."""
    types = INCOMING_FIELDS if types is None else types
    if not isinstance(body, dict):
        raise MalformedMessage("a message is a JSON object")
    problems: list[str] = []
    message_id = body.get("message_id")
    if not isinstance(message_id, str) or not 0 < len(message_id) <= 64:
        problems.append("message_id must be a string of 1 to 64 characters")
    type_ = body.get("type")
    if type_ not in types:
        problems.append(f"type {type_!r} is not one of {', '.join(sorted(types))}")
    if body.get("version") != VERSION:
        problems.append(f"version must be {VERSION}")
    data = body.get("data")
    if not isinstance(data, dict):
        problems.append("data must be an object")
    if type_ in types and type_ not in UNORDERED_TYPES:
        if not isinstance(body.get("order_id"), str):
            problems.append("order_id is required")
        seq = body.get("order_seq")
        if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= MAX_SEQ:
            problems.append(f"order_seq must be a whole number from 1 to {MAX_SEQ}")
    if type_ in types and isinstance(data, dict):
        for name in types[type_]:
            if data.get(name) in (None, ""):
                problems.append(f"data.{name} is required")
    if problems:
        raise MalformedMessage("; ".join(problems))
    return body
