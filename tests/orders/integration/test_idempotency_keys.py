"""Orders, invoices and products created — and orders confirmed — with an idempotency
key act once, however often the request is sent (services/platform/requests_once.py)."""

from __future__ import annotations

import pytest
from nameko.standalone.rpc import ServiceRpcProxy

from services.platform.errors import Conflict
from services.platform.ids import new_id
from tests.platform.keyed_requests import count, send_together

from .conftest import MANAGER_A, REP_A, call, make_product


def orders_count(engine) -> int:
    return count(engine, "SELECT count(*) FROM orders.orders")


def test_one_key_sent_twice_creates_one_of_each_and_answers_alike(
    orders, service_config, db_engine
):
    key = f"{new_id()}:{new_id()}:action"
    with ServiceRpcProxy("orders", service_config) as rpc:
        first = rpc.create_order({"currency": "EUR"}, actor=REP_A, idempotency_key=key)
        again = rpc.create_order({"currency": "EUR"}, actor=REP_A, idempotency_key=key)
        product = {"code": "BOLT-1", "name": "Bolt"}
        made = rpc.create_product(product, actor=MANAGER_A, idempotency_key="p-1")
        # without the key the second create would be refused: the code is taken
        remade = rpc.create_product(product, actor=MANAGER_A, idempotency_key="p-1")
        invoice = {"currency": "EUR", "total": "10.00"}
        billed = rpc.create_invoice(invoice, actor=REP_A, idempotency_key="i-1")
        rebilled = rpc.create_invoice(invoice, actor=REP_A, idempotency_key="i-1")
    assert again == first and first["status"] == "draft"
    assert remade == made and rebilled == billed
    assert orders_count(db_engine) == 1
    assert count(db_engine, "SELECT count(*) FROM orders.products") == 1
    assert count(db_engine, "SELECT count(*) FROM orders.invoices") == 1
    assert count(db_engine, "SELECT count(*) FROM orders.outbox WHERE type = 'order_placed'") == 1


def test_two_keys_create_two_orders_and_no_key_acts_every_time(orders, service_config, db_engine):
    with ServiceRpcProxy("orders", service_config) as rpc:
        one = rpc.create_order({"currency": "EUR"}, actor=REP_A, idempotency_key="k-1")
        two = rpc.create_order({"currency": "EUR"}, actor=REP_A, idempotency_key="k-2")
        rpc.create_order({"currency": "EUR"}, actor=REP_A)
    assert one["id"] != two["id"] and one["number"] != two["number"]
    assert orders_count(db_engine) == 3


def test_a_concurrent_pair_with_one_key_creates_one_order(orders, service_config, db_engine):
    key = f"{new_id()}:{new_id()}:action"

    def send() -> dict:
        with ServiceRpcProxy("orders", service_config) as rpc:
            return rpc.create_order({"currency": "EUR"}, actor=REP_A, idempotency_key=key)

    first, second = send_together(db_engine, "orders.orders", send)
    assert first == second
    assert orders_count(db_engine) == 1


def test_a_confirm_sent_again_with_its_key_answers_as_the_first_did(orders, db_engine):
    bolt = make_product(orders)
    placed = call(
        orders,
        "create_order",
        {"currency": "EUR", "lines": [{"product_id": bolt["id"], "quantity": 1, "price": "5"}]},
        actor=REP_A,
    )
    key = f"{new_id()}:{new_id()}:action"
    confirmed = call(orders, "confirm_order", placed["id"], actor=REP_A, idempotency_key=key)
    again = call(orders, "confirm_order", placed["id"], actor=REP_A, idempotency_key=key)
    assert again == confirmed and confirmed["status"] == "confirmed"
    history = "SELECT count(*) FROM orders.order_status_history WHERE order_id = :o"
    assert count(db_engine, history, o=placed["id"]) == 2  # placed, confirmed
    with pytest.raises(Conflict):  # another request: the order is no draft any more
        call(orders, "confirm_order", placed["id"], actor=REP_A)
