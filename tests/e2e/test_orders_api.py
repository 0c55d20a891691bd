"""Products, price lists, orders and invoices through the public API and the whole stack."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.stack import Stack

from .conftest import Login
from .test_leads_api import World, fields, problem, word

pytestmark = pytest.mark.e2e


def product(client: httpx.Client, **data: object) -> dict:
    response = client.post(
        "/api/v1/products", json={"code": f"P-{word(8)}", "name": f"Part {word(6)}", **data}
    )
    assert response.status_code == 201, response.text
    return response.json()


def test_readyz_includes_the_orders_service(stack: Stack) -> None:
    ready = httpx.get(f"{stack.base_url}/readyz", timeout=10)
    assert ready.status_code == 200, ready.text
    assert ready.json()["checks"]["service.orders"] == "ok"


def test_catalogue_rights_and_prices(admin: httpx.Client, world: World, login: Login) -> None:
    bolt = product(admin, unit="pcs", tax_rate="20")
    assert (bolt["is_active"], bolt["tax_rate"], bolt["price"]) == (True, "20.00", None)
    problem(admin.post("/api/v1/products", json={"code": bolt["code"], "name": "Again"}), 409)
    body = problem(admin.post("/api/v1/products", json={"name": "", "tax_rate": "120"}), 422)
    assert fields(body) == {"code", "name", "tax_rate"}

    rep = login(world.rep_a1.email, world.rep_a1.password)
    assert rep.get(f"/api/v1/products/{bolt['id']}").status_code == 200
    problem(rep.post("/api/v1/products", json={"code": f"X-{word()}", "name": "No"}), 403)
    problem(rep.patch(f"/api/v1/products/{bolt['id']}", json={"name": "No"}), 403)

    price_list = admin.post(
        "/api/v1/price-lists",
        json={"name": f"Retail {word()}", "currency": "eur", "is_default": True},
    )
    assert price_list.status_code == 201, price_list.text
    list_url = f"/api/v1/price-lists/{price_list.json()['id']}"
    price = admin.put(f"{list_url}/prices/{bolt['id']}", json={"price": "12.50"})
    assert price.status_code == 200, price.text
    problem(admin.put(f"{list_url}/prices/{bolt['id']}", json={"price": "1.005"}), 422)
    shown = admin.get(f"/api/v1/products/{bolt['id']}").json()
    assert (shown["price"], shown["currency"]) == ("12.50", "EUR")
    prices = admin.get(f"{list_url}/prices").json()["items"]
    assert [(p["product_code"], p["price"]) for p in prices] == [(bolt["code"], "12.50")]


def test_an_order_from_draft_to_completed_and_its_invoice_paid(admin: httpx.Client) -> None:
    bolt, nut = product(admin), product(admin)
    created = admin.post(
        "/api/v1/orders",
        json={
            "currency": "EUR",
            "lines": [
                {"product_id": bolt["id"], "quantity": "3", "price": "10.005"},
            ],
        },
    )
    body = problem(created, 422)
    assert fields(body) == {"lines[0].price"}
    created = admin.post(
        "/api/v1/orders",
        json={
            "currency": "EUR",
            "lines": [
                {"product_id": bolt["id"], "quantity": "3", "price": "19.99", "discount": "10"},
                {"product_id": nut["id"], "quantity": "1.5", "price": "3.33", "tax_rate": "7"},
            ],
        },
    )
    assert created.status_code == 201, created.text
    order = created.json()
    url = f"/api/v1/orders/{order['id']}"
    assert created.headers["location"] == url
    assert re.fullmatch(r"\d{4}-\d{6}", order["number"])
    # 3 × 19.99 = 59.97, −10 % = 6.00 → 53.97; 1.5 × 3.33 = 5.00 (4.995 half-up), +7 % = 0.35
    assert [line["total"] for line in order["lines"]] == ["53.97", "5.35"]
    assert (order["subtotal"], order["discount_total"], order["tax_total"], order["total"]) == (
        "64.97",
        "6.00",
        "0.35",
        "59.32",
    )

    problem(admin.post(f"{url}/ship"), 409)
    confirmed = admin.post(f"{url}/confirm", headers={"If-Match": '"1"'})
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.headers["etag"] == '"2"'
    problem(admin.patch(url, json={"lines": []}), 409)
    for verb in ("start", "ship"):
        assert admin.post(f"{url}/{verb}").status_code == 200
    problem(admin.post(f"{url}/cancel", json={"reason": "Too late"}), 409)
    assert admin.post(f"{url}/complete").json()["status"] == "completed"
    history = admin.get(f"{url}/history").json()["items"]
    assert [(h["from"], h["to"]) for h in history] == [
        (None, "draft"),
        ("draft", "confirmed"),
        ("confirmed", "in_progress"),
        ("in_progress", "shipped"),
        ("shipped", "completed"),
    ]

    invoice = admin.post("/api/v1/invoices", json={"order_id": order["id"]})
    assert invoice.status_code == 201, invoice.text
    invoice_url = f"/api/v1/invoices/{invoice.json()['id']}"
    assert re.fullmatch(r"INV-\d{4}-\d{6}", invoice.json()["number"])
    assert (invoice.json()["total"], invoice.json()["status"]) == ("59.32", "draft")
    problem(admin.post(f"{invoice_url}/register-payment", json={"amount": "1"}), 409)
    assert admin.post(f"{invoice_url}/issue").json()["status"] == "issued"
    part = admin.post(f"{invoice_url}/register-payment", json={"amount": "50"})
    assert part.status_code == 200, part.text
    assert (part.json()["paid_amount"], part.json()["status"]) == ("50.00", "issued")
    over = admin.post(f"{invoice_url}/register-payment", json={"amount": "9.33"})
    assert fields(problem(over, 422)) == {"amount"}
    paid = admin.post(f"{invoice_url}/register-payment", json={"amount": "9.32"})
    assert (paid.json()["paid_amount"], paid.json()["status"]) == ("59.32", "paid")
    payments = admin.get(f"{invoice_url}/payments").json()["items"]
    assert [p["amount"] for p in payments] == ["50.00", "9.32"]
    problem(admin.post(f"{invoice_url}/cancel", json={}), 409)


def test_orders_follow_owner_and_team_rights(world: World, login: Login) -> None:
    ann = login(world.rep_a1.email, world.rep_a1.password)
    abe = login(world.rep_a2.email, world.rep_a2.password)
    bob = login(world.rep_b1.email, world.rep_b1.password)
    created = ann.post("/api/v1/orders", json={"currency": "USD"})
    assert created.status_code == 201, created.text
    url = f"/api/v1/orders/{created.json()['id']}"
    assert abe.get(url).status_code == 200  # same team reads
    problem(abe.post(f"{url}/cancel", json={}), 403)  # but does not change
    problem(bob.get(url), 404)  # another team does not see it
    assert created.json()["id"] not in [o["id"] for o in bob.get("/api/v1/orders").json()["items"]]


def test_meta_entities_describes_products_orders_and_invoices(admin: httpx.Client) -> None:
    entities = admin.get("/api/v1/meta/entities").json()["entities"]
    statuses = next(f for f in entities["orders"]["fields"] if f["name"] == "status")
    assert statuses["options"] == [
        "draft",
        "confirmed",
        "in_progress",
        "shipped",
        "completed",
        "cancelled",
    ]
    assert {"code", "price"} <= {f["name"] for f in entities["products"]["fields"]}
    assert "paid_amount" in {f["name"] for f in entities["invoices"]["fields"]}


def test_an_order_from_a_deal_over_http(admin: httpx.Client) -> None:
    bolt = product(admin, tax_rate="10")
    deal = admin.post(
        "/api/v1/opportunities",
        json={
            "title": f"Bolts {word()}",
            "currency": "EUR",
            "lines": [{"product_id": bolt["id"], "quantity": "4", "price": "2.50"}],
        },
    )
    assert deal.status_code == 201, deal.text
    made = admin.post("/api/v1/orders/from-opportunity", json={"opportunity_id": deal.json()["id"]})
    assert made.status_code == 201, made.text
    order = made.json()
    assert made.headers["location"] == f"/api/v1/orders/{order['id']}"
    assert (order["opportunity_id"], order["total"], order["lines"][0]["tax_rate"]) == (
        deal.json()["id"],
        "11.00",
        "10.00",
    )
    listed = admin.get("/api/v1/orders", params={"filter[opportunity_id]": deal.json()["id"]})
    assert [o["id"] for o in listed.json()["items"]] == [order["id"]]
    again = admin.post(
        "/api/v1/orders/from-opportunity", json={"opportunity_id": deal.json()["id"]}
    )
    assert fields(problem(again, 409)) == {"opportunity_id"}
    another = admin.post(
        "/api/v1/orders/from-opportunity",
        json={"opportunity_id": deal.json()["id"], "allow_another": True},
    )
    assert another.status_code == 201, another.text
    missing = admin.post(
        "/api/v1/orders/from-opportunity",
        json={"opportunity_id": "01a21a36-0000-7000-8000-000000000009"},
    )
    problem(missing, 404)
    cancelled = admin.post(f"/api/v1/orders/{order['id']}/cancel", json={"reason": "Twice"})
    assert (cancelled.json()["status"], cancelled.json()["cancel_reason"]) == (
        "cancelled",
        "Twice",
    )
    assert admin.post(f"/api/v1/orders/{another.json()['id']}/cancel").status_code == 200
