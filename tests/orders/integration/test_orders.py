"""Orders in a real orders container: numbers, lines and totals, the life cycle, rights."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa
from nameko.standalone.rpc import ServiceRpcProxy

from services.orders import store
from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.platform.ids import new_id

from .conftest import (
    ADMIN,
    MANAGER_A,
    REP_A,
    REP_A2,
    REP_B,
    call,
    error_fields,
    make_product,
    outbox,
)

YEAR = datetime.now(UTC).year


def order(container, actor: dict = REP_A, **data: Any) -> dict:
    return call(container, "create_order", {"currency": "EUR", **data}, actor=actor)


def sequence(number: str) -> int:
    year, serial = number.split("-")
    assert int(year) == YEAR and len(serial) == 6
    return int(serial)


def stored_order(engine: sa.Engine, order_id: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT subtotal, discount_total, tax_total, total FROM orders.orders "
                "WHERE id = :id"
            ),
            {"id": order_id},
        ).one()
        sums = conn.execute(
            sa.text(
                "SELECT sum(amount), sum(discount_amount), sum(tax), sum(total) "
                "FROM orders.order_lines WHERE order_id = :id"
            ),
            {"id": order_id},
        ).one()
    return {"order": tuple(row), "lines": tuple(sums)}


def test_a_new_order_is_a_numbered_draft_with_its_totals_stored(orders, db_engine):
    bolt, nut = make_product(orders), make_product(orders)
    created = order(
        orders,
        account_id=new_id(),
        lines=[
            {"product_id": bolt["id"], "quantity": "3", "price": "19.99", "discount": "10"},
            {"product_id": nut["id"], "quantity": 2, "price": 0.99, "tax_rate": "20"},
        ],
    )
    assert sequence(created["number"]) == 1
    assert (created["status"], created["owner_id"], created["team_id"]) == (
        "draft",
        REP_A["id"],
        REP_A["team_id"],
    )
    assert [line["net"] for line in created["lines"]] == ["53.97", "1.98"]
    assert (created["subtotal"], created["discount_total"], created["tax_total"]) == (
        "61.95",
        "6.00",
        "0.40",
    )
    assert created["total"] == "56.35"
    stored = stored_order(db_engine, created["id"])
    assert stored["order"] == tuple(Decimal(v) for v in ("61.95", "6.00", "0.40", "56.35"))
    assert stored["lines"][0] == stored["order"][0] and stored["lines"][3] == stored["order"][3]
    assert call(orders, "order_history", created["id"], actor=REP_A2) == [
        {
            "from": None,
            "to": "draft",
            "reason": None,
            "changed_by": REP_A["id"],
            "changed_at": created["created_at"],
        }
    ]
    assert outbox(db_engine)[-1] == ("order_placed", created)


def test_bad_orders_are_refused_whole(orders):
    bolt = make_product(orders)
    inactive = make_product(orders, is_active=False)
    with pytest.raises(ValidationFailed) as exc:
        call(orders, "create_order", {"number": "X", "status": "shipped"}, actor=REP_A)
    assert error_fields(exc) == {"number", "status", "currency"}
    with pytest.raises(ValidationFailed) as exc:
        order(orders, owner_id=None)
    assert error_fields(exc) == {"owner_id"}
    with pytest.raises(ValidationFailed) as exc:
        order(
            orders,
            lines=[
                {"product_id": new_id(), "quantity": "1", "price": "1"},
                {"product_id": inactive["id"], "quantity": "1", "price": "1"},
                {"product_id": bolt["id"], "quantity": "1", "price": "1"},
            ],
        )
    assert error_fields(exc) == {"lines[0].product_id", "lines[1].product_id"}
    with pytest.raises(ValidationFailed) as exc:
        order(
            orders,
            currency="JPY",
            lines=[{"product_id": bolt["id"], "quantity": 1, "price": "9.5"}],
        )
    assert error_fields(exc) == {"lines[0].price"}
    with pytest.raises(PermissionDenied):
        order(orders, team_id=REP_B["team_id"])


def test_twenty_parallel_creates_get_twenty_consecutive_numbers(orders, service_config, db_engine):
    numbers: list[str] = []
    failures: list[BaseException] = []
    start = threading.Barrier(20)

    def create() -> None:
        try:
            with ServiceRpcProxy("orders", service_config) as rpc:
                start.wait()
                numbers.append(rpc.create_order({"currency": "EUR"}, actor=REP_A)["number"])
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=create) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert failures == []
    assert sorted(sequence(n) for n in numbers) == list(range(1, 21))
    with db_engine.connect() as conn:
        last = conn.execute(
            sa.text("SELECT last_number FROM orders.number_counters WHERE kind = 'order'")
        ).scalar_one()
    assert last == 20


def test_a_create_that_fails_after_taking_its_number_leaves_no_gap(orders, monkeypatch, db_engine):
    first = order(orders)
    real = store.log_status

    def fail_once(*args: Any, **kwargs: Any) -> None:
        monkeypatch.setattr(store, "log_status", real)
        raise RuntimeError("the database went away mid-create")

    monkeypatch.setattr(store, "log_status", fail_once)
    with pytest.raises(RuntimeError):
        order(orders)
    second = order(orders)
    assert sequence(second["number"]) == sequence(first["number"]) + 1
    with db_engine.connect() as conn:
        count = conn.execute(sa.text("SELECT count(*) FROM orders.orders")).scalar_one()
    assert count == 2
    assert [t for t, _ in outbox(db_engine)] == ["order_placed", "order_placed"]


def test_the_life_cycle_and_its_history(orders, db_engine):
    bolt = make_product(orders)
    empty = order(orders)
    with pytest.raises(ValidationFailed) as exc:
        call(orders, "confirm_order", empty["id"], actor=REP_A)
    assert error_fields(exc) == {"lines"}
    placed = order(orders, lines=[{"product_id": bolt["id"], "quantity": 1, "price": "5"}])
    for action in ("start_order", "ship_order", "complete_order"):
        with pytest.raises(Conflict) as exc:
            call(orders, action, placed["id"], actor=REP_A)
        assert error_fields(exc) == {"status"}
    with pytest.raises(Conflict):
        call(orders, "confirm_order", placed["id"], actor=REP_A, expected_version=7)
    confirmed = call(orders, "confirm_order", placed["id"], actor=REP_A, expected_version=1)
    assert (confirmed["status"], confirmed["version"]) == ("confirmed", 2)
    with pytest.raises(Conflict):
        call(orders, "confirm_order", placed["id"], actor=REP_A)
    call(orders, "start_order", placed["id"], actor=REP_A)
    shipped = call(orders, "ship_order", placed["id"], actor=REP_A)
    with pytest.raises(Conflict):
        call(orders, "cancel_order", placed["id"], actor=REP_A, reason="Too late")
    done = call(orders, "complete_order", placed["id"], actor=REP_A)
    assert (shipped["status"], done["status"]) == ("shipped", "completed")
    with pytest.raises(Conflict):
        call(orders, "update_order", placed["id"], {"notes": "After the fact"}, actor=REP_A)
    history = call(orders, "order_history", placed["id"], actor=REP_A)
    assert [(h["from"], h["to"]) for h in history] == [
        (None, "draft"),
        ("draft", "confirmed"),
        ("confirmed", "in_progress"),
        ("in_progress", "shipped"),
        ("shipped", "completed"),
    ]
    assert {h["changed_by"] for h in history} == {REP_A["id"]}

    cancelled = call(orders, "cancel_order", empty["id"], actor=REP_A, reason="  Duplicate ")
    assert (cancelled["status"], cancelled["cancel_reason"]) == ("cancelled", "Duplicate")
    with pytest.raises(Conflict):
        call(orders, "cancel_order", empty["id"], actor=REP_A)
    events = outbox(db_engine)
    changes = [(d["from"], d["to"]) for t, d in events if t == "order_status_changed"]
    assert changes[-1] == ("draft", "cancelled") and len(changes) == 5
    assert events[-1][0] == "order_cancelled" and events[-1][1]["cancel_reason"] == "Duplicate"


def test_lines_change_in_a_draft_only_and_the_totals_follow(orders, db_engine):
    bolt, nut = make_product(orders), make_product(orders)
    placed = order(orders, lines=[{"product_id": bolt["id"], "quantity": 1, "price": "10"}])
    assert placed["total"] == "10.00"
    changed = call(
        orders,
        "update_order",
        placed["id"],
        {
            "lines": [
                {"product_id": bolt["id"], "quantity": "2", "price": "10", "tax_rate": "19"},
                {"product_id": nut["id"], "quantity": "1", "price": "0.10", "discount": "50"},
            ]
        },
        actor=REP_A,
        expected_version=1,
    )
    assert (changed["subtotal"], changed["discount_total"], changed["tax_total"]) == (
        "20.10",
        "0.05",
        "3.80",
    )
    assert changed["total"] == "23.85" and changed["version"] == 2
    stored = stored_order(db_engine, placed["id"])
    assert stored["order"][3] == stored["lines"][3] == Decimal("23.85")
    event_type, data = outbox(db_engine)[-1]
    assert event_type == "order_updated" and data["changed_fields"] == ["lines"]
    same = call(orders, "update_order", placed["id"], {"lines": changed["lines"][:0]}, actor=REP_A)
    assert same["total"] == "0.00"  # an empty list clears the lines
    with pytest.raises(ValidationFailed):
        call(orders, "update_order", placed["id"], {"currency": None}, actor=REP_A)

    call(
        orders,
        "update_order",
        placed["id"],
        {"lines": [{"product_id": bolt["id"], "quantity": 1, "price": "10"}]},
        actor=REP_A,
    )
    call(orders, "confirm_order", placed["id"], actor=REP_A)
    with pytest.raises(Conflict) as exc:
        call(orders, "update_order", placed["id"], {"lines": []}, actor=REP_A)
    assert error_fields(exc) == {"lines"}
    with pytest.raises(Conflict) as exc:
        call(orders, "update_order", placed["id"], {"currency": "USD"}, actor=REP_A)
    assert error_fields(exc) == {"currency"}
    noted = call(orders, "update_order", placed["id"], {"notes": "Deliver Monday"}, actor=REP_A)
    assert noted["notes"] == "Deliver Monday" and noted["total"] == "10.00"


def test_orders_follow_owner_and_team_rights(orders):
    placed = order(orders, actor=REP_A)
    assert call(orders, "get_order", placed["id"], actor=REP_A2)["id"] == placed["id"]
    with pytest.raises(NotFound):
        call(orders, "get_order", placed["id"], actor=REP_B)
    with pytest.raises(NotFound):
        call(orders, "get_order", "not-a-uuid", actor=REP_A)
    with pytest.raises(PermissionDenied):
        call(orders, "cancel_order", placed["id"], actor=REP_A2)
    with pytest.raises(PermissionDenied):
        call(orders, "update_order", placed["id"], {"team_id": REP_B["team_id"]}, actor=MANAGER_A)
    assert call(orders, "cancel_order", placed["id"], actor=MANAGER_A)["status"] == "cancelled"
    mine = call(orders, "list_orders", {"filter": {"status": "cancelled"}}, actor=REP_A2)
    assert [o["id"] for o in mine["items"]] == [placed["id"]]
    assert call(orders, "list_orders", {}, actor=REP_B)["items"] == []
    assert len(call(orders, "list_orders", {}, actor=ADMIN)["items"]) == 1


def test_a_currency_without_cents_rounds_to_whole_units(orders, db_engine):
    bolt = make_product(orders)
    placed = order(
        orders,
        lines=[
            {
                "product_id": bolt["id"],
                "quantity": "3",
                "price": "333",
                "discount": "5",
                "tax_rate": "8",
            }
        ],
    )
    assert placed["total"] == "1024.97"  # EUR: 999 − 49.95 = 949.05, tax 75.92
    in_yen = call(orders, "update_order", placed["id"], {"currency": "jpy"}, actor=REP_A)
    assert (in_yen["currency"], in_yen["discount_total"], in_yen["tax_total"]) == (
        "JPY",
        "50",
        "76",
    )
    assert (in_yen["lines"][0]["price"], in_yen["total"]) == ("333", "1025")
    assert stored_order(db_engine, placed["id"])["order"][3] == Decimal("1025.00")
    cents = order(orders, lines=[{"product_id": bolt["id"], "quantity": 1, "price": "9.99"}])
    with pytest.raises(ValidationFailed) as exc:
        call(orders, "update_order", cents["id"], {"currency": "JPY"}, actor=REP_A)
    assert error_fields(exc) == {"lines[0].price"}
