"""An invoice's page shows its lines (the order's, with the products) and its totals,
in the reader's locale; an invoice made by hand says it has totals only."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in
from tests.web.sales import created, new_account, snapshot, unique
from tests.web.test_user_admin_ui import make_user, sign_in_as


def test_the_invoice_page_shows_its_lines_and_totals(page: Page, site: Site) -> None:
    code = f"IL-{uuid.uuid4().hex[:6].upper()}"
    with site.api() as api:
        account = new_account(api, name=unique("Lines Ltd"))
        product = created(api.post("/api/v1/products", json={"code": code, "name": "Gearbox"}))
        order = created(
            api.post(
                "/api/v1/orders",
                json={
                    "currency": "EUR",
                    "account_id": account["id"],
                    "lines": [
                        {
                            "product_id": product["id"],
                            "quantity": "3",
                            "price": "4316.67",
                            "tax_rate": "20",
                        }
                    ],
                },
            )
        )
        assert api.post(f"/api/v1/orders/{order['id']}/confirm").status_code == 200
        invoice = created(api.post("/api/v1/invoices", json={"order_id": order["id"]}))
        by_hand = created(
            api.post("/api/v1/invoices", json={"currency": "EUR", "total": "99", "tax_total": "0"})
        )
        russian = make_user(api, f"Анна Счёт {uuid.uuid4().hex[:4]}", "admin", locale="ru")

    sign_in(page, site, f"/invoices/{invoice['id']}?tab=lines")
    lines = page.locator("[data-part=invoice-lines]")
    row = lines.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"{code} — Gearbox")
    expect(row).to_contain_text("€4,316.67")
    expect(row).to_contain_text("€12,950.01")
    expect(page.get_by_text(f"The lines of order {order['number']}")).to_be_visible()
    totals = page.locator("[data-part=invoice-totals]")
    expect(totals).to_contain_text("€15,540.01")
    snapshot(page, "invoice-lines")

    page.goto(f"{site.base_url}/invoices/{by_hand['id']}?tab=lines")
    expect(page.get_by_text("This invoice was made by hand")).to_be_visible()
    expect(page.locator("[data-part=invoice-totals]")).to_contain_text("€99.00")

    # a Russian reader: the same figures as Russians write them
    page.context.clear_cookies()
    sign_in_as(page, site, russian["email"], russian["password"], f"/invoices/{invoice['id']}")
    page.get_by_role("tab", name="Строки").click()
    russian_row = page.locator("[data-part=invoice-lines] tbody tr")
    expect(russian_row).to_contain_text("12\u00a0950,01\u00a0€")
    snapshot(page, "invoice-lines-ru")
