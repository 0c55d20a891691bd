"""Orders and invoices found by their customer's name in their list's search box (issue
21 point 3), and an invoice's totals shown computed and read-only in its form (point 9):
a draft of an order's invoice cannot be typed over; one made by hand still can."""

from __future__ import annotations

import random
import string
import uuid

from playwright.sync_api import Page, expect

from tests.web.axe import described, violations
from tests.web.conftest import Site, sign_in
from tests.web.sales import created, new_account
from tests.web.test_user_admin_ui import make_user, sign_in_as


def test_found_by_customer_name_and_totals_read_only(page: Page, site: Site) -> None:
    word = "".join(random.choices(string.ascii_lowercase, k=9)).title()
    with site.api() as api:
        account = new_account(api, name=f"{word} Mills")
        product = created(
            api.post(
                "/api/v1/products",
                json={"code": f"CS-{uuid.uuid4().hex[:6].upper()}", "name": "Loom"},
            )
        )
        line = {"product_id": product["id"], "quantity": "2", "price": "500", "tax_rate": "20"}
        order = created(
            api.post(
                "/api/v1/orders",
                json={"currency": "EUR", "account_id": account["id"], "lines": [line]},
            )
        )
        assert api.post(f"/api/v1/orders/{order['id']}/confirm").status_code == 200
        other = created(api.post("/api/v1/orders", json={"currency": "EUR", "lines": [line]}))
        invoice = created(api.post("/api/v1/invoices", json={"order_id": order["id"]}))
        by_hand = created(
            api.post("/api/v1/invoices", json={"currency": "EUR", "total": "99", "tax_total": "0"})
        )
        russian = make_user(api, f"Ида Поиск {word}", "admin", locale="ru")

    # the orders list: the customer's name, typed in part and in another case
    sign_in(page, site, "/orders")
    page.get_by_role("searchbox", name="Search").fill(word.lower())
    rows = page.locator(".grid-body .grid-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(order["number"])
    expect(page.get_by_text(other["number"])).to_have_count(0)

    page.goto(f"{site.base_url}/invoices?q={word}")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(invoice["number"])

    # the order's invoice: its totals from the order's lines, not to be typed over
    page.goto(f"{site.base_url}/invoices/{invoice['id']}")
    total = page.locator("[data-field=total][data-computed=true]")
    expect(total).to_contain_text("€1,200.00")
    expect(total).to_contain_text("From the order's lines")
    expect(page.locator("[data-field=tax_total][data-computed=true]")).to_contain_text("€200.00")
    expect(page.get_by_role("textbox", name="Total")).to_have_count(0)
    found = violations(page)
    assert not found, described(found)
    # a draft made by hand has no lines: its total is typed
    page.goto(f"{site.base_url}/invoices/{by_hand['id']}")
    expect(page.get_by_role("textbox", name="Total")).to_have_value("99.00")
    expect(page.locator("[data-computed=true]")).to_have_count(0)

    # Russian: the same search and form
    page.context.clear_cookies()
    sign_in_as(page, site, russian["email"], russian["password"], f"/orders?q={word}")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(order["number"])
    page.goto(f"{site.base_url}/invoices/{invoice['id']}")
    expect(page.locator("[data-field=total][data-computed=true]")).to_contain_text(
        "По строкам заказа"
    )
