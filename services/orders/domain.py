"""The rules of products, price lists, orders and invoices: fields, money, states.

Pure functions, no I/O: the service loads and stores, these decide. Every problem
with the caller's data is collected and raised at once as one
:class:`ValidationFailed`, each error naming its field (``lines[1].quantity`` for a
piece of a list). Money is :class:`~decimal.Decimal`, never float, and rounds
half-up to the currency's minor unit (cents; whole units for JPY-like currencies).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.platform import fields

# The field framework lives in the platform; these names stay reachable as
# ``domain.<name>`` for the orders parts.
from services.platform.fields import (  # noqa: F401
    CENT,
    HUNDRED,
    MAX_MONEY,
    Entity,
    EntityField,
    Invalid,
    changed_fields,
    check_record,
    clean_changes,
    failed,
    normalize_value,
    parse_currency,
    parse_date,
    parse_percent,
    parse_quantity,
)
from services.platform.values import (  # noqa: F401
    is_uuid,
    parse_expected_version,
    validation_failed,
)

ORDER_STATUSES: tuple[str, ...] = (
    "draft",
    "confirmed",
    "in_progress",
    "shipped",
    "completed",
    "cancelled",
)
INVOICE_STATUSES: tuple[str, ...] = ("draft", "issued", "paid", "overdue", "cancelled")

#: Which status an order may go to from which (anything else is a 409).
ORDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("confirmed", "cancelled"),
    "confirmed": ("in_progress", "cancelled"),
    "in_progress": ("shipped", "cancelled"),
    "shipped": ("completed",),
    "completed": (),
    "cancelled": (),
}
#: The order actions and the status each leads to.
ORDER_ACTIONS: dict[str, str] = {
    "confirm": "confirmed",
    "start": "in_progress",
    "ship": "shipped",
    "complete": "completed",
    "cancel": "cancelled",
}
#: Which status an invoice may go to from which.
INVOICE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    "draft": ("issued", "cancelled"),
    "issued": ("paid", "overdue", "cancelled"),
    "overdue": ("paid", "cancelled"),
    "paid": (),
    "cancelled": (),
}


def can_move(transitions: Mapping[str, tuple[str, ...]], current: str, target: str) -> bool:
    """Whether the status table allows ``current`` → ``target``."""
    return target in transitions.get(current, ())


#: ISO 4217 currencies without a minor unit: their amounts round to whole units.
#: Every other currency rounds to cents (three-decimal currencies such as KWD are
#: kept to cents as well: amounts are stored as numeric(18, 2)).
ZERO_DECIMAL_CURRENCIES: frozenset[str] = frozenset(
    {
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "ISK",
        "JPY",
        "KMF",
        "KRW",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    }
)


def minor_unit(currency: str | None) -> Decimal:
    """The smallest amount of the currency: ``0.01``, or ``1`` for JPY-like currencies."""
    return Decimal("1") if (currency or "").upper() in ZERO_DECIMAL_CURRENCIES else CENT


def round_money(amount: Decimal, currency: str | None) -> Decimal:
    """Half-up to the currency's minor unit (kept with two decimal places for storage)."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP).quantize(CENT)


def money_text(amount: Decimal | None, currency: str | None) -> str | None:
    """Money on the wire: ``"1500.00"``, or ``"1500"`` in a currency without cents."""
    if amount is None:
        return None
    if minor_unit(currency) == 1:
        return f"{amount.quantize(Decimal('1'), rounding=ROUND_HALF_UP):f}"
    return f"{amount:.2f}"


def record_tail(owned: bool) -> tuple[EntityField, ...]:
    """The fields every record ends with; owned records have a required owner and a team."""
    return fields.record_tail(owned=owned, owner_required=True)


def parse_money(value: Any, currency: str | None = None) -> Decimal:
    """A non-negative amount with no more decimals than the currency has."""
    return fields.parse_money(value, minor_unit(currency), currency)


# --- order lines and totals -------------------------------------------------------------

MAX_LINES = 500
LINE_KEYS: tuple[str, ...] = ("product_id", "quantity", "price", "discount", "tax_rate")


@dataclass(frozen=True)
class Line:
    """One order line as sent: what was bought, how many, at what price, discount, tax."""

    product_id: str
    quantity: Decimal
    price: Decimal
    discount: Decimal = Decimal("0.00")
    tax_rate: Decimal = Decimal("0.00")


@dataclass(frozen=True)
class LineAmounts:
    """A line's money, each rounded half-up to the currency's minor unit.

    ``amount`` = quantity × price; ``discount_amount`` = amount × discount %;
    ``net`` = amount − discount; ``tax`` = net × tax rate %; ``total`` = net + tax.
    """

    amount: Decimal
    discount_amount: Decimal
    net: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class Totals:
    """An order's sums over its lines: ``total`` = subtotal − discount + tax."""

    subtotal: Decimal
    discount_total: Decimal
    tax_total: Decimal
    total: Decimal


ZERO = Decimal("0.00")


def line_amounts(line: Line, currency: str | None) -> LineAmounts:
    amount = round_money(line.quantity * line.price, currency)
    discount_amount = round_money(amount * line.discount / HUNDRED, currency)
    net = amount - discount_amount
    tax = round_money(net * line.tax_rate / HUNDRED, currency)
    return LineAmounts(amount, discount_amount, net, tax, net + tax)


def order_totals(lines: list[LineAmounts]) -> Totals:
    """The sums of the lines' rounded amounts (so the order adds up to its lines)."""
    subtotal = sum((a.amount for a in lines), ZERO)
    discount = sum((a.discount_amount for a in lines), ZERO)
    tax = sum((a.tax for a in lines), ZERO)
    return Totals(subtotal, discount, tax, subtotal - discount + tax)


def clean_lines(value: Any, currency: str | None) -> list[Line]:
    """Validate ``lines``: ``[{product_id, quantity, price, discount?, tax_rate?}]``.

    ``price`` may have no more decimals than the currency; ``discount`` and
    ``tax_rate`` are percentages (default 0). Every problem is reported at once.
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise failed("lines", "must be a list")
    if len(value) > MAX_LINES:
        raise failed("lines", f"may hold at most {MAX_LINES} lines")
    errors: list[dict[str, str]] = []
    lines: list[Line] = []
    for index, item in enumerate(value):
        where = f"lines[{index}]"
        if not isinstance(item, Mapping):
            errors.append({"field": where, "message": "must be an object"})
            continue
        for key in item:
            if key not in LINE_KEYS:
                errors.append({"field": f"{where}.{key}", "message": "unknown field"})
        parts: dict[str, Any] = {}
        product_id = item.get("product_id")
        if not is_uuid(product_id):
            errors.append({"field": f"{where}.product_id", "message": "must be a UUID"})
        else:
            parts["product_id"] = str(uuid.UUID(product_id))
        for name, parse, required in (
            ("quantity", parse_quantity, True),
            ("price", lambda v: parse_money(v, currency), True),
            ("discount", parse_percent, False),
            ("tax_rate", parse_percent, False),
        ):
            raw = item.get(name)
            if raw is None:
                if required:
                    errors.append({"field": f"{where}.{name}", "message": "is required"})
                continue
            try:
                parts[name] = parse(raw)
            except Invalid as exc:
                errors.append({"field": f"{where}.{name}", "message": str(exc)})
        if {"product_id", "quantity", "price"} <= set(parts):
            lines.append(Line(**parts))
    if errors:
        raise validation_failed(errors)
    return lines


# --- invoices -----------------------------------------------------------------------------

#: Days from an invoice's creation to its due date unless one is given.
DEFAULT_PAYMENT_DAYS = 14


def outstanding(total: Decimal, paid: Decimal) -> Decimal:
    return total - paid


def is_overdue(status: str, due_date: date | None, today: date) -> bool:
    """An issued invoice whose due date has passed (the day itself is not late yet)."""
    return status == "issued" and due_date is not None and due_date < today
