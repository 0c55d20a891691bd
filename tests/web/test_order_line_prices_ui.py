"""An order written in a real browser by a role that may not see products' price (issue 19):
the order form shows no price input for it (products' permissions in meta/entities), the
lines are saved without a price and the orders service takes the price list's — on a new
order and when the rep changes a line and adds one. The rep role's products' rights are
put back afterwards (the stack is shared)."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.web.conftest import Site
from tests.web.sales import created, snapshot
from tests.web.test_user_admin_ui import make_user, roles, sign_in_as


def test_a_rep_who_may_not_see_prices_orders_at_the_price_lists_prices(
    page: Page, site: Site
) -> None:
    word = uuid.uuid4().hex[:8]
    with site.api() as api:
        team = created(api.post("/api/v1/teams", json={"name": f"Prices {word}"}))
        rep = make_user(api, f"Petra Prices {word}", "sales_rep", team_id=team["id"])
        rep_role = roles(api)["sales_rep"]
        before = api.get(f"/api/v1/roles/{rep_role}/rights").json()["rights"]["products"]
        bolt, nut = (
            created(api.post("/api/v1/products",
                             json={"code": f"W-{word}-{n}", "name": f"{name} {word}",
                                   "tax_rate": "20"}))
            for n, name in ((1, "Bolt"), (2, "Nut"))
        )  # fmt: skip
        retail = created(
            api.post("/api/v1/price-lists", json={"name": f"Retail {word}", "currency": "EUR"})
        )
        for product, price in ((bolt, "10.00"), (nut, "2.50")):
            put = api.put(
                f"/api/v1/price-lists/{retail['id']}/prices/{product['id']}",
                json={"price": price},
            )
            assert put.status_code == 200, put.text
        hidden = api.put(
            f"/api/v1/roles/{rep_role}/rights",
            json={"products": {**before, "hidden": ["price"]}},
        )
        assert hidden.status_code == 200, hidden.text
    try:
        sign_in_as(page, site, rep["email"], rep["password"], "/orders/new")
        page.get_by_label("Currency", exact=True).select_option("EUR")
        add = page.get_by_role("button", name="Add a product")
        add.click()
        page.get_by_label("Product 1").select_option(bolt["id"])
        page.get_by_label("Quantity 1").fill("2")
        lines = page.locator("[data-list=order_line]")
        expect(lines.locator("[data-row='0'] [data-part=quantity]")).to_have_value("2")
        # no price input, no price column; the tax rate comes with the product
        expect(page.get_by_label("Price 1")).to_have_count(0)
        expect(lines.locator("th", has_text="Price")).to_have_count(0)
        expect(page.get_by_label("Tax, % 1")).to_have_value(re.compile(r"^20"))
        expect(page.locator("[data-note=price-list]")).to_be_visible()
        snapshot(page, "order-lines-price-list")
        page.get_by_role("button", name="Create", exact=True).click()
        page.wait_for_url(re.compile(r"/orders/[0-9a-f-]{36}$"))
        order_id = page.url.rsplit("/", 1)[1]
        # 2 × 10.00 + 20 % = 24.00
        expect(page.locator("[data-key-field=total]")).to_contain_text("€24.00")

        # the rep changes the bolt's quantity and adds a nut, then saves
        expect(page.get_by_label("Price 1")).to_have_count(0)
        page.get_by_label("Quantity 1").fill("3")
        page.get_by_role("button", name="Add a product").click()
        page.get_by_label("Product 2").select_option(nut["id"])
        page.get_by_label("Quantity 2").fill("4")
        expect(page.get_by_label("Price 2")).to_have_count(0)
        page.get_by_role("button", name="Save").click()
        expect(page.get_by_role("status").filter(has_text="Saved")).to_be_visible()
        # 3 × 10.00 + 4 × 2.50 = 40.00 + 20 % = 48.00
        expect(page.locator("[data-key-field=total]")).to_contain_text("€48.00")
        with site.api() as api:
            order = api.get(f"/api/v1/orders/{order_id}").json()
        assert [(ln["product_id"], ln["quantity"], ln["price"]) for ln in order["lines"]] == [
            (bolt["id"], "3.000", "10.00"),
            (nut["id"], "4.000", "2.50"),
        ]
        assert order["total"] == "48.00"
    finally:
        with site.api() as api:
            back = api.put(f"/api/v1/roles/{rep_role}/rights", json={"products": before})
            assert back.status_code == 200, back.text
