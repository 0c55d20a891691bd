"""The orders service's pure rules: money per line and per order, parsing, the status tables."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.orders import domain
from services.orders.domain import (
    INVOICE_TRANSITIONS,
    ORDER_STATUSES,
    ORDER_TRANSITIONS,
    Line,
    can_move,
    line_amounts,
    order_totals,
)
from services.platform.errors import ValidationFailed

D = Decimal
P = "00000000-0000-7000-8000-000000000001"


def line(quantity: str, price: str, discount: str = "0", tax_rate: str = "0") -> Line:
    return Line(P, D(quantity), D(price), D(discount), D(tax_rate))


def test_a_line_rounds_each_step_half_up_to_the_cent() -> None:
    amounts = line_amounts(line("1.5", "3.33", tax_rate="7"), "EUR")
    # 1.5 × 3.33 = 4.995 → 5.00; tax 7 % of 5.00 = 0.35
    assert (amounts.amount, amounts.discount_amount, amounts.net, amounts.tax, amounts.total) == (
        D("5.00"),
        D("0.00"),
        D("5.00"),
        D("0.35"),
        D("5.35"),
    )


def test_discount_is_taken_before_tax() -> None:
    amounts = line_amounts(line("3", "19.99", discount="10", tax_rate="20"), "EUR")
    # 59.97 − 5.997 (→ 6.00) = 53.97; tax 20 % = 10.794 → 10.79
    assert (amounts.amount, amounts.discount_amount, amounts.net) == (
        D("59.97"),
        D("6.00"),
        D("53.97"),
    )
    assert (amounts.tax, amounts.total) == (D("10.79"), D("64.76"))


def test_half_a_cent_rounds_up_not_to_even() -> None:
    assert line_amounts(line("1", "0.05", tax_rate="50"), "EUR").tax == D("0.03")  # 0.025
    assert line_amounts(line("1", "0.01", discount="50"), "EUR").discount_amount == D("0.01")


def test_order_totals_are_the_sums_of_rounded_lines_with_several_tax_rates() -> None:
    lines = [
        line("2", "10.00", tax_rate="20"),
        line("1", "0.99", tax_rate="7"),  # tax 0.0693 → 0.07
        line("3", "0.333", discount="0", tax_rate="0"),  # 0.999 → 1.00
        line("1", "100", discount="12.5", tax_rate="10"),  # net 87.50, tax 8.75
    ]
    amounts = [line_amounts(item, "EUR") for item in lines]
    totals = order_totals(amounts)
    assert totals.subtotal == D("121.99")
    assert totals.discount_total == D("12.50")
    assert totals.tax_total == D("4.00") + D("0.07") + D("8.75")
    assert totals.total == totals.subtotal - totals.discount_total + totals.tax_total
    assert totals.total == sum((a.total for a in amounts), D("0"))
    assert all(isinstance(value, Decimal) for value in vars(totals).values())


def test_an_order_without_lines_totals_zero() -> None:
    totals = order_totals([])
    assert (totals.subtotal, totals.total) == (D("0.00"), D("0.00"))


def test_currencies_without_cents_round_to_whole_units() -> None:
    amounts = line_amounts(line("3", "333", discount="5", tax_rate="8"), "JPY")
    # 999 − 49.95 (→ 50) = 949; tax 8 % = 75.92 → 76
    assert (amounts.discount_amount, amounts.net, amounts.tax, amounts.total) == (
        D("50.00"),
        D("949.00"),
        D("76.00"),
        D("1025.00"),
    )
    assert domain.money_text(D("1025.00"), "JPY") == "1025"
    assert domain.money_text(D("1025.50"), "EUR") == "1025.50"


def test_money_is_parsed_exactly_and_never_rounded() -> None:
    assert domain.parse_money("1500") == D("1500.00")
    assert domain.parse_money(0.1) == D("0.10")  # a float through its shortest text
    for bad in ("1.005", 1.005, "-1", "abc", True, None, "NaN", float("inf")):
        with pytest.raises(domain.Invalid):
            domain.parse_money(bad)
    with pytest.raises(domain.Invalid, match="whole amount in JPY"):
        domain.parse_money("10.50", "JPY")
    assert domain.parse_money("10", "JPY") == D("10.00")


def test_percentages_and_quantities() -> None:
    assert domain.parse_percent("7.5") == D("7.50")
    for bad in ("-1", "100.01", "1.001", "x"):
        with pytest.raises(domain.Invalid):
            domain.parse_percent(bad)
    assert domain.parse_quantity("1.5") == D("1.500")
    for bad in ("0", "-2", "0.0001"):
        with pytest.raises(domain.Invalid):
            domain.parse_quantity(bad)


def test_clean_lines_reports_every_bad_field_at_once() -> None:
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_lines(
            [
                {"product_id": "nope", "quantity": "0", "price": "1.001", "colour": "red"},
                {"product_id": P, "quantity": "1", "discount": "101"},
                "not a line",
            ],
            "EUR",
        )
    assert {e["field"] for e in exc.value.errors} == {
        "lines[0].product_id",
        "lines[0].quantity",
        "lines[0].price",
        "lines[0].colour",
        "lines[1].price",
        "lines[1].discount",
        "lines[2]",
    }
    (clean,) = domain.clean_lines([{"product_id": P, "quantity": 2, "price": "9.99"}], "EUR")
    assert (clean.discount, clean.tax_rate) == (D("0.00"), D("0.00"))


ALLOWED_ORDER_MOVES = {
    ("draft", "confirmed"),
    ("confirmed", "in_progress"),
    ("in_progress", "shipped"),
    ("shipped", "completed"),
    ("draft", "cancelled"),
    ("confirmed", "cancelled"),
    ("in_progress", "cancelled"),
}


@pytest.mark.parametrize("current", ORDER_STATUSES)
@pytest.mark.parametrize("target", ORDER_STATUSES)
def test_the_order_transition_table(current: str, target: str) -> None:
    assert can_move(ORDER_TRANSITIONS, current, target) == (
        (current, target) in ALLOWED_ORDER_MOVES
    )


def test_every_order_action_names_a_status() -> None:
    assert set(domain.ORDER_ACTIONS.values()) <= set(ORDER_STATUSES)
    assert set(ORDER_TRANSITIONS) == set(ORDER_STATUSES)


def test_the_invoice_transition_table() -> None:
    assert can_move(INVOICE_TRANSITIONS, "issued", "overdue")
    assert can_move(INVOICE_TRANSITIONS, "overdue", "paid")
    assert not can_move(INVOICE_TRANSITIONS, "paid", "cancelled")
    assert not can_move(INVOICE_TRANSITIONS, "draft", "paid")
    assert not can_move(INVOICE_TRANSITIONS, "cancelled", "issued")


def test_an_issued_invoice_is_overdue_only_after_its_due_date() -> None:
    due = date(2026, 12, 1)
    assert not domain.is_overdue("issued", due, date(2026, 12, 1))
    assert domain.is_overdue("issued", due, date(2026, 12, 2))
    assert not domain.is_overdue("draft", due, date(2026, 12, 2))
    assert not domain.is_overdue("paid", due, date(2026, 12, 2))
