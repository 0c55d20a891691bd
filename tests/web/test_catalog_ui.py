"""Price lists, the invoice PDF and the orders settings in a real browser: a price list
made, priced through the product picker, edited, made default and deleted; an invoice's
PDF opened and saved from its page; proposals turned off and on by an administrator."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.web.conftest import Site, sign_in
from tests.web.sales import created, new_account, unique


def code() -> str:
    return f"PL-{uuid.uuid4().hex[:8].upper()}"


def test_a_price_list_from_creation_to_deletion(page: Page, site: Site) -> None:
    nut_code, bolt_code = code(), code()
    with site.api() as api:
        nut = created(api.post("/api/v1/products", json={"code": nut_code, "name": "Гайка М6"}))
        created(api.post("/api/v1/products", json={"code": bolt_code, "name": "Bolt M6"}))
    name = unique("Roubles")

    sign_in(page, site, "/price-lists")
    expect(page.get_by_role("heading", name="Price lists", level=1)).to_be_visible()
    form = page.locator(".new-price-list")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Currency").fill("RU")
    form.get_by_role("button", name="Create price list").click()
    expect(page.get_by_role("alert")).to_have_text(
        "The currency is a three-letter code, such as EUR."
    )
    form.get_by_label("Currency").fill("rub")
    form.get_by_role("button", name="Create price list").click()
    row = page.locator(f"tr[data-price-list='{name}']")
    expect(row).to_contain_text("RUB")
    expect(form.get_by_label("Name")).to_have_value("")
    # A second list of the same name is the server's 409, said in words.
    form.get_by_label("Name").fill(name)
    form.get_by_label("Currency").fill("RUB")
    form.get_by_role("button", name="Create price list").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator(f"tr[data-price-list='{name}']")).to_have_count(1)

    row.get_by_role("link", name=name).click()
    page.wait_for_url(re.compile(r"/price-lists/[0-9a-f-]{36}$"))
    list_id = page.url.rsplit("/", 1)[1]
    expect(page.get_by_text("No prices in this list yet")).to_be_visible()

    # The picker finds the product by a part of its name; the price is checked as typed.
    adding = page.locator(".add-price")
    picker = adding.get_by_role("combobox", name="Product")
    picker.fill("гайк")
    option = adding.get_by_role("option", name=re.compile(nut_code))
    expect(option).to_be_visible()
    expect(adding.get_by_role("option", name=re.compile(bolt_code))).to_have_count(0)
    option.click()
    expect(picker).to_have_value(f"{nut_code} — Гайка М6")
    price = adding.get_by_label("Price")
    price.fill("1.005")
    adding.get_by_role("button", name="Add to the list").click()
    expect(adding.get_by_role("alert")).to_have_text("At most 2 decimal places in this currency.")
    price.fill("12,50")
    adding.get_by_role("button", name="Add to the list").click()
    line = page.locator(f"tr[data-product='{nut_code}']")
    expect(line.locator("[data-part=price]")).to_contain_text("12.50")
    expect(page.get_by_role("status")).to_have_text("Saved.")

    # Found by the code too; a product already in the list is not offered again.
    picker.fill(nut_code.lower())
    expect(adding.locator(".picker-empty")).to_have_text("No product on sale matches")
    expect(adding.get_by_role("option")).to_have_count(0)

    # The price changed in place; what is not a price never leaves the page.
    new_price = line.get_by_label(f"New price of {nut_code} — Гайка М6")
    new_price.fill("abc")
    line.get_by_role("button", name="Set price").click()
    expect(line.locator(".field-error")).to_have_text("Enter a price as a number, such as 12.50.")
    new_price.fill("13")
    line.get_by_role("button", name="Set price").click()
    expect(line.locator("[data-part=price]")).to_contain_text("13.00")
    with site.api() as api:
        prices = api.get(f"/api/v1/price-lists/{list_id}/prices").json()["items"]
    assert [(p["product_id"], p["price"]) for p in prices] == [(nut["id"], "13.00")]

    # Renamed, made the default (the product now shows its price), the product removed.
    page.get_by_role("button", name="Rename").click()
    renamed = f"{name} (retail)"
    page.get_by_label("Name").fill(renamed)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=renamed, level=1)).to_be_visible()
    page.get_by_role("button", name="Make default").click()
    expect(page.locator(".record-title .badge", has_text="Default")).to_be_visible()
    with site.api() as api:
        shown = api.get(f"/api/v1/products/{nut['id']}").json()
    assert (shown["price"], shown["currency"]) == ("13.00", "RUB")
    line.get_by_role("button", name=f"Remove {nut_code} — Гайка М6 from the list").click()
    expect(line).to_have_count(0)
    expect(page.get_by_role("status")).to_have_text("Removed from the list.")

    # Deleted after saying yes; back on the list of lists.
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url(re.compile(r"/price-lists$"))
    expect(page.locator(f"tr[data-price-list='{renamed}']")).to_have_count(0)
    with site.api() as api:
        assert api.get(f"/api/v1/price-lists/{list_id}").status_code == 404


def test_the_invoice_page_opens_and_saves_its_pdf(page: Page, site: Site) -> None:
    with site.api() as api:
        account = new_account(api, name=unique("Счёт и Ко"))
        product = created(api.post("/api/v1/products", json={"code": code(), "name": "Widget"}))
        order = created(
            api.post(
                "/api/v1/orders",
                json={
                    "currency": "EUR",
                    "account_id": account["id"],
                    "lines": [{"product_id": product["id"], "quantity": "2", "price": "5.00"}],
                },
            )
        )
        assert api.post(f"/api/v1/orders/{order['id']}/confirm").status_code == 200
        invoice = created(api.post("/api/v1/invoices", json={"order_id": order["id"]}))

    sign_in(page, site, f"/invoices/{invoice['id']}")
    link = page.get_by_role("link", name="PDF", exact=True)
    expect(link).to_have_attribute("href", f"/api/v1/invoices/{invoice['id']}/pdf")
    # Opened in a new tab, with the session cookie: the PDF itself.
    with page.context.expect_page() as opened:
        link.click()
    tab = opened.value
    tab.wait_for_load_state()
    assert tab.url.endswith(f"/api/v1/invoices/{invoice['id']}/pdf")
    tab.close()
    answer = page.request.get(f"{site.base_url}/api/v1/invoices/{invoice['id']}/pdf")
    assert answer.status == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.body().startswith(b"%PDF-")
    with page.expect_download() as saving:
        page.get_by_role("link", name="Download PDF").click()
    assert saving.value.suggested_filename == f"{invoice['number']}.pdf"
    assert Path(saving.value.path()).read_bytes().startswith(b"%PDF-")


def test_an_administrator_turns_order_proposals_off_and_on(page: Page, site: Site) -> None:
    sign_in(page, site, "/admin/orders")
    toggle = page.get_by_role("checkbox", name="Propose an order when a deal is won")
    with site.api() as api:
        before = api.get("/api/v1/orders-settings").json()["propose_order_on_win"]
    try:
        expect(toggle).to_be_checked(checked=before)
        toggle.click()
        expect(page.get_by_role("status")).to_have_text("Saved.")
        expect(toggle).to_be_checked(checked=not before)
        expect(page.get_by_text(re.compile(r"^Last changed "))).to_be_visible()
        with site.api() as api:
            assert api.get("/api/v1/orders-settings").json()["propose_order_on_win"] is not before
        toggle.click()
        expect(toggle).to_be_checked(checked=before)
    finally:
        with site.api() as api:
            api.put("/api/v1/orders-settings", json={"propose_order_on_win": True})
