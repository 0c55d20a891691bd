"""The rules of the exchange with the accounting system: when a reservation may be sent
again, what an incoming message does to an order's accounting status, and how Osprey's
books are compared with the accounting system's snapshot. Pure: no I/O.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from services.platform.errors import Conflict

#: The accounting statuses from which ``reserve_order`` sends the request again.
RESENDABLE = ("not_sent", "rejected", "waiting")
#: Order statuses whose goods the accounting system should hold.
RESERVABLE_ORDERS = ("confirmed", "in_progress")
#: The longest note kept on an order's accounting status.
MAX_NOTE = 500


def check_resendable(status: str, accounting_status: str) -> None:
    """``Conflict`` unless a confirmed or in-progress order not reserved yet."""
    if status not in RESERVABLE_ORDERS or accounting_status not in RESENDABLE:
        raise Conflict(
            "Only a confirmed order not reserved yet can be sent to accounting "
            f"(the order is {status.replace('_', ' ')}, "
            f"accounting {accounting_status.replace('_', ' ')})",
            [{"field": "accounting_status", "message": f"is {accounting_status}"}],
        )


def releases_reservation(target: str, accounting_status: str) -> bool:
    """Whether a move to ``target`` tells accounting to let the goods go: a cancel of an
    order that was ever sent."""
    return target == "cancelled" and accounting_status != "not_sent"


def note(text: str | None) -> str | None:
    """The accounting note as stored: at most ``MAX_NOTE`` characters, None when empty."""
    return text[:MAX_NOTE] if text else None


def ship_path(status: str) -> tuple[str, ...] | None:
    """The statuses an order passes through when accounting ships it (``confirmed``
    goes through ``in_progress``); ``()`` when it is shipped or completed already,
    None when it cannot be shipped."""
    if status == "confirmed":
        return ("in_progress", "shipped")
    if status == "in_progress":
        return ("shipped",)
    if status in ("shipped", "completed"):
        return ()
    return None


def text_of(body: Any) -> str:
    """A message body as text (bytes decoded as UTF-8, whatever does not decode replaced)."""
    if isinstance(body, bytes | bytearray | memoryview):
        return bytes(body).decode("utf-8", errors="replace")
    return str(body)


#: What the accounting system's reservation state means as an accounting status.
PEER_STATUS = {
    "reserved": "reserved",
    "rejected": "rejected",
    "shipped": "shipped",
    "cancelled": "cancelled",
}


def compare(
    crm: dict[str, Any], paid: dict[str, Decimal], snapshot: dict[str, Any]
) -> list[dict[str, Any]]:
    """The differences between Osprey's orders/invoices and the accounting snapshot
    (``{"orders": {number: {status}}, "payments": {invoice number: amount}}``)."""
    differences: list[dict[str, Any]] = []
    theirs = snapshot.get("orders") or {}
    for number, order in sorted(crm.items()):
        other = theirs.get(number)
        mine = order.accounting_status
        if other is None:
            if mine != "waiting":  # waiting: the request may still be on its way
                differences.append(_diff(number, "accounting_status", mine, None))
            continue
        their_status = PEER_STATUS.get(str(other.get("status")), str(other.get("status")))
        if their_status != mine and mine != "waiting":
            differences.append(_diff(number, "accounting_status", mine, their_status))
    for number in sorted(set(theirs) - set(crm)):
        differences.append(_diff(number, "accounting_status", None, theirs[number].get("status")))
    their_payments = snapshot.get("payments") or {}
    for number in sorted(set(paid) | set(their_payments)):
        mine_paid = paid.get(number)
        other_paid = their_payments.get(number)
        mine_value = Decimal(mine_paid) if mine_paid is not None else Decimal(0)
        other_value = Decimal(str(other_paid)) if other_paid is not None else Decimal(0)
        if mine_value != other_value:
            differences.append(
                _diff(
                    number,
                    "paid_amount",
                    f"{mine_value:.2f}",
                    f"{other_value:.2f}",
                    key="invoice_number",
                )
            )
    return differences


def _diff(number: str, field: str, crm: Any, accounting: Any, key: str = "order_number") -> dict:
    return {key: number, "field": field, "crm": crm, "accounting": accounting}
