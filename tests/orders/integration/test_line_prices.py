"""An order's lines written by a role that may not see or set products' price (or tax
rate), in the real orders service (services/orders/line_prices.py): the role sends no
price and the service prices each line — the price the order already had for that
product, else the product's price in a price list of the order's currency — and a
price sent by such a role is a 422 naming it."""

from __future__ import annotations

from typing import Any

import pytest

from services.platform.errors import ValidationFailed
from tests.sales.integration.rights_people import fields_of, holder

from .conftest import TEAM_A, call
from .test_access_rights import MANAGER, product

#: a rep of team A whose role hides products' price and tax rate
CLERK = holder(
    "clerk@osprey.test",
    TEAM_A,
    orders={"read": "team", "write": "team"},
    products={"ops": "r", "read": "all", "hidden": ["price", "tax_rate"]},
)
#: a rep of team A who sees products' price but may not set it
READER = holder(
    "reader@osprey.test",
    TEAM_A,
    orders={"read": "team", "write": "team"},
    products={"ops": "r", "read": "all", "read_only": ["price"]},
)


def price_list(container, name: str, currency: str, prices: dict[str, str], **more: Any) -> dict:
    made = call(
        container, "create_price_list", {"name": name, "currency": currency, **more}, MANAGER
    )
    for product_id, price in prices.items():
        call(container, "set_price", made["id"], product_id, price, actor=MANAGER)
    return made


def seen_by_manager(container, order_id: str) -> list[tuple[str, str, str, str]]:
    lines = call(container, "get_order", order_id, actor=MANAGER)["lines"]
    return [(ln["product_id"], ln["quantity"], ln["price"], ln["tax_rate"]) for ln in lines]


def test_a_role_that_may_not_see_the_price_gets_the_price_lists_and_keeps_the_orders(orders):
    bolt, nut, washer = (product(orders, tax_rate=rate) for rate in ("19", "7", None))
    retail = price_list(orders, "Retail", "EUR", {bolt["id"]: "4.20"}, is_default=True)
    # a list in the order's currency that is not the default prices what the default does not
    price_list(orders, "Wholesale EUR", "EUR", {bolt["id"]: "3.00", nut["id"]: "0.50"})
    price_list(orders, "Dollars", "USD", {washer["id"]: "0.10"})

    placed = call(
        orders,
        "create_order",
        {"currency": "EUR", "lines": [
            {"product_id": bolt["id"], "quantity": "3", "discount": "10"},
            {"product_id": nut["id"], "quantity": "10", "price": None},
        ]},
        actor=CLERK,
    )  # fmt: skip
    assert all({"price", "amount", "tax_rate"}.isdisjoint(line) for line in placed["lines"])
    assert seen_by_manager(orders, placed["id"]) == [
        (bolt["id"], "3.000", "4.20", "19.00"),
        (nut["id"], "10.000", "0.50", "7.00"),
    ]
    # 3 × 4.20 − 10 % = 11.34 + 19 % = 13.49; 10 × 0.50 = 5.00 + 7 % = 5.35
    assert placed["total"] == "18.84"

    # the prices change in the lists; the clerk changes a quantity and adds a line: the
    # bolt keeps the order's price, the new line takes the list's
    call(orders, "set_price", retail["id"], bolt["id"], "9.99", actor=MANAGER)
    changed = call(
        orders,
        "update_order",
        placed["id"],
        {"lines": [
            {"product_id": bolt["id"], "quantity": "5", "discount": "10"},
            {"product_id": nut["id"], "quantity": "10"},
            {"product_id": bolt["id"], "quantity": "1"},
        ]},
        actor=CLERK,
    )  # fmt: skip
    assert seen_by_manager(orders, changed["id"]) == [
        (bolt["id"], "5.000", "4.20", "19.00"),
        (nut["id"], "10.000", "0.50", "7.00"),
        (bolt["id"], "1.000", "9.99", "19.00"),
    ]

    # a price sent is refused, naming it; so is a product no list of EUR prices
    with pytest.raises(ValidationFailed) as exc:
        call(
            orders,
            "update_order",
            placed["id"],
            {"lines": [
                {"product_id": bolt["id"], "quantity": "1", "price": "0.01"},
                {"product_id": nut["id"], "quantity": "1", "tax_rate": "0"},
            ]},
            actor=CLERK,
        )  # fmt: skip
    assert fields_of(exc) == {
        "lines[0].price": "is read-only for your role",
        "lines[1].tax_rate": "is read-only for your role",
    }
    with pytest.raises(ValidationFailed) as exc:
        call(
            orders,
            "create_order",
            {"currency": "EUR", "lines": [{"product_id": washer["id"], "quantity": "1"}]},
            actor=CLERK,
        )
    assert fields_of(exc) == {"lines[0].price": "the product has no price in a EUR price list"}
    assert seen_by_manager(orders, placed["id"])[0][2] == "4.20"  # nothing changed


def test_a_read_only_price_is_not_set_either_and_a_role_that_sets_it_still_must(orders):
    bolt = product(orders, tax_rate="19")
    price_list(orders, "Retail", "EUR", {bolt["id"]: "4.20"}, is_default=True)
    line = {"product_id": bolt["id"], "quantity": "2", "tax_rate": "5"}
    with pytest.raises(ValidationFailed) as exc:
        call(orders, "create_order", {"currency": "EUR", "lines": [{**line, "price": "4.20"}]},
             actor=READER)  # fmt: skip
    assert fields_of(exc) == {"lines[0].price": "is read-only for your role"}
    placed = call(orders, "create_order", {"currency": "EUR", "lines": [line]}, actor=READER)
    # the reader sees the price the list gave, and sets the tax rate their role allows
    assert [(ln["price"], ln["tax_rate"], ln["amount"]) for ln in placed["lines"]] == [
        ("4.20", "5.00", "8.40")
    ]
    with pytest.raises(ValidationFailed) as exc:
        call(orders, "create_order", {"currency": "EUR", "lines": [line]}, actor=MANAGER)
    assert fields_of(exc) == {"lines[0].price": "is required"}
