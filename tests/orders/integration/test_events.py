"""The orders service's events leave through the outbox and reach other services."""

from __future__ import annotations

from nameko.events import event_handler
from nameko.testing.services import entrypoint_waiter

from .conftest import REP_A, call, make_product


class OrdersEventsWatcher:
    """A consumer in another service, as any Osprey service would write one."""

    name = "orders_events_watcher"

    @event_handler("orders", "order_placed")
    def handle_order_placed(self, event: dict) -> dict:
        return event

    @event_handler("orders", "order_status_changed")
    def handle_order_status_changed(self, event: dict) -> dict:
        return event

    @event_handler("orders", "invoice_paid")
    def handle_invoice_paid(self, event: dict) -> dict:
        return event


def test_order_and_invoice_events_reach_a_consumer(orders, container_factory, service_config):
    watcher = container_factory(OrdersEventsWatcher, service_config)
    watcher.start()
    bolt = make_product(orders)
    with entrypoint_waiter(watcher, "handle_order_placed") as placed:
        made = call(
            orders,
            "create_order",
            {"currency": "EUR", "lines": [{"product_id": bolt["id"], "quantity": 2, "price": "5"}]},
            actor=REP_A,
        )
    with entrypoint_waiter(watcher, "handle_order_status_changed") as changed:
        call(orders, "confirm_order", made["id"], actor=REP_A)
    invoice = call(orders, "create_invoice", {"order_id": made["id"]}, actor=REP_A)
    call(orders, "issue_invoice", invoice["id"], actor=REP_A)
    with entrypoint_waiter(watcher, "handle_invoice_paid") as paid:
        call(orders, "register_payment", invoice["id"], "10.00", actor=REP_A)

    placed_event = placed.get()
    assert (placed_event["type"], placed_event["source"]) == ("order_placed", "orders")
    assert placed_event["data"] == made
    assert placed_event["actor"] == {"id": REP_A["id"], "email": REP_A["email"]}
    status = changed.get()["data"]
    assert (status["from"], status["to"], status["order"]["id"]) == (
        "draft",
        "confirmed",
        made["id"],
    )
    assert paid.get()["data"]["paid_amount"] == "10.00"
