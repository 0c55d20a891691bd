"""The invoice PDF's words and figures in the reader's language (English or Russian).

Amounts are grouped as the language writes them (``12,950.00 EUR``; ``12 950,00 EUR``
with a no-break space), dates as its readers read them (``7 Dec 2026``;
``07.12.2026``), and every label and status in that language. The language is the
caller's (the actor's ``locale``); anything else prints in English.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from . import domain

NBSP = "\u00a0"

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "invoice": "INVOICE",
        "title": "Invoice {number}",
        "status": "Status",
        "issued": "Issued",
        "not_yet": "not yet",
        "due": "Due",
        "order": "Order",
        "currency": "Currency",
        "bill_to": "Bill to",
        "columns": "#|Product|Qty|Price|Disc %|Tax %|Net|Tax|Total",
        "tax_rate": "Tax rate",
        "net": "Net",
        "tax": "Tax",
        "subtotal": "Subtotal",
        "discount": "Discount",
        "total": "Total",
        "paid": "Paid",
        "amount_due": "Amount due",
        "payments": "Payments",
        "cancelled": "Cancelled: {reason}",
        "notes": "Notes",
        "payment_details": "Payment details",
        "reference": "Reference: {number}",
        "tax_id": "Tax ID: {tax_id}",
        "account": "Account {id}",
        "no_customer": "No customer",
        "status.draft": "draft",
        "status.issued": "issued",
        "status.partially_paid": "partially paid",
        "status.paid": "paid",
        "status.overdue": "overdue",
        "status.cancelled": "cancelled",
        "watermark.draft": "DRAFT",
        "watermark.cancelled": "CANCELLED",
    },
    "ru": {
        "invoice": "СЧЁТ",
        "title": "Счёт {number}",
        "status": "Состояние",
        "issued": "Выставлен",
        "not_yet": "ещё нет",
        "due": "Оплатить до",
        "order": "Заказ",
        "currency": "Валюта",
        "bill_to": "Плательщик",
        "columns": "№|Товар|Кол-во|Цена|Скидка %|НДС %|Без налога|Налог|Сумма",
        "tax_rate": "Ставка",
        "net": "Без налога",
        "tax": "Налог",
        "subtotal": "Итого без скидки",
        "discount": "Скидка",
        "total": "Всего",
        "paid": "Оплачено",
        "amount_due": "К оплате",
        "payments": "Платежи",
        "cancelled": "Отменён: {reason}",
        "notes": "Примечания",
        "payment_details": "Реквизиты для оплаты",
        "reference": "Назначение платежа: {number}",
        "tax_id": "ИНН: {tax_id}",
        "account": "Контрагент {id}",
        "no_customer": "Без контрагента",
        "status.draft": "черновик",
        "status.issued": "выставлен",
        "status.partially_paid": "оплачен частично",
        "status.paid": "оплачен",
        "status.overdue": "просрочен",
        "status.cancelled": "отменён",
        "watermark.draft": "ЧЕРНОВИК",
        "watermark.cancelled": "ОТМЕНЁН",
    },
}

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def language(locale: Any) -> str:
    """``en`` or ``ru`` from a locale such as ``ru`` or ``ru-RU``; English otherwise."""
    code = str(locale or "").lower().split("-")[0].split("_")[0]
    return code if code in LABELS else "en"


class Words:
    """The labels and formats of one language."""

    def __init__(self, locale: Any = None) -> None:
        self.lang = language(locale)
        self._labels = LABELS[self.lang]

    def __call__(self, key: str, **params: Any) -> str:
        return self._labels[key].format(**params)

    def status(self, status: str) -> str:
        return self._labels.get(f"status.{status}", status.replace("_", " "))

    def number(self, amount: Decimal, places: int | None = None) -> str:
        """``12,950.00`` / ``12 950,00``; ``places`` None keeps the amount's own."""
        text = f"{amount:,.{places}f}" if places is not None else f"{amount.normalize():,f}"
        if self.lang == "ru":
            text = text.replace(",", NBSP).replace(".", ",")
        return text

    def money(self, amount: Any, currency: str) -> str:
        """An amount with its currency code, grouped and with the currency's decimals."""
        value = Decimal(amount)
        places = 0 if domain.minor_unit(currency) == 1 else 2
        return f"{self.number(value, places)} {currency}"

    def plain_money(self, amount: Any, currency: str) -> str:
        """An amount in a table whose heading says the currency."""
        places = 0 if domain.minor_unit(currency) == 1 else 2
        return self.number(Decimal(amount), places)

    def day(self, value: Any) -> str:
        """A date (or the date of an ISO time): ``7 Dec 2026`` / ``07.12.2026``."""
        text = str(value or "")[:10]
        try:
            when = date.fromisoformat(text)
        except ValueError:
            return text
        if self.lang == "ru":
            return when.strftime("%d.%m.%Y")
        return f"{when.day} {_MONTHS_EN[when.month - 1]} {when.year}"
