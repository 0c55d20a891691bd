"""The printable invoice and the order proposed for a won deal, through the whole stack."""

from __future__ import annotations

import io
import time

import httpx
import pytest
from pypdf import PdfReader

from .conftest import Login
from .test_leads_api import World, fields, problem, word
from .test_orders_api import product

pytestmark = pytest.mark.e2e


def test_an_invoice_prints_as_pdf_named_by_its_number(
    admin: httpx.Client, world: World, login: Login
) -> None:
    account = admin.post("/api/v1/accounts", json={"name": f"Завод {word()}"})
    assert account.status_code == 201, account.text
    bolt = product(admin, name="Гайка М6", tax_rate="20")
    order = admin.post(
        "/api/v1/orders",
        json={
            "currency": "EUR",
            "account_id": account.json()["id"],
            "lines": [
                {"product_id": bolt["id"], "quantity": "2", "price": "7.50", "tax_rate": "20"}
            ],
        },
    ).json()
    assert admin.post(f"/api/v1/orders/{order['id']}/confirm").status_code == 200
    invoice = admin.post("/api/v1/invoices", json={"order_id": order["id"]}).json()
    url = f"/api/v1/invoices/{invoice['id']}/pdf"

    response = admin.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert response.headers["content-disposition"] == f'inline; filename="{invoice["number"]}.pdf"'
    text = " ".join(PdfReader(io.BytesIO(response.content)).pages[0].extract_text().split())
    assert invoice["number"] in text and account.json()["name"] in text
    assert f"{bolt['code']} Гайка М6 2 7.50 0 20 15.00 3.00 18.00" in text
    assert "Total 18.00 EUR" in text and "Amount due 18.00 EUR" in text and "DRAFT" in text
    saved = admin.get(url, params={"download": "true"})
    assert saved.headers["content-disposition"].startswith("attachment;")

    # Another team's rep may not read the invoice: the same 404 as for none at all.
    bob = login(world.rep_b1.email, world.rep_b1.password)
    problem(bob.get(url), 404)
    problem(admin.get("/api/v1/invoices/01a21a36-0000-7000-8000-000000000009/pdf"), 404)


def test_orders_settings_and_the_order_proposed_for_a_won_deal(
    admin: httpx.Client, world: World, login: Login
) -> None:
    ann = login(world.rep_a1.email, world.rep_a1.password)
    shown = ann.get("/api/v1/orders-settings")
    assert shown.status_code == 200, shown.text
    assert shown.json()["propose_order_on_win"] is True
    problem(ann.put("/api/v1/orders-settings", json={"propose_order_on_win": False}), 403)
    body = problem(admin.put("/api/v1/orders-settings", json={"propose_order_on_win": "no"}), 422)
    assert fields(body) == {"propose_order_on_win"}
    problem(admin.put("/api/v1/orders-settings", json={"colour": "red"}), 422)
    stale = admin.put(
        "/api/v1/orders-settings",
        json={"propose_order_on_win": False},
        headers={"If-Match": '"99"'},
    )
    problem(stale, 409)

    def won_deal() -> str:
        bolt = product(admin, tax_rate="10")
        deal = ann.post(
            "/api/v1/opportunities",
            json={
                "title": f"Bolts {word()}",
                "currency": "EUR",
                "lines": [{"product_id": bolt["id"], "quantity": "3", "price": "2.00"}],
            },
        )
        assert deal.status_code == 201, deal.text
        assert ann.post(f"/api/v1/opportunities/{deal.json()['id']}/win").status_code == 200
        return deal.json()["id"]

    def orders_of(deal_id: str) -> list[dict]:
        listed = ann.get("/api/v1/orders", params={"filter[opportunity_id]": deal_id})
        assert listed.status_code == 200, listed.text
        return listed.json()["items"]

    deal_id = won_deal()
    deadline = time.monotonic() + 20
    while not orders_of(deal_id) and time.monotonic() < deadline:
        time.sleep(0.1)
    [order] = orders_of(deal_id)
    assert (order["status"], order["total"], order["owner_id"]) == (
        "draft",
        "6.60",
        world.rep_a1.id,
    )

    turned = admin.put(
        "/api/v1/orders-settings",
        json={"propose_order_on_win": False},
        headers={"If-Match": shown.headers["etag"]},
    )
    assert turned.status_code == 200, turned.text
    assert turned.json()["propose_order_on_win"] is False
    try:
        quiet = won_deal()
        # The deal of the previous step got its order within this time.
        time.sleep(3)
        assert orders_of(quiet) == []
    finally:
        back = admin.put("/api/v1/orders-settings", json={"propose_order_on_win": True})
        assert back.status_code == 200, back.text
