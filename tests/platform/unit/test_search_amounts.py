"""An amount typed in a search box, however it is written."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.platform.list_search import parse_amount


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("12950", Decimal("12950")),
        ("12950.5", Decimal("12950.5")),
        ("12,950.00", Decimal("12950.00")),
        ("12 950,00", Decimal("12950.00")),
        ("12\u00a0950,01", Decimal("12950.01")),
        ("1.234.567,89", Decimal("1234567.89")),
        ("1,5", Decimal("1.5")),
        ("1,500", Decimal("1500")),
        ("1,50", Decimal("1.50")),
        ("12'950.00", Decimal("12950.00")),
    ],
)
def test_an_amount_is_read_as_people_write_it(text: str, amount: Decimal) -> None:
    assert parse_amount(text) == amount


@pytest.mark.parametrize("text", ["", "INV-2026", "12a", "1.2.3", "12.", "-5", "1e5", "9" * 20])
def test_what_is_not_an_amount_is_none(text: str) -> None:
    assert parse_amount(text) is None
