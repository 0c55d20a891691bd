"""A deal's product lines take a discount, and the deal's amount follows its lines unless
the user sets it by hand — the form says which, and a button makes it follow them again
(issue 21 point 2); English and Russian."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.web.axe import described, violations
from tests.web.conftest import Site, sign_in
from tests.web.sales import created, new_deal, snapshot
from tests.web.test_user_admin_ui import make_user, sign_in_as


def test_a_discounted_line_and_an_amount_set_by_hand(page: Page, site: Site) -> None:
    code = f"DL-{uuid.uuid4().hex[:6].upper()}"
    with site.api() as api:
        product = created(api.post("/api/v1/products", json={"code": code, "name": "Loom Y"}))
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
        russian = make_user(api, f"Дина Скидка {code}", "admin", locale="ru")

    def saved() -> dict:
        with site.api() as api:
            return api.get(f"/api/v1/opportunities/{deal['id']}").json()

    sign_in(page, site, f"/opportunities/{deal['id']}")
    lines = page.locator("[data-list=line]")
    lines.get_by_role("button", name="Add product").click()
    lines.locator("select").first.select_option(label=f"{code} — Loom Y")
    row = lines.locator("[data-row='0']")
    expect(row.get_by_placeholder("Price")).to_have_value("250.00")
    row.get_by_placeholder("Quantity").fill("2")
    row.get_by_placeholder("Discount, %").fill("10")
    note = page.locator("[data-part=amount-source]")
    expect(note).to_have_attribute("data-source", "lines")
    expect(note).to_have_text(re.compile(r"^Follows the products: .*450\.00"))
    save = page.get_by_role("button", name="Save", exact=True)
    done = page.locator(".record-head").get_by_role("status").filter(has_text="Saved")

    def store() -> None:
        save.click()
        expect(done).to_be_visible(timeout=20_000)  # the answer is in, the form settled

    store()
    after = saved()
    assert (after["amount"], after["amount_from_lines"]) == ("450.00", True)
    assert after["lines"][0]["discount"] == "10.00"

    # set by hand: said so, and kept when the lines change
    amount = page.get_by_label("Amount", exact=True)
    amount.fill("400")
    expect(note).to_have_attribute("data-source", "hand")
    expect(note).to_contain_text("Set by hand")
    store()
    row.get_by_placeholder("Quantity").fill("3")
    expect(note).to_have_text(re.compile(r"Set by hand \(the products make .*675\.00\)"))
    found = violations(page)
    assert not found, described(found)
    snapshot(page, "deal-amount-by-hand")
    store()
    after = saved()
    assert (after["amount"], after["amount_from_lines"]) == ("400.00", False)

    # follow the products again
    note.get_by_role("button", name="Follow the products").click()
    expect(note).to_have_attribute("data-source", "lines")
    store()
    expect(amount).to_have_value(re.compile(r"675"))
    after = saved()
    assert (after["amount"], after["amount_from_lines"]) == ("675.00", True)

    # in Russian
    page.context.clear_cookies()
    sign_in_as(page, site, russian["email"], russian["password"], f"/opportunities/{deal['id']}")
    expect(page.locator("[data-part=amount-source]")).to_have_text(
        re.compile(r"^По продуктам: .*675,00")
    )
    expect(
        page.locator("[data-list=line] [data-row='0']").get_by_placeholder("Скидка, %")
    ).to_have_value("10.00")
