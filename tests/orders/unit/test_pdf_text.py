"""The invoice PDF's figures in the reader's language."""

from __future__ import annotations

from decimal import Decimal

from services.orders.pdf_text import Words, language


def test_amounts_dates_and_labels_in_english_and_russian() -> None:
    en, ru = Words("en-GB"), Words("ru")
    assert en.money("12950", "EUR") == "12,950.00 EUR"
    assert ru.money("12950", "EUR") == "12\u00a0950,00 EUR"
    assert en.money("1234567.5", "JPY") == "1,234,568 JPY"  # no minor unit
    assert ru.number(Decimal("1.5")) == "1,5" and en.number(Decimal("20")) == "20"
    assert en.day("2026-12-07T10:00:00+00:00") == "7 Dec 2026"
    assert ru.day("2026-12-07") == "07.12.2026"
    assert en.day(None) == "" and ru.day("soon") == "soon"
    assert ru("invoice") == "СЧЁТ" and en.status("partially_paid") == "partially paid"
    assert ru.status("overdue") == "просрочен"
    assert language("de") == "en" and language(None) == "en" and language("ru_RU") == "ru"
