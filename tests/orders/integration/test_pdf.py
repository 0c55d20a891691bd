"""The printable invoice: a real orders container renders it, a real sales container
names the customer, and pypdf reads the PDF back."""

from __future__ import annotations

import base64
import io
import time
from decimal import Decimal

import eventlet
import pytest
from nameko.rpc import rpc
from pypdf import PdfReader

from services.orders.pdf import Company, InvoiceDocument, PrintedLine, render_invoice_pdf
from services.platform.errors import NotFound, PermissionDenied
from services.platform.ids import new_id
from services.sales.service import SalesService
from tests.sales.integration.rights_people import holder

from .conftest import ADMIN, REP_A, REP_B, TEAM_A, call, make_product


@pytest.fixture
def sales(container_factory, service_config):
    container = container_factory(SalesService, service_config)
    container.start()
    return container


def pdf_text(answer: dict) -> str:
    content = base64.b64decode(answer["content"])
    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    # Words may be split across lines by the table's wrapping; compare on spaces.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def paid_in_part(orders, sales, monkeypatch) -> tuple[dict, dict, dict]:
    monkeypatch.setenv("OSPREY_COMPANY_NAME", "Osprey Demo GmbH")
    monkeypatch.setenv("OSPREY_COMPANY_ADDRESS", "Hauptstraße 1\\n10115 Berlin")
    monkeypatch.setenv("OSPREY_COMPANY_TAX_ID", "DE999999999")
    monkeypatch.setenv("OSPREY_COMPANY_BANK", "IBAN DE02 1001 0010 0006 8201 01")
    account = call(
        sales,
        "create_account",
        {
            "name": "ООО «Ромашка»",
            "addresses": [
                {"kind": "shipping", "city": "Тверь"},
                {"kind": "billing", "street": "ул. Ленина, 1", "city": "Москва"},
            ],
        },
        actor=REP_A,
    )
    bolt = make_product(orders, code="BOLT-8", name="Болт М8", unit="pcs")
    nut = make_product(orders, code="NUT-8", name="Hex nut")
    order = call(
        orders,
        "create_order",
        {
            "currency": "EUR",
            "account_id": account["id"],
            "lines": [
                {
                    "product_id": bolt["id"],
                    "quantity": "3",
                    "price": "10.00",
                    "discount": "10",
                    "tax_rate": "20",
                },
                {"product_id": nut["id"], "quantity": "1.5", "price": "3.33", "tax_rate": "7"},
            ],
        },
        actor=REP_A,
    )
    order = call(orders, "confirm_order", order["id"], actor=REP_A)
    invoice = call(orders, "create_invoice", {"order_id": order["id"]}, actor=REP_A)
    call(orders, "issue_invoice", invoice["id"], actor=REP_A)
    invoice = call(orders, "register_payment", invoice["id"], "20.00", actor=REP_A)
    return account, order, invoice


def test_the_pdf_carries_the_number_customer_lines_and_totals(orders, sales, monkeypatch):
    account, order, invoice = paid_in_part(orders, sales, monkeypatch)
    # 3 × 10.00 − 10 % = 27.00 net, 5.40 tax; 1.5 × 3.33 = 5.00 (4.995 half-up), 0.35 tax
    assert (order["subtotal"], order["discount_total"], order["tax_total"], order["total"]) == (
        "35.00",
        "3.00",
        "5.75",
        "37.75",
    )
    answer = call(orders, "invoice_pdf", invoice["id"], actor=REP_A)
    assert answer["filename"] == f"{invoice['number']}.pdf"
    assert answer["content_type"] == "application/pdf"
    text = pdf_text(answer)
    for expected in (
        invoice["number"],
        order["number"],
        "Osprey Demo GmbH",
        "Hauptstraße 1",
        "Tax ID: DE999999999",
        # the customer from sales, its billing address (not the shipping one)
        "ООО «Ромашка»",
        "ул. Ленина, 1",
        "Москва",
        # each line: code, name, quantity with unit, price, discount, rate, net, tax, total
        "BOLT-8 Болт М8 3 pcs 10.00 10 20 27.00 5.40 32.40",
        "NUT-8 Hex nut 1.5 3.33 0 7 5.00 0.35 5.35",
        # tax per rate
        "7 % 5.00 EUR 0.35 EUR",
        "20 % 27.00 EUR 5.40 EUR",
        "Subtotal 35.00 EUR",
        "Discount 3.00 EUR",
        "Tax 5.75 EUR",
        "Total 37.75 EUR",
        "Paid 20.00 EUR",
        "Amount due 17.75 EUR",
        "IBAN DE02 1001 0010 0006 8201 01",
    ):
        assert expected in text, expected
    assert "Тверь" not in text
    assert "DRAFT" not in text and "CANCELLED" not in text


def test_a_draft_and_a_cancelled_invoice_say_so(orders, sales):
    draft = call(
        orders, "create_invoice", {"currency": "USD", "total": "10.50", "tax_total": "0.50"}, REP_A
    )
    text = pdf_text(call(orders, "invoice_pdf", draft["id"], actor=REP_A))
    assert "DRAFT" in text
    # made by hand: no lines, its totals only; no account: said so
    assert "No customer" in text and "Product" not in text
    assert "Subtotal 10.00 USD" in text and "Amount due 10.50 USD" in text
    call(orders, "cancel_invoice", draft["id"], actor=REP_A, reason="Sent twice")
    text = pdf_text(call(orders, "invoice_pdf", draft["id"], actor=REP_A))
    assert "CANCELLED" in text and "DRAFT" not in text
    assert "Cancelled: Sent twice" in text and "Amount due 0.00 USD" in text


def test_only_those_who_may_read_the_invoice_get_its_pdf(orders, sales):
    draft = call(orders, "create_invoice", {"currency": "EUR", "total": "1.00"}, REP_A)
    with pytest.raises(NotFound):
        call(orders, "invoice_pdf", draft["id"], actor=REP_B)
    with pytest.raises(NotFound):
        call(orders, "invoice_pdf", "not-an-id", actor=REP_A)


def test_many_lines_run_onto_more_pages_with_the_watermark_on_each():
    lines = [
        PrintedLine(
            f"P-{n}",
            "Шуруп" if n % 2 else "Screw",
            None,
            Decimal("1"),
            Decimal("1.00"),
            Decimal("0"),
            Decimal("0"),
            Decimal("1.00"),
            Decimal("0"),
            Decimal("1.00"),
        )
        for n in range(1, 81)
    ]
    invoice = {
        "number": "INV-2026-000099",
        "currency": "EUR",
        "status": "draft",
        "due_date": "2026-12-31",
        "subtotal": "80.00",
        "discount_total": "0.00",
        "tax_total": "0.00",
        "total": "80.00",
        "paid_amount": "0.00",
    }
    content = render_invoice_pdf(
        InvoiceDocument(invoice=invoice, customer="Acme", lines=lines, company=Company())
    )
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 2
    texts = [page.extract_text() for page in reader.pages]
    assert all("DRAFT" in text for text in texts)
    joined = " ".join(" ".join(texts).split())
    assert "P-80 Screw" in joined and "P-79 Шуруп" in joined and "Total 80.00 EUR" in joined
    assert "Osprey CRM" in joined  # the default company name


def test_the_service_answers_other_calls_while_a_long_invoice_renders(orders, monkeypatch):
    import services.orders.pdf as pdf_module

    bolt = make_product(orders)
    lines = [{"product_id": bolt["id"], "quantity": "1", "price": "1.00"}] * 300
    order = call(orders, "create_order", {"currency": "EUR", "lines": lines}, actor=REP_A)
    order = call(orders, "confirm_order", order["id"], actor=REP_A)
    invoice = call(orders, "create_invoice", {"order_id": order["id"]}, actor=REP_A)

    # When the rendering itself starts and ends (in its thread): the request's reads
    # before it are ordinary green work, the rendering is what must not stop the hub.
    window: list[float] = []

    def timed_render(doc):
        window.append(time.monotonic())
        try:
            return render_invoice_pdf(doc)
        finally:
            window.append(time.monotonic())

    monkeypatch.setattr(pdf_module, "render_invoice_pdf", timed_render)
    started = time.monotonic()
    rendering = eventlet.spawn(call, orders, "invoice_pdf", invoice["id"], actor=REP_A)
    # The hub keeps ticking while the PDF renders: no gap near the render's length.
    ticks, answered = [started], None
    while not rendering.dead:
        eventlet.sleep(0.02)
        now = time.monotonic()
        ticks.append(now)
        if answered is None and window and now - window[0] > 0.1:
            assert call(orders, "get_order", order["id"], actor=REP_A)["id"] == order["id"]
            answered = time.monotonic() - now
            ticks.append(time.monotonic())
    assert "Total 300.00 EUR" in pdf_text(rendering.wait())
    begun, ended = window
    rendered = ended - begun
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False) if b > begun and a < ended]
    assert rendered > 0.3 and answered is not None, rendered
    assert max(gaps) < rendered / 3 and answered < rendered / 3, (max(gaps), answered, rendered)


def test_while_sales_is_down_the_pdf_names_the_account_by_its_id(orders, monkeypatch):
    # No sales container runs here: nobody serves get_account.
    monkeypatch.setattr("services.orders.pdf.CUSTOMER_TIMEOUT_SECONDS", 0.5)
    account_id = new_id()
    made = call(
        orders,
        "create_invoice",
        {"currency": "EUR", "total": "5.00", "account_id": account_id},
        REP_A,
    )
    started = time.monotonic()
    text = pdf_text(call(orders, "invoice_pdf", made["id"], actor=REP_A))
    assert time.monotonic() - started < 5
    assert f"Account {account_id}" in text and "Total 5.00 EUR" in text


class SlowSales:
    """A sales service that takes too long to name an account."""

    name = "sales"

    @rpc
    def get_account(self, account_id: str, actor: dict) -> dict:
        eventlet.sleep(3)
        return {"id": account_id, "name": "Too late Ltd"}


def test_a_slow_sales_does_not_hold_the_pdf_up(
    orders, container_factory, service_config, monkeypatch
):
    monkeypatch.setattr("services.orders.pdf.CUSTOMER_TIMEOUT_SECONDS", 0.5)
    container_factory(SlowSales, service_config).start()
    account_id = new_id()
    made = call(
        orders,
        "create_invoice",
        {"currency": "EUR", "total": "5.00", "account_id": account_id},
        REP_A,
    )
    started = time.monotonic()
    text = pdf_text(call(orders, "invoice_pdf", made["id"], actor=REP_A))
    assert time.monotonic() - started < 2.5
    assert f"Account {account_id}" in text and "Too late" not in text


def test_our_company_from_administration_and_a_pdf_in_russian(orders, sales, monkeypatch):
    """Company details set in Administration win over the environment, field by field;
    a Russian reader gets Russian labels, grouped amounts and dates as they read them."""
    account, order, invoice = paid_in_part(orders, sales, monkeypatch)
    call(
        orders,
        "update_orders_settings",
        {
            "company_name": "ООО «Оспри»",
            "company_address": "ул. Тверская, 7\n125009 Москва",
            "company_tax_id": "7701234567",
            "company_bank": "р/с 40702810900000000001\nБИК 044525225",
        },
        actor=ADMIN,
    )
    big = call(
        orders,
        "create_invoice",
        {"currency": "EUR", "account_id": account["id"], "total": "12950.00", "tax_total": "0"},
        REP_A,
    )
    ru = {**REP_A, "locale": "ru"}
    text = pdf_text(call(orders, "invoice_pdf", big["id"], actor=ru))
    for expected in (
        "ООО «Оспри»",  # the setting, not OSPREY_COMPANY_NAME
        "ул. Тверская, 7",
        "ИНН: 7701234567",
        "СЧЁТ",
        "ЧЕРНОВИК",
        "Состояние: черновик",
        "Всего 12 950,00 EUR",  # (a no-break space, read back as a space)
        "К оплате 12 950,00 EUR",
        "Реквизиты для оплаты",
        "БИК 044525225",
        f"Назначение платежа: {big['number']}",
    ):
        assert expected in text, (expected, text)
    assert "Osprey Demo GmbH" not in text and "Hauptstraße" not in text
    # the same invoice in English: grouped with commas, dates as "7 Dec 2026"
    text = pdf_text(call(orders, "invoice_pdf", big["id"], actor=REP_A))
    assert "Total 12,950.00 EUR" in text and "INVOICE" in text and "DRAFT" in text
    paid = pdf_text(call(orders, "invoice_pdf", invoice["id"], actor=ru))
    day = invoice["issued_at"][:10]
    assert f"Выставлен: {day[8:10]}.{day[5:7]}.{day[:4]}" in paid
    # an empty setting falls back to the environment again
    call(orders, "update_orders_settings", {"company_name": ""}, actor=ADMIN)
    text = pdf_text(call(orders, "invoice_pdf", big["id"], actor=REP_A))
    assert "Osprey Demo GmbH" in text and "ул. Тверская, 7" in text


def test_company_settings_are_checked(orders):
    from services.platform.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        call(
            orders,
            "update_orders_settings",
            {"company_email": "not an email", "company_tax_id": "x" * 65, "company_name": 5},
            actor=ADMIN,
        )
    assert {e["field"] for e in refused.value.errors} == {
        "company_email",
        "company_tax_id",
        "company_name",
    }


def test_the_pdf_prints_only_what_the_readers_column_rights_show(orders, sales, monkeypatch):
    account, order, invoice = paid_in_part(orders, sales, monkeypatch)
    reader = holder(
        "reader@osprey.test",
        TEAM_A,
        invoices={"ops": "r", "read": "team", "hidden": ["paid_amount"]},
        orders={"ops": "r", "read": "team", "hidden": ["number"]},
        products={"ops": "r", "read": "all", "hidden": ["code"]},
        accounts={"ops": "r", "read": "team", "hidden": ["addresses"]},
    )
    text = pdf_text(call(orders, "invoice_pdf", invoice["id"], actor=reader))
    # the line: no code; its name, quantity, price, discount, rate, net, tax and total
    assert "Болт М8 3 pcs 10.00 10 20 27.00 5.40 32.40" in text
    for gone in (
        "BOLT-8",  # a product's code
        f"Order: {order['number']}",
        "Paid",
        "Amount due",
        "20.00 EUR",  # the payment
        "ул. Ленина",  # the account's address
    ):
        assert gone not in text, gone
    assert "ООО «Ромашка»" in text and "Total 37.75 EUR" in text
    # an invoice is sent to the customer whole: a role that may not see the products'
    # price or tax rate (nor so the lines' amounts) is refused it, the columns named
    for hidden in (["price"], ["tax_rate"], ["code", "price", "tax_rate"]):
        priceless = holder(
            "priceless@osprey.test",
            TEAM_A,
            invoices={"ops": "r", "read": "team"},
            orders={"ops": "r", "read": "team"},
            products={"ops": "r", "read": "all", "hidden": hidden},
        )
        with pytest.raises(PermissionDenied) as refused:
            call(orders, "invoice_pdf", invoice["id"], actor=priceless)
        assert [e["field"] for e in refused.value.errors] == [
            f"products.{name}" for name in ("price", "tax_rate") if name in hidden
        ]
    # ... unless it prints no lines (orders hide them from the role): the totals only
    lineless = holder(
        "lineless@osprey.test",
        TEAM_A,
        invoices={"ops": "r", "read": "team"},
        orders={"ops": "r", "read": "team", "hidden": ["lines"]},
        products={"ops": "r", "read": "all", "hidden": ["price"]},
    )
    text = pdf_text(call(orders, "invoice_pdf", invoice["id"], actor=lineless))
    assert "Болт" not in text and "Total 37.75 EUR" in text
    # whoever sees it all prints it all
    full = pdf_text(call(orders, "invoice_pdf", invoice["id"], actor=REP_A))
    assert "BOLT-8 Болт М8 3 pcs 10.00 10 20" in full and "Amount due 17.75 EUR" in full
    assert f"Order: {order['number']}" in full
    # an invoice whose customer and order are hidden prints neither
    blind = holder(
        "blind@osprey.test",
        TEAM_A,
        invoices={"ops": "r", "read": "team", "hidden": ["account_id", "order_id", "notes"]},
    )
    text = pdf_text(call(orders, "invoice_pdf", invoice["id"], actor=blind))
    assert "Bill to" not in text and "ООО «Ромашка»" not in text and "No customer" not in text
    assert "Болт" not in text and f"Order: {order['number']}" not in text
    assert invoice["number"] in text and "Amount due 17.75 EUR" in text
