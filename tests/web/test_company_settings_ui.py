"""Administration → Orders: our company as invoices print it, set in the app (not only
in the environment), checked field by field, and on the next invoice PDF."""

from __future__ import annotations

import io

from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.web.conftest import Site, sign_in
from tests.web.sales import created, snapshot

COMPANY = ("name", "address", "tax_id", "email", "phone", "bank")


def test_an_administrator_sets_our_company_for_the_invoices(page: Page, site: Site) -> None:
    sign_in(page, site, "/admin/orders")
    form = page.get_by_role("form", name="Our company on invoices")
    try:
        form.get_by_label("Company name").fill("Osprey Trading Ltd")
        form.get_by_label("Address (one line per line)").fill("1 Harbour Road\nBristol BS1 4RN")
        form.get_by_label("Tax ID").fill("GB123456789")
        form.get_by_label("Email").fill("not an email")
        form.get_by_role("button", name="Save company details").click()
        expect(form.get_by_role("alert")).to_contain_text("is not an email address")
        expect(form.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
        form.get_by_label("Email").fill("billing@osprey.example")
        bank = form.get_by_label("Bank details (one line per line)")
        bank.fill("IBAN GB33 BUKB 2020 1555 5555 55")
        form.get_by_role("button", name="Save company details").click()
        expect(page.get_by_role("status")).to_have_text("Saved.")
        snapshot(page, "admin-orders-company")
        page.reload()
        expect(form.get_by_label("Company name")).to_have_value("Osprey Trading Ltd")
        expect(form.get_by_label("Address (one line per line)")).to_have_value(
            "1 Harbour Road\nBristol BS1 4RN"
        )

        # the next invoice's PDF carries it
        with site.api() as api:
            invoice = created(
                api.post(
                    "/api/v1/invoices", json={"currency": "GBP", "total": "1200", "tax_total": "0"}
                )
            )
            pdf = api.get(f"/api/v1/invoices/{invoice['id']}/pdf")
        assert pdf.status_code == 200, pdf.text
        text = " ".join(
            " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split()
        )
        for expected in ("Osprey Trading Ltd", "Bristol BS1 4RN", "Tax ID: GB123456789"):
            assert expected in text, (expected, text)
        assert "IBAN GB33 BUKB 2020 1555 5555 55" in text and "Total 1,200.00 GBP" in text
    finally:
        with site.api() as api:
            api.put("/api/v1/orders-settings", json={f"company_{n}": "" for n in COMPANY})
