"""The accounting message contract's checks and the reconciliation's comparison."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

from services.orders.accounting_contract import MalformedMessage, check_message, message
from services.orders.accounting_rules import compare


def test_a_message_made_by_the_contract_passes_its_check() -> None:
    body = message("m-1", "reservation_confirmed", "o-1", 1, {"order_number": "2026-000001"})
    assert body["version"] == 1 and body["sent_at"].endswith("Z")
    assert check_message(body) is body


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ([], "a JSON object"),
        ({"type": "reservation_confirmed", "version": 1, "data": {}}, "message_id"),
        (message("m", "reservation_teleported", "o", 1, {}), "is not one of"),
        ({**message("m", "reservation_confirmed", "o", 1, {}), "version": 2}, "version must be 1"),
        (message("m", "reservation_confirmed", None, 1, {}), "order_id is required"),
        (message("m", "reservation_confirmed", "o", 0, {}), "order_seq"),
        (message("m", "reservation_confirmed", "o", True, {}), "order_seq"),
        (message("m", "reservation_confirmed", "o", 2**31, {}), "order_seq"),
        (message("m", "reservation_rejected", "o", 1, {}), "data.reason is required"),
        (message("m", "payment_notified", "o", 1, {"amount": "1"}), "data.payment_id"),
        ({**message("m", "reservation_confirmed", "o", 1, {}), "data": "x"}, "data must be"),
    ],
)
def test_a_message_breaking_the_contract_is_malformed(body: object, problem: str) -> None:
    with pytest.raises(MalformedMessage, match=problem):
        check_message(body)


def test_a_snapshot_needs_no_order() -> None:
    body = message("m", "reconcile_snapshot", None, None, {"orders": {}, "payments": {}})
    assert check_message(body) is body


def order(status: str) -> SimpleNamespace:
    return SimpleNamespace(accounting_status=status)


def test_reconciliation_reports_each_difference_once() -> None:
    crm = {
        "2026-1": order("reserved"),
        "2026-2": order("rejected"),
        "2026-3": order("waiting"),  # may still be in the queue: no difference
        "2026-4": order("shipped"),  # the accounting system never heard of it
        "2026-6": order("cancelled"),
    }
    paid = {"INV-1": Decimal("10.00"), "INV-2": Decimal("0.00")}
    snapshot = {
        "orders": {
            "2026-1": {"status": "reserved"},
            "2026-2": {"status": "reserved"},
            "2026-5": {"status": "reserved"},
            "2026-6": {"status": "cancelled"},
        },
        "payments": {"INV-1": "10.00", "INV-3": "4.50"},
    }
    assert compare(crm, paid, snapshot) == [
        {
            "order_number": "2026-2",
            "field": "accounting_status",
            "crm": "rejected",
            "accounting": "reserved",
        },
        {
            "order_number": "2026-4",
            "field": "accounting_status",
            "crm": "shipped",
            "accounting": None,
        },
        {
            "order_number": "2026-5",
            "field": "accounting_status",
            "crm": None,
            "accounting": "reserved",
        },
        {"invoice_number": "INV-3", "field": "paid_amount", "crm": "0.00", "accounting": "4.50"},
    ]
