"""The orders entrypoints with their dependencies replaced (``worker_factory``): input and
rights are checked before anything is written, each action writes what it should (the
accounting message where an order is confirmed or cancelled, its events), commits, and
a refused action commits nothing."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from nameko.testing.services import worker_factory

from services.orders.models import AccountingOutbox
from services.orders.service import OrdersService
from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

D = Decimal
TEAM = "00000000-0000-7000-8000-0000000000aa"
OTHER_TEAM = "00000000-0000-7000-8000-0000000000bb"
REP = {"id": "00000000-0000-7000-8000-00000000000a", "roles": ["sales_rep"], "team_id": TEAM}
OTHER_REP = {"id": "00000000-0000-7000-8000-00000000000d", "roles": ["sales_rep"]}
ADMIN = {"id": "00000000-0000-7000-8000-00000000000b", "roles": ["admin"], "team_id": TEAM}
ORDER_ID = "00000000-0000-7000-8000-000000000100"
INVOICE_ID = "00000000-0000-7000-8000-000000000200"
PRODUCT = "00000000-0000-7000-8000-000000000001"


@pytest.fixture
def service():
    worker = worker_factory(OrdersService)
    worker.db.scalar.return_value = None  # no record is shared with anyone (record sharing)
    return worker


def an_order(**values: Any) -> SimpleNamespace:
    line = SimpleNamespace(
        product_id=PRODUCT,
        quantity=D("2"),
        price=D("10.00"),
        discount=D("0"),
        tax_rate=D("0"),
        amount=D("20.00"),
        discount_amount=D("0.00"),
        net=D("20.00"),
        tax=D("0.00"),
        total=D("20.00"),
    )
    order = {
        "id": ORDER_ID,
        "number": "2026-000001",
        "owner_id": REP["id"],
        "team_id": TEAM,
        "version": 3,
        "status": "draft",
        "currency": "EUR",
        "lines": [line],
        "subtotal": D("20.00"),
        "discount_total": D("0.00"),
        "tax_total": D("0.00"),
        "total": D("20.00"),
        "cancel_reason": None,
        "accounting_status": "not_sent",
        "accounting_note": None,
        "accounting_out_seq": 0,
        "updated_at": None,
    }
    order.update(values)
    return SimpleNamespace(**order)


def stored(service: Any, record: Any) -> None:
    """The record every load finds."""
    service.db.execute.return_value.scalar_one_or_none.return_value = record


def emitted(service: Any) -> list[str]:
    return [c.args[0] for c in service.db.emit.call_args_list]


def outbox(service: Any) -> list[Any]:
    return [
        c.args[0] for c in service.db.add.call_args_list if isinstance(c.args[0], AccountingOutbox)
    ]


# --- input and rights before the database ------------------------------------------------------


def test_an_order_without_currency_is_refused_before_the_database(service):
    with pytest.raises(ValidationFailed) as exc:
        service.create_order({"lines": []}, actor=REP)
    assert {e["field"] for e in exc.value.errors} == {"currency"}
    assert service.db.method_calls == []


def test_a_rep_putting_an_order_in_another_team_touches_nothing(service):
    with pytest.raises(PermissionDenied):
        service.create_order({"currency": "EUR", "team_id": OTHER_TEAM}, actor=REP)
    assert service.db.method_calls == []


def test_an_order_from_a_deal_the_caller_may_not_change_is_refused(service):
    service.sales.get_opportunity.return_value = {
        "id": "00000000-0000-7000-8000-000000000300",
        "owner_id": OTHER_REP["id"],
        "team_id": OTHER_TEAM,
        "currency": "EUR",
    }
    with pytest.raises(PermissionDenied):
        service.create_order_from_opportunity("00000000-0000-7000-8000-000000000300", actor=REP)
    service.sales.get_opportunity.assert_called_once_with(
        "00000000-0000-7000-8000-000000000300", actor=REP
    )
    assert service.db.method_calls == []


def test_allow_another_must_be_a_boolean_before_sales_is_asked(service):
    with pytest.raises(ValidationFailed):
        service.create_order_from_opportunity("x", actor=REP, allow_another="yes")
    service.sales.get_opportunity.assert_not_called()


def test_a_rep_changing_the_catalogue_touches_nothing(service):
    with pytest.raises(PermissionDenied):
        service.create_product({"code": "B-1", "name": "Bolt"}, actor=REP)
    with pytest.raises(PermissionDenied):
        service.set_price(ORDER_ID, PRODUCT, "1.00", actor=REP)
    assert service.db.method_calls == []


def test_only_an_administrator_changes_the_settings(service):
    with pytest.raises(PermissionDenied):
        service.update_orders_settings({"propose_order_on_win": False}, actor=REP)
    with pytest.raises(ValidationFailed):
        service.update_orders_settings({"propose_order_on_win": "no"}, actor=ADMIN)
    assert service.db.method_calls == []


def test_an_id_that_is_not_a_uuid_is_not_found_without_a_query(service):
    with pytest.raises(NotFound) as exc:
        service.get_order("42", actor=REP)
    assert exc.value.errors == [{"field": "order_id", "message": "no such order"}]
    assert service.db.method_calls == []


# --- the life cycle ---------------------------------------------------------------------------


def test_confirming_asks_accounting_for_a_reservation_in_the_same_commit(service):
    order = an_order()
    stored(service, order)
    result = service.confirm_order(ORDER_ID, actor=REP, expected_version=3)
    assert result["status"] == "confirmed" and result["version"] == 4
    [message] = outbox(service)
    assert (message.type, message.order_id, message.order_seq) == (
        "reservation_requested",
        ORDER_ID,
        1,
    )
    assert message.message["data"]["order_number"] == "2026-000001"
    assert order.accounting_status == "waiting"
    service.accounting.written.assert_called_once_with()
    assert emitted(service) == ["order_status_changed"]
    assert service.db.emit.call_args.args[1]["from"] == "draft"
    service.db.commit.assert_called_once_with()


def test_starting_an_order_sends_nothing_to_accounting(service):
    stored(service, an_order(status="confirmed", accounting_status="reserved"))
    service.start_order(ORDER_ID, actor=REP)
    assert outbox(service) == []
    service.accounting.written.assert_not_called()
    assert emitted(service) == ["order_status_changed"]
    service.db.commit.assert_called_once_with()


def test_cancelling_an_order_sent_to_accounting_releases_its_goods(service):
    order = an_order(status="confirmed", accounting_status="reserved", accounting_out_seq=1)
    stored(service, order)
    result = service.cancel_order(ORDER_ID, actor=REP, reason="  no longer needed ")
    assert result["status"] == "cancelled"
    assert result["cancel_reason"] == "no longer needed"
    [message] = outbox(service)
    assert (message.type, message.order_seq) == ("reservation_cancel_requested", 2)
    assert message.message["data"] == {"order_number": "2026-000001", "reason": "no longer needed"}
    assert (order.accounting_status, order.accounting_note) == ("cancelled", "no longer needed")
    assert emitted(service) == ["order_status_changed", "order_cancelled"]
    service.db.commit.assert_called_once_with()


def test_cancelling_a_draft_never_sent_tells_accounting_nothing(service):
    order = an_order()
    stored(service, order)
    service.cancel_order(ORDER_ID, actor=REP)
    assert outbox(service) == []
    assert order.accounting_status == "not_sent"
    service.accounting.written.assert_not_called()


def test_a_refused_move_writes_and_commits_nothing(service):
    stored(service, an_order(lines=[]))
    with pytest.raises(ValidationFailed):
        service.confirm_order(ORDER_ID, actor=REP)
    stored(service, an_order(status="shipped"))
    with pytest.raises(Conflict):
        service.cancel_order(ORDER_ID, actor=REP)
    service.db.emit.assert_not_called()
    service.db.add.assert_not_called()
    service.db.commit.assert_not_called()


def test_a_stale_version_is_a_conflict_in_the_platforms_words(service):
    stored(service, an_order())
    with pytest.raises(Conflict) as exc:
        service.confirm_order(ORDER_ID, actor=REP, expected_version=2)
    assert str(exc.value) == "The order was changed meanwhile (version 3, not 2)"
    service.db.commit.assert_not_called()


def test_an_order_of_someone_else_is_not_found(service):
    stored(service, an_order(owner_id=OTHER_REP["id"], team_id=OTHER_TEAM))
    with pytest.raises(NotFound):
        service.get_order(ORDER_ID, actor=REP)
    assert service.get_order(ORDER_ID, actor=ADMIN)["id"] == ORDER_ID


def test_a_reservation_is_sent_again_only_while_not_reserved(service):
    order = an_order(status="confirmed", accounting_status="rejected", accounting_out_seq=1)
    stored(service, order)
    result = service.reserve_order(ORDER_ID, actor=REP)
    assert result["accounting_status"] == "waiting"
    assert [m.type for m in outbox(service)] == ["reservation_requested"]
    assert service.db.emit.call_args.args[:2] == (
        "order_updated",
        {**result, "changed_fields": ["accounting_status"]},
    )
    stored(service, an_order(status="confirmed", accounting_status="reserved"))
    with pytest.raises(Conflict):
        service.reserve_order(ORDER_ID, actor=REP)
    service.db.commit.assert_called_once_with()


# --- the accounting system ----------------------------------------------------------------------


def test_a_message_that_is_not_json_is_recorded_as_rejected_and_committed(service):
    service.db.execute.return_value.rowcount = 1
    assert service.handle_accounting_message(b"{not json") == "rejected"
    service.db.commit.assert_called_once_with()
    service.db.emit.assert_not_called()


def test_a_message_seen_before_is_a_duplicate(service):
    service.db.execute.return_value.rowcount = 0
    assert service.handle_accounting_message(b'{"type": "nonsense"}') == "duplicate"
    service.db.commit.assert_called_once_with()


def test_reconciliation_is_for_administrators_and_holds_no_transaction_while_waiting(service):
    with pytest.raises(PermissionDenied):
        service.reconcile_accounting(actor=REP)
    service.accounting.request_snapshot.assert_not_called()
    steps: list[str] = []
    snapshot = {"data": {"orders": {"2026-000007": {"status": "reserved"}}, "payments": {}}}
    service.db.commit.side_effect = lambda: steps.append("commit")
    service.accounting.request_snapshot.side_effect = lambda: steps.append("ask") or snapshot
    result = service.reconcile_accounting(actor=ADMIN)
    assert steps == ["commit", "ask", "commit"]
    assert (result["orders"], result["payments"]) == (0, 0)
    assert result["differences"] == [
        {
            "order_number": "2026-000007",
            "field": "accounting_status",
            "crm": None,
            "accounting": "reserved",
        }
    ]


# --- invoices ---------------------------------------------------------------------------------


def an_invoice(**values: Any) -> SimpleNamespace:
    invoice = {
        "id": INVOICE_ID,
        "number": "INV-2026-000001",
        "owner_id": REP["id"],
        "team_id": TEAM,
        "version": 1,
        "status": "issued",
        "currency": "EUR",
        "order_id": None,
        "subtotal": D("100.00"),
        "discount_total": D("0.00"),
        "tax_total": D("0.00"),
        "total": D("100.00"),
        "paid_amount": D("40.00"),
        "paid_at": None,
    }
    invoice.update(values)
    return SimpleNamespace(**invoice)


def test_a_payment_of_what_is_outstanding_pays_the_invoice(service):
    invoice = an_invoice()
    stored(service, invoice)
    result = service.register_payment(
        INVOICE_ID, "60.00", actor=REP, paid_at="2026-11-26T09:00:00Z"
    )
    assert (result["status"], result["paid_amount"]) == ("paid", "100.00")
    assert emitted(service) == ["invoice_payment_registered", "invoice_paid"]
    payment = service.db.emit.call_args_list[0].args[1]["payment"]
    assert (payment["amount"], payment["paid_at"]) == ("60.00", "2026-11-26T09:00:00Z")
    service.db.commit.assert_called_once_with()


def test_a_part_payment_leaves_the_invoice_issued(service):
    stored(service, an_invoice())
    result = service.register_payment(INVOICE_ID, "10", actor=REP)
    assert (result["status"], result["paid_amount"]) == ("issued", "50.00")
    assert emitted(service) == ["invoice_payment_registered"]


def test_a_payment_over_what_is_outstanding_writes_nothing(service):
    stored(service, an_invoice())
    with pytest.raises(ValidationFailed) as exc:
        service.register_payment(INVOICE_ID, "60.01", actor=REP, paid_at="yesterday")
    assert [e["field"] for e in exc.value.errors] == ["paid_at", "amount"]
    assert exc.value.errors[1]["message"] == "is more than the 60.00 outstanding"
    service.db.add.assert_not_called()
    service.db.commit.assert_not_called()


def test_a_draft_invoice_takes_no_payment(service):
    stored(service, an_invoice(status="draft"))
    with pytest.raises(Conflict) as exc:
        service.register_payment(INVOICE_ID, "1", actor=REP)
    assert str(exc.value) == "A payment is registered only for an issued invoice; issue it first"
    service.db.commit.assert_not_called()
