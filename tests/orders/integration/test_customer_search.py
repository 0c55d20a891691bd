"""The orders and invoices lists' search box finds them by their customer's name (issue
21, point 3): sales finds the accounts by name with the caller's rights, the orders
service lists those accounts' orders and invoices beside the number's match."""

from __future__ import annotations

import pytest

from services.sales.service import SalesService

from .conftest import REP_A, REP_B, call, make_product


@pytest.fixture
def sales(container_factory, service_config):
    container = container_factory(SalesService, service_config)
    container.start()
    return container


def numbers(container, method: str, q: str, actor: dict = REP_A) -> list[str]:
    page = call(container, method, {"q": q, "sort": "number"}, actor=actor)
    return [r["number"] for r in page["items"]]


def test_orders_and_invoices_are_found_by_their_customers_name(orders, sales):
    heron = call(sales, "create_account", {"name": "Heronsgate Mills"}, actor=REP_A)
    other = call(sales, "create_account", {"name": "Kestrel Foods"}, actor=REP_A)
    bolt = make_product(orders)
    line = {"product_id": bolt["id"], "quantity": "1", "price": "5.00"}
    made = {}
    for account in (heron, other):
        order = call(
            orders,
            "create_order",
            {"currency": "EUR", "account_id": account["id"], "lines": [line]},
            actor=REP_A,
        )
        order = call(orders, "confirm_order", order["id"], actor=REP_A)
        invoice = call(orders, "create_invoice", {"order_id": order["id"]}, actor=REP_A)
        made[account["name"]] = (order["number"], invoice["number"])

    for typed in ("heronsgate", "Heronsgate Mi", "HERONSGATE MILLS"):
        assert numbers(orders, "list_orders", typed) == [made["Heronsgate Mills"][0]], typed
        assert numbers(orders, "list_invoices", typed) == [made["Heronsgate Mills"][1]], typed
    # the number's match still holds beside the name's
    order_number = made["Kestrel Foods"][0]
    assert numbers(orders, "list_orders", order_number) == [order_number]
    assert numbers(orders, "list_orders", "nobody-by-this-name") == []
    # another team's rep may read neither the accounts nor the orders
    assert numbers(orders, "list_orders", "heronsgate", actor=REP_B) == []
    assert numbers(orders, "list_invoices", "heronsgate", actor=REP_B) == []


def test_without_sales_the_number_is_still_found(orders):
    bolt = make_product(orders)
    line = {"product_id": bolt["id"], "quantity": "1", "price": "5.00"}
    order = call(orders, "create_order", {"currency": "EUR", "lines": [line]}, actor=REP_A)
    order = call(orders, "confirm_order", order["id"], actor=REP_A)
    assert numbers(orders, "list_orders", order["number"]) == [order["number"]]
    assert numbers(orders, "list_orders", "some customer") == []
