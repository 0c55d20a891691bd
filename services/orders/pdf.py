"""The printable invoice: one PDF per invoice, made on request (never stored).

``invoice_pdf`` loads the invoice with what it needs (the order's lines with the
products' codes and names, the payments) and renders it with fpdf2. The customer's
name and billing address come from the sales service by RPC (``get_account``): the
orders service never reads sales' tables and keeps no copy of accounts, so the
printed name is the account's current one. Anybody who may read the invoice sees its
customer on the PDF, even without rights on the account itself.

Our company block comes from the environment (``OSPREY_COMPANY_*``, README.md). Text
is set in DejaVu Sans (Debian's ``fonts-dejavu-core``, ``deploy/local/install-fonts.sh``),
embedded as a subset, so Cyrillic and other non-Latin names print; without the font
the PDF falls back to Helvetica and prints ``?`` for what Latin-1 lacks.
"""

from __future__ import annotations

import base64
import logging
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import eventlet
from eventlet import tpool
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from nameko.exceptions import UnknownService

from services.platform.access import Actor
from services.platform.errors import EXPECTED, NotFound
from services.platform.rpc import rpc

from . import access, domain, pdf_rights, settings, store
from .base import OrdersBase
from .models import Invoice
from .pdf_text import Words
from .schemas import dump_invoice, dump_payment

log = logging.getLogger(__name__)

FONT_DIRS = (
    "/usr/share/fonts/truetype/dejavu",
    "/usr/share/fonts/dejavu",
    "/usr/local/share/fonts",
)
FONT = "DejaVu"
WATERMARKS = {"draft": "DRAFT", "cancelled": "CANCELLED"}
#: what a cell prints for a value hidden from the reader
DASH = "—"
#: How long the PDF waits for sales to name the customer (well inside the gateway's
#: OSPREY_RPC_TIMEOUT); past it the account's id is printed instead.
CUSTOMER_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class Company:
    """Who sends the invoice (``OSPREY_COMPANY_*``)."""

    name: str = "Osprey CRM"
    address: tuple[str, ...] = ()
    tax_id: str | None = None
    email: str | None = None
    phone: str | None = None
    bank: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls, values: Mapping[str, str]) -> Company:
        """From the orders settings' ``company_*`` (settings.company_settings)."""

        def lines(name: str) -> tuple[str, ...]:
            text = values.get(name) or ""
            return tuple(line.strip() for line in text.splitlines() if line.strip())

        return cls(
            name=(values.get("company_name") or "").strip() or cls.name,
            address=lines("company_address"),
            tax_id=(values.get("company_tax_id") or "").strip() or None,
            email=(values.get("company_email") or "").strip() or None,
            phone=(values.get("company_phone") or "").strip() or None,
            bank=lines("company_bank"),
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Company:
        env = os.environ if env is None else env

        def lines(name: str) -> tuple[str, ...]:
            # One setting, several printed lines: separated by newlines or "\n".
            text = (env.get(name) or "").replace("\\n", "\n")
            return tuple(line.strip() for line in text.splitlines() if line.strip())

        return cls(
            name=(env.get("OSPREY_COMPANY_NAME") or "").strip() or cls.name,
            address=lines("OSPREY_COMPANY_ADDRESS"),
            tax_id=(env.get("OSPREY_COMPANY_TAX_ID") or "").strip() or None,
            email=(env.get("OSPREY_COMPANY_EMAIL") or "").strip() or None,
            phone=(env.get("OSPREY_COMPANY_PHONE") or "").strip() or None,
            bank=lines("OSPREY_COMPANY_BANK"),
        )


@dataclass(frozen=True)
class PrintedLine:
    """One printed line; a value hidden from the reader by their column rights is None
    (printed as a dash, or left out of the description)."""

    code: str | None
    name: str | None
    unit: str | None
    quantity: Decimal
    price: Decimal | None
    discount: Decimal
    tax_rate: Decimal | None
    net: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything printed on one invoice: ``invoice`` without the fields hidden from the
    reader (each printed only when present), ``customer`` None when the reader may not
    see the invoice's account."""

    invoice: Mapping[str, Any]  # dump_invoice: money as decimal strings
    customer: str | None
    customer_address: tuple[str, ...] = ()
    order_number: str | None = None
    lines: Sequence[PrintedLine] = ()
    payments: Sequence[Mapping[str, Any]] = ()  # dump_payment
    company: Company = field(default_factory=Company)
    #: the reader's language (the actor's ``locale``): labels, amounts and dates
    locale: str | None = None


def font_dir() -> Path | None:
    """The directory holding DejaVuSans.ttf (``OSPREY_PDF_FONT_DIR`` first), if any."""
    configured = os.environ.get("OSPREY_PDF_FONT_DIR")
    for directory in ((configured,) if configured else ()) + FONT_DIRS:
        path = Path(directory)
        if (path / "DejaVuSans.ttf").is_file() and (path / "DejaVuSans-Bold.ttf").is_file():
            return path
    return None


def tax_groups(lines: Sequence[PrintedLine]) -> list[tuple[Decimal, Decimal, Decimal]]:
    """``(rate, net, tax)`` per tax rate, lowest rate first (sums of the rounded lines)."""
    groups: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for line in lines:
        if line.tax_rate is None:
            continue
        net, tax = groups.get(line.tax_rate, (domain.ZERO, domain.ZERO))
        groups[line.tax_rate] = (net + line.net, tax + line.tax)
    return [(rate, net, tax) for rate, (net, tax) in sorted(groups.items())]


def number_text(value: Decimal) -> str:
    """A quantity or percent without needless zeros: ``2``, ``1.5``, ``20``."""
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


class _Pdf(FPDF):
    def __init__(self, watermark: str | None, unicode_fonts: Path | None) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.watermark = watermark
        self.unicode = unicode_fonts is not None
        if unicode_fonts is not None:
            self.add_font(FONT, "", str(unicode_fonts / "DejaVuSans.ttf"))
            self.add_font(FONT, "B", str(unicode_fonts / "DejaVuSans-Bold.ttf"))
            self.family = FONT
        else:
            self.family = "Helvetica"
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(auto=True, margin=18)

    def text_of(self, value: Any) -> str:
        text = "" if value is None else str(value)
        if self.unicode:
            return text
        return text.encode("latin-1", "replace").decode("latin-1")

    def header(self) -> None:
        if not self.watermark:
            return
        # Under everything else on the page: light, large, across the middle.
        self.set_font(self.family, "B", 88)
        self.set_text_color(225, 225, 225)
        with self.rotation(35, self.w / 2, self.h / 2):
            width = self.get_string_width(self.watermark)
            self.text(self.w / 2 - width / 2, self.h / 2 + 12, self.watermark)
        self.set_text_color(0, 0, 0)
        self.set_xy(self.l_margin, self.t_margin)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.set_text_color(120, 120, 120)
        self.cell(0, 5, f"{self.page_no()} / {{nb}}", align="C")
        self.set_text_color(0, 0, 0)

    def line_text(self, text: Any, size: float = 9, style: str = "", height: float = 4.5) -> None:
        self.set_font(self.family, style, size)
        self.multi_cell(0, height, self.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def render_invoice_pdf(doc: InvoiceDocument) -> bytes:
    """The invoice as PDF bytes (A4, one or more pages)."""
    invoice = doc.invoice
    currency = invoice.get("currency") or ""
    status = invoice.get("status")
    number = invoice.get("number") or ""
    words = Words(doc.locale)
    fonts = font_dir()
    if fonts is None:
        log.warning("No DejaVu Sans font found: the invoice PDF prints Latin-1 only")
    watermark = words(f"watermark.{status}") if status in WATERMARKS else None
    pdf = _Pdf(watermark, fonts)
    pdf.set_title(pdf.text_of(words("title", number=number)))
    pdf.set_author(pdf.text_of(doc.company.name))
    pdf.set_creator("Osprey")
    pdf.alias_nb_pages()
    pdf.add_page()

    def money(value: Any) -> str:
        return words.money(value, currency)

    # --- our company (left) and the invoice's number (right) --------------------------
    top = pdf.get_y()
    pdf.set_font(pdf.family, "B", 13)
    pdf.multi_cell(100, 6, pdf.text_of(doc.company.name), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(pdf.family, "", 9)
    company_lines = list(doc.company.address)
    if doc.company.tax_id:
        company_lines.append(words("tax_id", tax_id=doc.company.tax_id))
    contact = " · ".join(v for v in (doc.company.email, doc.company.phone) if v)
    if contact:
        company_lines.append(contact)
    for text in company_lines:
        pdf.multi_cell(100, 4.5, pdf.text_of(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    left_bottom = pdf.get_y()

    pdf.set_xy(120, top)
    pdf.set_font(pdf.family, "B", 18)
    pdf.cell(75, 8, pdf.text_of(words("invoice")), align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(pdf.family, "B", 11)
    pdf.set_x(120)
    pdf.cell(75, 6, pdf.text_of(number), align="R", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font(pdf.family, "", 9)
    meta = []
    if status:
        meta.append((words("status"), words.status(status)))
    if "issued_at" in invoice:
        meta.append((words("issued"), words.day(invoice["issued_at"]) or words("not_yet")))
    if "due_date" in invoice:
        meta.append((words("due"), words.day(invoice["due_date"])))
    if doc.order_number:
        meta.append((words("order"), doc.order_number))
    if currency:
        meta.append((words("currency"), currency))
    for label, value in meta:
        pdf.set_x(120)
        pdf.cell(
            75,
            4.5,
            pdf.text_of(f"{label}: {value}"),
            align="R",
            new_x=XPos.LEFT,
            new_y=YPos.NEXT,
        )
    pdf.set_xy(pdf.l_margin, max(left_bottom, pdf.get_y()) + 6)

    # --- the customer -----------------------------------------------------------------
    if doc.customer is not None:
        pdf.line_text(words("bill_to"), size=8, style="B")
        pdf.line_text(doc.customer, size=11, style="B", height=5.5)
        for text in doc.customer_address:
            pdf.line_text(text)
        pdf.ln(5)

    # --- the lines --------------------------------------------------------------------
    if doc.lines:
        pdf.set_font(pdf.family, "", 8)
        headings = tuple(pdf.text_of(h) for h in words("columns").split("|"))
        aligns = ("R", "L", "R", "R", "R", "R", "R", "R", "R")
        with pdf.table(
            col_widths=(7, 50, 16, 22, 15, 12, 20, 18, 20),
            text_align=aligns,
            line_height=4.5,
            first_row_as_headings=True,
            headings_style=_headings_style(pdf),
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            table.row(headings)
            for index, line in enumerate(doc.lines, start=1):
                quantity = words.number(line.quantity)
                if line.unit:
                    quantity = f"{quantity} {line.unit}"
                table.row(
                    tuple(
                        pdf.text_of(cell)
                        for cell in (
                            index,
                            " ".join(p for p in (line.code, line.name) if p) or DASH,
                            quantity,
                            DASH if line.price is None else words.plain_money(line.price, currency),
                            words.number(line.discount),
                            DASH if line.tax_rate is None else words.number(line.tax_rate),
                            words.plain_money(line.net, currency),
                            words.plain_money(line.tax, currency),
                            words.plain_money(line.total, currency),
                        )
                    )
                )
        pdf.ln(4)

    # --- tax per rate (not when a rate is hidden from the reader) -----------------------
    if doc.lines and all(line.tax_rate is not None for line in doc.lines):
        pdf.set_font(pdf.family, "", 8)
        with pdf.table(
            col_widths=(20, 30, 30),
            width=80,
            align="LEFT",
            text_align=("R", "R", "R"),
            line_height=4.5,
            headings_style=_headings_style(pdf),
            borders_layout="HORIZONTAL_LINES",
        ) as table:
            table.row(tuple(pdf.text_of(words(k)) for k in ("tax_rate", "net", "tax")))
            for rate, net, tax in tax_groups(doc.lines):
                table.row((f"{words.number(rate)} %", money(net), money(tax)))
        pdf.ln(4)

    # --- totals (each one the reader may see) -------------------------------------------
    rows = [
        (words(label), money(invoice[name]), style)
        for label, name, style in (
            ("subtotal", "subtotal", ""),
            ("discount", "discount_total", ""),
            ("tax", "tax_total", ""),
            ("total", "total", "B"),
            ("paid", "paid_amount", ""),
        )
        if invoice.get(name) is not None
        and not (name == "discount_total" and Decimal(invoice[name]) == 0)
    ]
    if invoice.get("total") is not None and invoice.get("paid_amount") is not None:
        total, paid = Decimal(invoice["total"]), Decimal(invoice["paid_amount"])
        due = domain.outstanding(total, paid) if status != "cancelled" else domain.ZERO
        rows.append((words("amount_due"), money(due), "B"))
    for label, value, style in rows:
        pdf.set_font(pdf.family, style, 10 if style else 9)
        pdf.set_x(110)
        pdf.cell(45, 5.5, pdf.text_of(label), new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.cell(40, 5.5, pdf.text_of(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(4)

    # --- payments, notes, how to pay ------------------------------------------------------
    if doc.payments:
        pdf.line_text(words("payments"), size=9, style="B")
        for payment in doc.payments:
            pdf.line_text(f"{words.day(payment.get('paid_at'))}   {money(payment['amount'])}")
        pdf.ln(3)
    if status == "cancelled" and invoice.get("cancel_reason"):
        pdf.line_text(words("cancelled", reason=invoice["cancel_reason"]), style="B")
        pdf.ln(2)
    if invoice.get("notes"):
        pdf.line_text(words("notes"), size=9, style="B")
        pdf.line_text(invoice["notes"])
        pdf.ln(3)
    if doc.company.bank:
        pdf.line_text(words("payment_details"), size=9, style="B")
        for text in doc.company.bank:
            pdf.line_text(text)
        pdf.line_text(words("reference", number=number))
    return bytes(pdf.output())


def _headings_style(pdf: _Pdf) -> FontFace:
    return FontFace(family=pdf.family, emphasis="BOLD", fill_color=(238, 238, 238))


def bill_to(account: Mapping[str, Any] | None, account_id: str | None) -> tuple[str, tuple]:
    """The customer's printed name and address lines (the billing address if any)."""
    if not account:
        return (f"Account {account_id}" if account_id else "No customer", ())
    addresses = [a for a in account.get("addresses") or [] if isinstance(a, Mapping)]
    chosen = next((a for a in addresses if a.get("kind") == "billing"), None) or (
        addresses[0] if addresses else None
    )
    lines: list[str] = []
    if chosen:
        street = chosen.get("street")
        if street:
            lines.append(street)
        place = " ".join(p for p in (chosen.get("postcode"), chosen.get("city")) if p)
        region = ", ".join(p for p in (place, chosen.get("region")) if p)
        if region:
            lines.append(region)
        if chosen.get("country"):
            lines.append(chosen["country"])
    return (account.get("name") or f"Account {account_id}", tuple(lines))


class InvoicePdfRpc(OrdersBase):
    """The invoice as a printable PDF."""

    def _customer(self, account_id: str | None) -> Mapping[str, Any] | None:
        """The account from sales; None when it is gone, or sales is not running or does
        not answer in time (the PDF then names the account by its id rather than failing)."""
        if not account_id:
            return None
        try:
            with eventlet.Timeout(CUSTOMER_TIMEOUT_SECONDS):
                return self.sales.get_account(account_id, actor=Actor.system("orders").to_dict())
        except NotFound:
            return None  # deleted meanwhile
        except (eventlet.Timeout, UnknownService):
            log.warning("sales did not name account %s for an invoice PDF", account_id)
            return None

    @rpc(expected_exceptions=EXPECTED)
    def invoice_pdf(self, invoice_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The invoice as PDF: ``{"filename", "content_type", "content"}`` (base64).

        The lines are the order's (an invoice made by hand prints its totals only),
        with the payments so far, the paid and the due amounts; a draft or cancelled
        invoice carries a watermark saying so. What the caller's column rights hide
        is not printed (:mod:`.pdf_rights`). Raises ``NotFound`` (also when the
        caller may not read the invoice), ``PermissionDenied`` when the invoice has
        lines and the caller's role hides products' price or tax rate (it is printed
        whole or not at all).
        """
        caller = Actor.from_dict(actor)
        invoice = access.INVOICES.load(self.db, Invoice, invoice_id, caller)
        data = pdf_rights.printed_invoice(caller, dump_invoice(invoice))
        order_number = None
        lines: list[PrintedLine] = []
        if invoice.order_id and pdf_rights.shows_order(caller, data):
            order_number = pdf_rights.order_number(
                caller, store.order_number(self.db, invoice.order_id)
            )
            rows = store.lines_with_products(self.db, invoice.order_id)
            if rows and "lines" not in caller.hidden("orders"):
                pdf_rights.require_whole(caller)
            lines = [PrintedLine(**line) for line in pdf_rights.printed_lines(caller, rows)]
        payments = pdf_rights.printed_payments(
            caller, [dump_payment(p, invoice.currency) for p in store.payments(self.db, invoice.id)]
        )
        # The transaction ends before the call to sales, so no row stays locked meanwhile.
        self.db.commit()
        customer: str | None = None
        address: tuple[str, ...] = ()
        if pdf_rights.shows_customer(data):
            account = pdf_rights.printed_account(caller, self._customer(invoice.account_id))
            customer, address = bill_to(account, invoice.account_id)
        # Rendering is CPU work (0.2–1.5 s): in a real thread, so the service's other
        # green threads (RPCs, handlers, the outbox relay) keep running meanwhile.
        content = tpool.execute(
            render_invoice_pdf,
            InvoiceDocument(
                invoice=data,
                customer=customer,
                customer_address=address,
                order_number=order_number,
                lines=lines,
                payments=payments,
                company=Company.from_settings(settings.company_settings(self.db)),
                locale=actor.get("locale"),
            ),
        )
        return {
            "filename": f"{data.get('number') or invoice.id}.pdf",
            "content_type": "application/pdf",
            "content": base64.b64encode(content).decode("ascii"),
        }
