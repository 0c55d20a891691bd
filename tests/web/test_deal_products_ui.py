"""A deal's products: chosen by code and name (not typed as an id), priced from the
default price list, and the deal's amount follows its lines."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in
from tests.web.sales import created, new_deal, snapshot


def test_a_product_is_chosen_by_name_and_priced_from_the_list(page: Page, site: Site) -> None:
    code = f"DP-{uuid.uuid4().hex[:6].upper()}"
    with site.api() as api:
        product = created(api.post("/api/v1/products", json={"code": code, "name": "Router X"}))
        lists = api.get("/api/v1/price-lists", params={"limit": 100}).json()["items"]
        default = next((p for p in lists if p.get("is_default")), None) or created(
            api.post(
                "/api/v1/price-lists",
                json={"name": f"Retail {code}", "currency": "EUR", "is_default": True},
            )
        )
        priced = api.put(
            f"/api/v1/price-lists/{default['id']}/prices/{product['id']}",
            json={"price": "250.00"},
        )
        assert priced.status_code in (200, 201), priced.text
        deal = new_deal(api, currency=default["currency"], amount=None)

    sign_in(page, site, f"/opportunities/{deal['id']}")
    lines = page.locator("[data-list=line]")
    lines.get_by_role("button", name="Add product").click()
    picker = lines.locator("select").first
    picker.select_option(label=f"{code} — Router X")
    row = lines.locator("[data-row='0']")
    expect(row.get_by_placeholder("Price")).to_have_value("250.00")
    row.get_by_placeholder("Quantity").fill("2")
    snapshot(page, "deal-products")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_role("button", name="Save", exact=True)).to_be_disabled()
    with site.api() as api:
        saved = api.get(f"/api/v1/opportunities/{deal['id']}").json()
    assert [(line["product_id"], line["price"]) for line in saved["lines"]] == [
        (product["id"], "250.00")
    ]
    assert saved["amount"] == "500.00"
