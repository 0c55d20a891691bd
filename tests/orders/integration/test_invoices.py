"""Invoices in a real orders container: numbering, payments, overdue, cancelling."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .conftest import ADMIN, REP_A, REP_A2, REP_B, call, error_fields, make_product, outbox

YEAR = datetime.now(UTC).year


def confirmed_order(container, price: str = "100.00", tax_rate: str = "20") -> dict:
    bolt = make_product(container)
    placed = call(
        container,
        "create_order",
        {
            "currency": "EUR",
            "account_id": "01a21a36-0000-7000-8000-000000000001",
            "lines": [
                {"product_id": bolt["id"], "quantity": 1, "price": price, "tax_rate": tax_rate}
            ],
        },
        actor=REP_A,
    )
    return call(container, "confirm_order", placed["id"], actor=REP_A)


def invoice(container, actor: dict = REP_A, **data: Any) -> dict:
    return call(container, "create_invoice", data, actor=actor)


def test_an_invoice_from_an_order_copies_its_money_and_is_numbered(orders, db_engine):
    placed = confirmed_order(orders)
    made = invoice(orders, order_id=placed["id"], due_date="2026-12-31")
    assert made["number"] == f"INV-{YEAR}-000001"
    assert (made["subtotal"], made["tax_total"], made["total"], made["paid_amount"]) == (
        "100.00",
        "20.00",
        "120.00",
        "0.00",
    )
    assert (made["account_id"], made["currency"], made["owner_id"], made["team_id"]) == (
        placed["account_id"],
        "EUR",
        REP_A["id"],
        REP_A["team_id"],
    )
    assert (made["status"], made["due_date"]) == ("draft", "2026-12-31")
    second = invoice(orders, currency="usd", total="10.50", tax_total="0.50")
    assert second["number"] == f"INV-{YEAR}-000002"
    assert (second["subtotal"], second["total"], second["currency"]) == ("10.00", "10.50", "USD")
    assert outbox(db_engine)[-1] == ("invoice_created", second)


def test_bad_invoices_are_refused(orders):
    draft = call(orders, "create_order", {"currency": "EUR"}, actor=REP_A)
    with pytest.raises(Conflict):
        invoice(orders, order_id=draft["id"])
    placed = confirmed_order(orders)
    with pytest.raises(ValidationFailed) as exc:
        invoice(orders, order_id=placed["id"], total="5", currency="EUR")
    assert error_fields(exc) == {"total", "currency"}
    with pytest.raises(ValidationFailed) as exc:
        invoice(orders, due_date="tomorrow")
    assert error_fields(exc) == {"due_date", "currency", "total"}
    with pytest.raises(ValidationFailed) as exc:
        invoice(orders, currency="EUR", total="10", tax_total="11")
    assert error_fields(exc) == {"tax_total"}
    with pytest.raises(NotFound):
        invoice(orders, actor=REP_B, order_id=placed["id"])
    with pytest.raises(PermissionDenied):
        invoice(orders, actor=REP_A2, order_id=placed["id"])


def test_partial_payments_then_paid_and_over_payment_refused(orders, db_engine):
    made = invoice(orders, order_id=confirmed_order(orders)["id"])
    with pytest.raises(Conflict):
        call(orders, "register_payment", made["id"], "10", actor=REP_A)  # a draft
    issued = call(orders, "issue_invoice", made["id"], actor=REP_A, expected_version=1)
    assert (issued["status"], issued["version"]) == ("issued", 2) and issued["issued_at"]
    with pytest.raises(Conflict):
        call(orders, "issue_invoice", made["id"], actor=REP_A)
    part = call(
        orders,
        "register_payment",
        made["id"],
        "100.00",
        actor=REP_A,
        paid_at="2026-11-20T10:00:00+01:00",
    )
    assert (part["paid_amount"], part["status"]) == ("100.00", "issued")
    for bad in ("20.01", "0", "-5", "1.001", None):
        with pytest.raises(ValidationFailed) as exc:
            call(orders, "register_payment", made["id"], bad, actor=REP_A)
        assert error_fields(exc) == {"amount"}
    with pytest.raises(ValidationFailed) as exc:
        call(orders, "register_payment", made["id"], "1", actor=REP_A, paid_at="yesterday")
    assert error_fields(exc) == {"paid_at"}
    paid = call(orders, "register_payment", made["id"], 20, actor=REP_A)
    assert (paid["paid_amount"], paid["status"]) == ("120.00", "paid") and paid["paid_at"]
    with pytest.raises(Conflict):
        call(orders, "register_payment", made["id"], "1", actor=REP_A)
    payments = call(orders, "list_payments", made["id"], actor=REP_A2)
    assert [(p["amount"], p["paid_at"]) for p in payments][0] == ("100.00", "2026-11-20T09:00:00Z")
    assert [p["amount"] for p in payments] == ["100.00", "20.00"]
    with pytest.raises(Conflict):
        call(orders, "cancel_invoice", made["id"], actor=REP_A)
    types = [t for t, _ in outbox(db_engine)]
    assert types[-4:] == [
        "invoice_issued",
        "invoice_payment_registered",
        "invoice_payment_registered",
        "invoice_paid",
    ]
    registered = [d for t, d in outbox(db_engine) if t == "invoice_payment_registered"]
    assert registered[0]["payment"]["amount"] == "100.00"
    assert registered[0]["invoice"]["paid_amount"] == "100.00"


def test_cancel_rules(orders, db_engine):
    draft = invoice(orders, currency="EUR", total="10")
    cancelled = call(orders, "cancel_invoice", draft["id"], actor=REP_A, reason="Typo")
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "Typo")
    with pytest.raises(Conflict):
        call(orders, "cancel_invoice", draft["id"], actor=REP_A)
    with pytest.raises(Conflict):
        call(orders, "issue_invoice", draft["id"], actor=REP_A)
    with pytest.raises(Conflict):
        call(orders, "update_invoice", draft["id"], {"notes": "x"}, actor=REP_A)
    issued = invoice(orders, currency="EUR", total="10")
    call(orders, "issue_invoice", issued["id"], actor=REP_A)
    call(orders, "register_payment", issued["id"], "4", actor=REP_A)
    with pytest.raises(PermissionDenied):
        call(orders, "cancel_invoice", issued["id"], actor=REP_A2)
    partly = call(orders, "cancel_invoice", issued["id"], actor=ADMIN)
    assert (partly["status"], partly["paid_amount"]) == ("cancelled", "4.00")
    assert outbox(db_engine)[-1][0] == "invoice_cancelled"


def test_updates_follow_the_invoice_state(orders):
    by_hand = invoice(orders, currency="EUR", total="10")
    changed = call(
        orders, "update_invoice", by_hand["id"], {"total": "12", "tax_total": "2"}, actor=REP_A
    )
    assert (changed["subtotal"], changed["total"], changed["version"]) == ("10.00", "12.00", 2)
    from_order = invoice(orders, order_id=confirmed_order(orders)["id"])
    with pytest.raises(Conflict):
        call(orders, "update_invoice", from_order["id"], {"total": "1"}, actor=REP_A)
    call(orders, "issue_invoice", by_hand["id"], actor=REP_A)
    with pytest.raises(Conflict):
        call(orders, "update_invoice", by_hand["id"], {"total": "1"}, actor=REP_A)
    later = call(orders, "update_invoice", by_hand["id"], {"due_date": "2027-01-31"}, actor=REP_A)
    assert later["due_date"] == "2027-01-31"


def test_the_timer_marks_issued_invoices_past_due_overdue(orders, db_engine):
    late = invoice(orders, currency="EUR", total="10", due_date="2026-11-01")
    due_today = invoice(orders, currency="EUR", total="10", due_date="2026-11-02")
    draft_late = invoice(orders, currency="EUR", total="10", due_date="2026-10-01")
    paid_late = invoice(orders, currency="EUR", total="10", due_date="2026-10-01")
    for made in (late, due_today, paid_late):
        call(orders, "issue_invoice", made["id"], actor=REP_A)
    call(orders, "register_payment", paid_late["id"], "10", actor=REP_A)

    assert call(orders, "mark_overdue_invoices", "2026-11-02") == 1
    assert call(orders, "get_invoice", late["id"], actor=REP_A)["status"] == "overdue"
    for made in (due_today, draft_late):
        assert call(orders, "get_invoice", made["id"], actor=REP_A)["status"] != "overdue"
    assert call(orders, "get_invoice", paid_late["id"], actor=REP_A)["status"] == "paid"
    events = [d for t, d in outbox(db_engine) if t == "invoice_overdue"]
    assert [e["id"] for e in events] == [late["id"]]
    assert call(orders, "mark_overdue_invoices", "2026-11-02") == 0  # nothing twice

    # An overdue invoice is still paid and cancelled as an issued one is.
    paid = call(orders, "register_payment", late["id"], "10", actor=REP_A)
    assert paid["status"] == "paid"
    assert call(orders, "mark_overdue_invoices", "2026-11-03") == 1
    call(orders, "cancel_invoice", due_today["id"], actor=REP_A)
    with db_engine.connect() as conn:
        statuses = dict(
            conn.execute(sa.text("SELECT status, count(*) FROM orders.invoices GROUP BY 1")).all()
        )
    assert statuses == {"paid": 2, "draft": 1, "cancelled": 1}
