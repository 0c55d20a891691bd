"""Products, price lists and prices in a real orders container."""

from __future__ import annotations

import pytest

from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .conftest import ADMIN, MANAGER_A, REP_A, REP_B, call, error_fields, make_product, outbox


def test_product_crud_with_a_unique_code(orders, db_engine):
    bolt = make_product(orders, code="BOLT-1", unit="pcs", category="Hardware", tax_rate="20")
    assert (bolt["code"], bolt["is_active"], bolt["tax_rate"], bolt["version"]) == (
        "BOLT-1",
        True,
        "20.00",
        1,
    )
    assert (bolt["price"], bolt["currency"]) == (None, None)
    with pytest.raises(Conflict) as exc:
        make_product(orders, code="BOLT-1")
    assert error_fields(exc) == {"code"}
    other = make_product(orders, code="NUT-1")
    with pytest.raises(Conflict):
        call(orders, "update_product", other["id"], {"code": "BOLT-1"}, actor=MANAGER_A)

    changed = call(
        orders,
        "update_product",
        bolt["id"],
        {"name": "Bolt M8", "is_active": False},
        actor=ADMIN,
        expected_version=1,
    )
    assert (changed["name"], changed["is_active"], changed["version"]) == ("Bolt M8", False, 2)
    with pytest.raises(Conflict):
        call(orders, "update_product", bolt["id"], {"name": "X"}, actor=ADMIN, expected_version=1)
    page = call(orders, "list_products", {"filter": {"is_active": "false"}}, actor=REP_B)
    assert [p["code"] for p in page["items"]] == ["BOLT-1"]
    call(orders, "delete_product", other["id"], actor=MANAGER_A)
    with pytest.raises(NotFound):
        call(orders, "get_product", other["id"], actor=REP_A)
    types = [t for t, _ in outbox(db_engine)]
    assert types == [
        "product_created",
        "product_created",
        "product_updated",
        "product_deleted",
    ]


def test_bad_products_are_refused_with_every_field(orders):
    with pytest.raises(ValidationFailed) as exc:
        call(
            orders,
            "create_product",
            {"name": " ", "tax_rate": "100.5", "is_active": "yes", "price": "1"},
            actor=MANAGER_A,
        )
    assert error_fields(exc) == {"code", "name", "tax_rate", "is_active", "price"}


def test_everybody_reads_the_catalogue_but_only_managers_change_it(orders):
    bolt = make_product(orders)
    assert call(orders, "get_product", bolt["id"], actor=REP_B)["id"] == bolt["id"]
    with pytest.raises(PermissionDenied):
        make_product(orders, actor=REP_A)
    with pytest.raises(PermissionDenied):
        call(orders, "update_product", bolt["id"], {"name": "X"}, actor=REP_A)
    with pytest.raises(PermissionDenied):
        call(orders, "delete_product", bolt["id"], actor=REP_A)
    with pytest.raises(PermissionDenied):
        call(orders, "create_price_list", {"name": "R", "currency": "EUR"}, actor=REP_A)


def test_one_default_price_list_and_the_products_shown_price(orders, db_engine):
    bolt = make_product(orders)
    retail = call(
        orders,
        "create_price_list",
        {"name": "Retail", "currency": "eur", "is_default": True},
        actor=MANAGER_A,
    )
    assert (retail["currency"], retail["is_default"]) == ("EUR", True)
    price = call(orders, "set_price", retail["id"], bolt["id"], "12.50", actor=MANAGER_A)
    assert (price["price"], price["currency"]) == ("12.50", "EUR")
    again = call(orders, "set_price", retail["id"], bolt["id"], 13, actor=MANAGER_A)
    assert again["price"] == "13.00"  # one price per list and product: changed, not added
    assert len(call(orders, "list_prices", retail["id"], actor=REP_A)) == 1
    shown = call(orders, "get_product", bolt["id"], actor=REP_A)
    assert (shown["price"], shown["currency"]) == ("13.00", "EUR")

    yen = call(
        orders,
        "create_price_list",
        {"name": "Japan", "currency": "JPY", "is_default": True},
        actor=ADMIN,
    )
    lists = call(orders, "list_price_lists", {}, actor=REP_B)["items"]
    assert {(p["name"], p["is_default"]) for p in lists} == {("Retail", False), ("Japan", True)}
    with pytest.raises(ValidationFailed) as exc:
        call(orders, "set_price", yen["id"], bolt["id"], "1500.50", actor=ADMIN)
    assert error_fields(exc) == {"price"}
    call(orders, "set_price", yen["id"], bolt["id"], "1500", actor=ADMIN)
    listed = call(orders, "list_products", {}, actor=REP_A)["items"]
    assert [(p["price"], p["currency"]) for p in listed] == [("1500", "JPY")]

    with pytest.raises(Conflict) as exc:
        call(orders, "update_price_list", yen["id"], {"currency": "USD"}, actor=ADMIN)
    assert error_fields(exc) == {"currency"}
    with pytest.raises(Conflict):
        call(orders, "create_price_list", {"name": "Retail", "currency": "USD"}, actor=ADMIN)
    call(orders, "remove_price", yen["id"], bolt["id"], actor=ADMIN)
    with pytest.raises(NotFound):
        call(orders, "remove_price", yen["id"], bolt["id"], actor=ADMIN)
    back = call(orders, "update_price_list", retail["id"], {"is_default": True}, actor=ADMIN)
    assert back["is_default"] and back["version"] == 3
    assert call(orders, "get_price_list", yen["id"], actor=REP_A)["is_default"] is False
    types = [t for t, _ in outbox(db_engine)]
    assert types.count("price_list_price_set") == 3
    assert "price_list_price_removed" in types


def test_a_product_on_an_order_is_not_deleted(orders):
    bolt = make_product(orders)
    call(
        orders,
        "create_order",
        {"currency": "EUR", "lines": [{"product_id": bolt["id"], "quantity": 1, "price": "1"}]},
        actor=REP_A,
    )
    with pytest.raises(Conflict):
        call(orders, "delete_product", bolt["id"], actor=ADMIN)
