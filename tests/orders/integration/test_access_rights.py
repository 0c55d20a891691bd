"""Access rights on products, orders and invoices in the real orders service
(docs/architecture.md, "Access rights"): object rights per operation (the catalogue's
changes included), record scopes in reads, lists, the search box and every action,
hidden and read-only columns. The callers carry rights as identity makes them."""

from __future__ import annotations

from typing import Any

import pytest

from services.platform.errors import NotFound, PermissionDenied, ValidationFailed
from services.platform.ids import new_id
from tests.sales.integration.rights_people import fields_of, holder

from .conftest import TEAM_A, TEAM_B, call

ADMIN = holder("root@osprey.test", None, "admin")
MANAGER = holder("max@osprey.test", TEAM_A, "sales_manager")


def product(container, **data: Any) -> dict:
    return call(
        container,
        "create_product",
        {"code": f"R-{new_id()[-12:]}", "name": "Bolt", **data},
        actor=MANAGER,
    )


def order(container, actor: dict, price: str = "100.00") -> dict:
    bolt = product(container)
    return call(
        container,
        "create_order",
        {
            "currency": "EUR",
            "notes": "first",
            "lines": [{"product_id": bolt["id"], "quantity": 1, "price": price}],
        },
        actor=actor,
    )


def listed(container, method: str, actor: dict, **query: Any) -> set[str]:
    return {item["id"] for item in call(container, method, query, actor=actor)["items"]}


# --- object rights ----------------------------------------------------------------------


def test_the_catalogue_is_changed_by_the_products_rights(orders):
    seeded_rep = holder("rep@osprey.test", TEAM_A)
    made = product(orders, description="M8")
    # the seeded rep reads and exports products, changes none (as before rights)
    assert call(orders, "get_product", made["id"], actor=seeded_rep)["id"] == made["id"]
    assert made["id"] in listed(orders, "list_products", seeded_rep, purpose="export")
    for method, args in (
        ("create_product", ({"code": "NEW-1", "name": "Nut"},)),
        ("update_product", (made["id"], {"name": "Screw"})),
        ("delete_product", (made["id"],)),
        ("create_price_list", ({"name": "Retail", "currency": "EUR"},)),
    ):
        with pytest.raises(PermissionDenied):
            call(orders, method, *args, actor=seeded_rep)
    # a rep whose role an admin let create products creates one
    maker = holder("maker@osprey.test", TEAM_A, products={"ops": "cr", "read": "all"})
    assert call(orders, "create_product", {"code": "NEW-2", "name": "Nut"}, actor=maker)["code"]
    with pytest.raises(PermissionDenied) as exc:
        call(orders, "update_product", made["id"], {"name": "Screw"}, actor=maker)
    assert exc.value.message == "Your role may not update products"
    # a manager whose role may not read products reads none
    blind = holder("blind@osprey.test", TEAM_A, "sales_manager", products={"ops": ""})
    for method, args in (("get_product", (made["id"],)), ("list_products", ({},))):
        with pytest.raises(PermissionDenied):
            call(orders, method, *args, actor=blind)


def test_orders_and_invoices_take_each_operations_right(orders):
    rep = holder("rep@osprey.test", TEAM_A)
    placed = order(orders, rep)
    confirmed = call(orders, "confirm_order", placed["id"], actor=rep)
    bill = call(orders, "create_invoice", {"order_id": confirmed["id"]}, actor=rep)
    reader = holder(
        "reader@osprey.test",
        TEAM_A,
        orders={"ops": "r", "read": "team", "write": "team"},
        invoices={"ops": "r", "read": "team", "write": "team"},
    )
    assert call(orders, "get_order", placed["id"], actor=reader)["id"] == placed["id"]
    assert call(orders, "get_invoice", bill["id"], actor=reader)["id"] == bill["id"]
    assert call(orders, "order_history", placed["id"], actor=reader)
    for method, args in (
        ("create_order", ({"currency": "EUR"},)),
        ("update_order", (placed["id"], {"notes": "x"})),
        ("start_order", (placed["id"],)),
        ("cancel_order", (placed["id"],)),
        ("list_orders", ({"purpose": "export"},)),
        ("create_invoice", ({"currency": "EUR", "total": "10.00"},)),
        ("update_invoice", (bill["id"], {"notes": "x"})),
        ("issue_invoice", (bill["id"],)),
        ("cancel_invoice", (bill["id"],)),
        ("list_invoices", ({"purpose": "export"},)),
    ):
        with pytest.raises(PermissionDenied) as exc:
            call(orders, method, *args, actor=reader)
        assert "Your role may not" in exc.value.message, method
    no_orders = holder("none@osprey.test", TEAM_A, orders={"ops": ""})
    for method, args in (("get_order", (placed["id"],)), ("list_orders", ({},))):
        with pytest.raises(PermissionDenied):
            call(orders, method, *args, actor=no_orders)
    # the exporter's list answers with purpose export
    exporter = holder("x@osprey.test", TEAM_A, invoices={"ops": "rx", "read": "team"})
    assert bill["id"] in listed(orders, "list_invoices", exporter, purpose="export")


# --- record rights ----------------------------------------------------------------------


def test_record_scopes_of_orders_and_invoices(orders):
    owner = holder("owner@osprey.test", TEAM_A)
    other_team = holder("bob@osprey.test", TEAM_B)
    placed = order(orders, owner, price="4321.00")
    confirmed = call(orders, "confirm_order", placed["id"], actor=owner)
    bill = call(orders, "create_invoice", {"order_id": confirmed["id"]}, actor=owner)
    own_only = holder(
        "own@osprey.test",
        TEAM_A,
        orders={"read": "own", "write": "own"},
        invoices={"read": "own", "write": "own"},
    )
    for method, record_id in (
        ("get_order", placed["id"]),
        ("order_history", placed["id"]),
        ("order_accounting", placed["id"]),
        ("get_invoice", bill["id"]),
        ("list_payments", bill["id"]),
    ):
        with pytest.raises(NotFound):
            call(orders, method, record_id, actor=own_only)
    assert placed["id"] not in listed(orders, "list_orders", own_only)
    assert placed["id"] not in listed(orders, "list_orders", own_only, q="4321")
    assert bill["id"] not in listed(orders, "list_invoices", own_only)
    with pytest.raises(NotFound):
        call(orders, "create_invoice", {"order_id": confirmed["id"]}, actor=own_only)
    # read scope all reaches the other team's, the write scope (own) does not change them
    reads_all = holder("all@osprey.test", TEAM_B, orders={"read": "all", "write": "own"})
    assert call(orders, "get_order", placed["id"], actor=reads_all)["id"] == placed["id"]
    assert placed["id"] in listed(orders, "list_orders", reads_all, q="4321")
    with pytest.raises(PermissionDenied):
        call(orders, "update_order", placed["id"], {"notes": "mine"}, actor=reads_all)
    with pytest.raises(NotFound):
        call(orders, "get_order", placed["id"], actor=other_team)
    # write scope team: a teammate changes the order (the seeded rep may not)
    mate = holder("mate@osprey.test", TEAM_A)
    with pytest.raises(PermissionDenied):
        call(orders, "update_order", placed["id"], {"notes": "by mate"}, actor=mate)
    team_writer = holder("tw@osprey.test", TEAM_A, orders={"write": "team"})
    changed = call(orders, "update_order", placed["id"], {"notes": "by tw"}, actor=team_writer)
    assert changed["notes"] == "by tw"


# --- column rights ----------------------------------------------------------------------


def test_hidden_and_read_only_columns_of_orders_invoices_and_products(orders):
    rep = holder("rep@osprey.test", TEAM_A)
    placed = order(orders, rep, price="777.00")
    made = product(orders, description="secret alloy")
    blind = holder(
        "blind@osprey.test",
        TEAM_A,
        orders={"read": "team", "write": "team", "hidden": ["total"], "read_only": ["notes"]},
        products={"ops": "r", "read": "all", "hidden": ["description"]},
    )
    got = call(orders, "get_order", placed["id"], actor=blind)
    assert "total" not in got and got["number"] == placed["number"]
    items = call(orders, "list_orders", {}, actor=blind)["items"]
    assert items and all("total" not in i for i in items)
    with pytest.raises(ValidationFailed) as exc:
        call(orders, "list_orders", {"q": "777"}, actor=blind)
    assert fields_of(exc) == {"q": "total is hidden for your role"}
    with pytest.raises(ValidationFailed) as exc:
        call(orders, "list_orders", {"sort": "total"}, actor=blind)
    assert set(fields_of(exc)) == {"sort"}
    with pytest.raises(ValidationFailed) as exc:
        call(orders, "update_order", placed["id"], {"notes": "changed"}, actor=blind)
    assert fields_of(exc) == {"notes": "is read-only for your role"}
    with pytest.raises(ValidationFailed) as exc:
        call(orders, "create_order", {"currency": "EUR", "notes": "n"}, actor=blind)
    assert set(fields_of(exc)) == {"notes"}
    moved = call(orders, "confirm_order", placed["id"], actor=blind)
    assert moved["status"] == "confirmed" and "total" not in moved
    assert "description" not in call(orders, "get_product", made["id"], actor=blind)
    assert all(
        "description" not in p for p in call(orders, "list_products", {}, actor=blind)["items"]
    )
    # the admin sees it all
    assert call(orders, "get_order", placed["id"], actor=ADMIN)["total"] == "777.00"


# --- record sharing ---------------------------------------------------------------------


def test_an_order_and_an_invoice_shared_beyond_the_scope(orders):
    owner = holder("owner@osprey.test", TEAM_A)
    guest = holder("guest@osprey.test", TEAM_B)
    placed = order(orders, owner, price="5150.00")
    bill = call(orders, "create_invoice", {"currency": "EUR", "total": "51.00"}, actor=owner)
    with pytest.raises(NotFound):
        call(orders, "get_order", placed["id"], actor=guest)
    share = call(
        orders,
        "share_record",
        "orders",
        placed["id"],
        {"user_id": guest["id"], "access": "edit"},
        actor=owner,
    )
    assert share["order_id"] == placed["id"]
    assert call(orders, "get_order", placed["id"], actor=guest)["id"] == placed["id"]
    assert placed["id"] in listed(orders, "list_orders", guest, q="5150")
    assert call(orders, "confirm_order", placed["id"], actor=guest)["status"] == "confirmed"
    with pytest.raises(PermissionDenied):  # an edit share does not share on
        call(orders, "share_record", "orders", placed["id"], {"team_id": TEAM_B}, actor=guest)
    call(orders, "share_record", "invoices", bill["id"], {"team_id": TEAM_B}, actor=owner)
    assert call(orders, "get_invoice", bill["id"], actor=guest)["id"] == bill["id"]
    with pytest.raises(PermissionDenied):  # read only
        call(orders, "issue_invoice", bill["id"], actor=guest)
    call(orders, "unshare_record", "orders", placed["id"], share["id"], actor=owner)
    with pytest.raises(NotFound):
        call(orders, "get_order", placed["id"], actor=guest)
    with pytest.raises(ValidationFailed):
        call(orders, "list_record_shares", "products", placed["id"], actor=owner)


def test_price_lists_and_order_lines_hide_the_products_hidden_fields(orders):
    rep = holder("rep@osprey.test", TEAM_A)
    made = product(orders, tax_rate="19")
    retail = call(orders, "create_price_list", {"name": "Retail", "currency": "EUR"}, MANAGER)
    call(orders, "set_price", retail["id"], made["id"], "12.50", actor=MANAGER)
    placed = order(orders, rep, price="12.50")
    clerk = holder(
        "clerk@osprey.test",
        TEAM_A,
        orders={"read": "team", "write": "team"},
        products={"ops": "r", "read": "all", "hidden": ["code", "price", "tax_rate"]},
    )
    # the price list's prices: no code, no price (nor its currency's amount)
    (price,) = call(orders, "list_prices", retail["id"], actor=clerk)
    assert price["product_id"] == made["id"] and price["product_name"] == "Bolt"
    assert "product_code" not in price and "price" not in price
    # as the manager sees them
    (full,) = call(orders, "list_prices", retail["id"], actor=MANAGER)
    assert full["product_code"] == made["code"] and full["price"] == "12.50"
    # an order's lines: no price, tax rate nor any amount worked out from them (amount,
    # discount amount, net, tax, total: net ÷ quantity would give the price away), in a
    # read, a list and an action's answer; the order's own totals go by the orders' rights
    amounts = {"price", "amount", "discount_amount", "net", "tax", "total", "tax_rate"}
    got = call(orders, "get_order", placed["id"], actor=clerk)
    (line,) = got["lines"]
    assert set(line) & amounts == set()
    assert line["quantity"] == "1.000" and got["total"] == "12.50"
    listed_lines = [
        item["lines"]
        for item in call(orders, "list_orders", {}, actor=clerk)["items"]
        if item["id"] == placed["id"]
    ]
    assert listed_lines and all(set(line) & amounts == set() for line in listed_lines[0])
    confirmed = call(orders, "confirm_order", placed["id"], actor=clerk)
    assert all(set(line) & amounts == set() for line in confirmed["lines"])
    # a role that hides only the tax rate reads the price and the net, not the tax
    taxless = holder(
        "taxless@osprey.test",
        TEAM_A,
        orders={"read": "team", "write": "team"},
        products={"ops": "r", "read": "all", "hidden": ["tax_rate"]},
    )
    (line,) = call(orders, "get_order", placed["id"], actor=taxless)["lines"]
    assert (line["price"], line["net"]) == ("12.50", "12.50")
    assert set(line) & {"tax_rate", "tax", "total"} == set()
    assert call(orders, "get_order", placed["id"], actor=rep)["lines"][0]["price"] == "12.50"
    # a role that may not read products reads no price list either
    blind = holder("blind@osprey.test", TEAM_A, products={"ops": ""})
    for method, args in (
        ("list_prices", (retail["id"],)),
        ("get_price_list", (retail["id"],)),
        ("list_price_lists", ({},)),
    ):
        with pytest.raises(PermissionDenied):
            call(orders, method, *args, actor=blind)
