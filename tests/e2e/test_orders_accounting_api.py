"""The accounting exchange through the public API, with the reference accounting peer
running in the stack (tests/support/stack.py; it has 1000 of any product)."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.support.stack import Stack

from .conftest import Login
from .test_leads_api import World, problem
from .test_orders_api import product

pytestmark = pytest.mark.e2e


def confirmed(client: httpx.Client, quantity: str) -> dict:
    bolt = product(client)
    made = client.post(
        "/api/v1/orders",
        json={
            "currency": "EUR",
            "lines": [{"product_id": bolt["id"], "quantity": quantity, "price": "2"}],
        },
    )
    assert made.status_code == 201, made.text
    order = made.json()
    assert order["accounting_status"] == "not_sent"
    problem(client.post(f"/api/v1/orders/{order['id']}/reserve"), 409)  # a draft
    done = client.post(f"/api/v1/orders/{order['id']}/confirm")
    assert done.status_code == 200, done.text
    assert done.json()["accounting_status"] == "waiting"
    return done.json()


def settled(client: httpx.Client, order_id: str, timeout: float = 20.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        order = client.get(f"/api/v1/orders/{order_id}").json()
        if order["accounting_status"] != "waiting":
            return order
        time.sleep(0.2)
    raise AssertionError("the accounting system never answered")


def test_a_confirmed_order_is_reserved_and_cannot_be_sent_again(
    admin: httpx.Client, stack: Stack
) -> None:
    assert stack.accounting_peer_url
    order = confirmed(admin, "3")
    reserved = settled(admin, order["id"])
    assert reserved["accounting_status"] == "reserved"
    body = problem(admin.post(f"/api/v1/orders/{order['id']}/reserve"), 409)
    assert body["errors"] == [{"field": "accounting_status", "message": "is reserved"}]

    log = admin.get(f"/api/v1/orders/{order['id']}/accounting")
    assert log.status_code == 200, log.text
    assert log.json()["status"] == "reserved"
    assert [(m["direction"], m["type"]) for m in log.json()["messages"]] == [
        ("out", "reservation_requested"),
        ("in", "reservation_confirmed"),
    ]
    problem(admin.get("/api/v1/orders/00000000-0000-0000-0000-000000000000/accounting"), 404)


def test_a_rejected_reservation_can_be_sent_again(admin: httpx.Client) -> None:
    order = confirmed(admin, "5000")
    rejected = settled(admin, order["id"])
    assert rejected["accounting_status"] == "rejected"
    assert "out of stock" in rejected["accounting_note"]
    again = admin.post(
        f"/api/v1/orders/{order['id']}/reserve",
        headers={"If-Match": f'"{rejected["version"]}"'},
    )
    assert again.status_code == 200, again.text
    assert again.json()["accounting_status"] == "waiting"
    assert settled(admin, order["id"])["accounting_status"] == "rejected"
    stale = admin.post(
        f"/api/v1/orders/{order['id']}/reserve",
        headers={"If-Match": f'"{rejected["version"]}"'},
    )
    problem(stale, 409)


def test_reconciliation_is_for_administrators(
    admin: httpx.Client, world: World, login: Login
) -> None:
    report = admin.post("/api/v1/accounting/reconcile")
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["orders"] >= 0 and isinstance(body["differences"], list)
    for difference in body["differences"]:
        assert {"field", "crm", "accounting"} <= set(difference)
    rep = login(world.rep_a1.email, world.rep_a1.password)
    problem(rep.post("/api/v1/accounting/reconcile"), 403)
