"""An order made from a deal: the orders container asks a real sales container over RPC."""

from __future__ import annotations

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.platform.ids import new_id
from services.sales.service import SalesService

from .conftest import MANAGER_A, REP_A, REP_A2, REP_B, call, error_fields, make_product, outbox


@pytest.fixture
def sales(container_factory, service_config):
    container = container_factory(SalesService, service_config)
    container.start()
    return container


def deal(sales, actor: dict = REP_A, **data) -> dict:
    return call(sales, "create_opportunity", {"title": "Fleet renewal", **data}, actor=actor)


def test_an_order_copies_the_deal_and_links_back(orders, sales, db_engine):
    bolt = make_product(orders, tax_rate="20")
    nut = make_product(orders)  # no tax rate of its own: 0
    account = call(sales, "create_account", {"name": "Acme"}, actor=REP_A)
    contact = call(
        sales, "create_contact", {"full_name": "Ada", "account_id": account["id"]}, actor=REP_A
    )
    opportunity = deal(
        sales,
        account_id=account["id"],
        contact_id=contact["id"],
        currency="EUR",
        lines=[
            {"product_id": bolt["id"], "quantity": "2", "price": "10.00"},
            {"product_id": nut["id"], "quantity": "1.5", "price": "3.33"},
        ],
    )
    made = call(orders, "create_order_from_opportunity", opportunity["id"], actor=REP_A)
    assert (made["opportunity_id"], made["account_id"], made["contact_id"]) == (
        opportunity["id"],
        account["id"],
        contact["id"],
    )
    assert (made["currency"], made["status"], made["owner_id"], made["team_id"]) == (
        "EUR",
        "draft",
        REP_A["id"],
        REP_A["team_id"],
    )
    assert [
        (line["product_id"], line["quantity"], line["price"], line["discount"], line["tax_rate"])
        for line in made["lines"]
    ] == [
        (bolt["id"], "2.000", "10.00", "0.00", "20.00"),
        (nut["id"], "1.500", "3.33", "0.00", "0.00"),
    ]
    assert (made["subtotal"], made["tax_total"], made["total"]) == ("25.00", "4.00", "29.00")
    assert outbox(db_engine)[-1] == ("order_placed", made)

    # One order per deal, unless another is asked for; a cancelled one does not count.
    with pytest.raises(Conflict) as exc:
        call(orders, "create_order_from_opportunity", opportunity["id"], actor=REP_A)
    assert error_fields(exc) == {"opportunity_id"}
    another = call(
        orders,
        "create_order_from_opportunity",
        opportunity["id"],
        actor=MANAGER_A,
        allow_another=True,
    )
    assert another["number"] != made["number"]
    for order in (made, another):
        call(orders, "cancel_order", order["id"], actor=REP_A)
    again = call(orders, "create_order_from_opportunity", opportunity["id"], actor=REP_A)
    assert again["opportunity_id"] == opportunity["id"]


def test_the_deals_errors_cross_rpc_typed(orders, sales, service_config):
    opportunity = deal(sales, currency="EUR")
    with ServiceRpcProxy("orders", service_config) as rpc:
        with pytest.raises(NotFound):
            rpc.create_order_from_opportunity(new_id(), actor=REP_A)
        with pytest.raises(NotFound):  # another team may not read the deal
            rpc.create_order_from_opportunity(opportunity["id"], actor=REP_B)
        with pytest.raises(PermissionDenied):  # a teammate reads it but may not change it
            rpc.create_order_from_opportunity(opportunity["id"], actor=REP_A2)
        made = rpc.create_order_from_opportunity(opportunity["id"], actor=REP_A)
    assert (made["lines"], made["total"]) == ([], "0.00")


def test_a_deal_without_currency_or_with_unknown_products_is_refused(orders, sales):
    with pytest.raises(ValidationFailed) as exc:
        call(orders, "create_order_from_opportunity", deal(sales)["id"], actor=REP_A)
    assert error_fields(exc) == {"currency"}
    unknown = deal(
        sales,
        currency="EUR",
        lines=[{"product_id": new_id(), "quantity": "1", "price": "1"}],
    )
    with pytest.raises(ValidationFailed) as exc:
        call(orders, "create_order_from_opportunity", unknown["id"], actor=REP_A)
    assert error_fields(exc) == {"lines[0].product_id"}
