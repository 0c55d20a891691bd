"""The orders and invoices lists' search box (issue 21, point 3): a number typed whole
or in part — its year, its last digits, its prefix in any case — and only what the
caller may read."""

from __future__ import annotations

from .conftest import REP_A, REP_B, call, make_product


def numbers(container, method: str, q: str, actor: dict = REP_A) -> list[str]:
    page = call(container, method, {"q": q, "sort": "number"}, actor=actor)
    return [r["number"] for r in page["items"]]


def test_orders_and_invoices_are_found_by_any_part_of_their_number(orders):
    bolt = make_product(orders)
    line = {"product_id": bolt["id"], "quantity": "1", "price": "5.00"}
    made = []
    for _ in range(12):
        order = call(orders, "create_order", {"currency": "EUR", "lines": [line]}, actor=REP_A)
        made.append(call(orders, "confirm_order", order["id"], actor=REP_A))
    invoices = [
        call(orders, "create_invoice", {"order_id": o["id"]}, actor=REP_A) for o in made[:11]
    ]
    tenth, eleventh = made[9]["number"], made[10]["number"]  # 2026-000010, 2026-000011
    assert numbers(orders, "list_orders", tenth) == [tenth]
    assert numbers(orders, "list_orders", tenth[-2:]) == [tenth]  # "10"
    # "00001" is in 2026-000001 and in 2026-000010 to 2026-000012
    expected = sorted(m["number"] for m in [made[0], *made[9:]])
    assert numbers(orders, "list_orders", "00001") == expected
    assert numbers(orders, "list_orders", tenth[:4]) == sorted(m["number"] for m in made)
    assert numbers(orders, "list_orders", "1999-") == []

    invoice = invoices[10]["number"]  # INV-2026-000011
    assert numbers(orders, "list_invoices", invoice.lower()) == [invoice]
    assert numbers(orders, "list_invoices", "inv-" + invoice[4:8]) == sorted(
        i["number"] for i in invoices
    )
    assert numbers(orders, "list_invoices", eleventh) == [invoice]  # without "INV-"
    # LIKE's own characters are taken literally
    assert numbers(orders, "list_invoices", "%") == []
    assert numbers(orders, "list_invoices", "_") == []
    # another team's rep finds none of them
    assert numbers(orders, "list_orders", tenth, actor=REP_B) == []
    assert numbers(orders, "list_invoices", invoice, actor=REP_B) == []


def test_orders_and_invoices_are_found_by_their_amount(orders):
    gear = make_product(orders)
    line = {"product_id": gear["id"], "quantity": "3", "price": "4316.67"}  # 12,950.01
    order = call(orders, "create_order", {"currency": "EUR", "lines": [line]}, actor=REP_A)
    order = call(orders, "confirm_order", order["id"], actor=REP_A)
    invoice = call(orders, "create_invoice", {"order_id": order["id"]}, actor=REP_A)
    other = call(orders, "create_order", {"currency": "EUR", "lines": []}, actor=REP_A)
    assert order["total"] == "12950.01"
    for typed in ("12950.01", "12,950.01", "12 950,01", "12\u00a0950,01"):
        assert numbers(orders, "list_orders", typed) == [order["number"]], typed
        assert numbers(orders, "list_invoices", typed) == [invoice["number"]], typed
    assert numbers(orders, "list_orders", "12950") == []  # the exact amount, not a part
    assert other["number"] not in numbers(orders, "list_orders", "12950.01")
    # rights hold: another team's rep finds none
    assert numbers(orders, "list_orders", "12950.01", actor=REP_B) == []
