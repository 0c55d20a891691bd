"""The rules of products, price lists, orders and invoices: fields, money, states.

Pure functions, no I/O: the service loads and stores, these decide. Every problem
with the caller's data is collected and raised at once as one
:class:`ValidationFailed`, each error naming its field (``lines[1].quantity`` for a
piece of a list). Money is :class:`~decimal.Decimal`, never float, and rounds
half-up to the currency's minor unit (cents; whole units for JPY-like currencies).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from services.platform.errors import ValidationFailed
from services.platform.values import InvalidValue, validation_failed
from services.platform.values import is_uuid as is_uuid  # re-exported: domain.is_uuid
from services.platform.values import (  # re-exported: domain.parse_expected_version
    parse_expected_version as parse_expected_version,
)

Invalid = InvalidValue

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


FieldType = Literal[
    "string",
    "enum",
    "uuid",
    "integer",
    "money",
    "percent",
    "currency",
    "date",
    "datetime",
    "boolean",
    "text",
    "list",
]

#: The largest amount of money a field holds (numeric(18, 2)).
MAX_MONEY = Decimal("9999999999999999.99")
CENT = Decimal("0.01")
HUNDRED = Decimal("100")

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


@dataclass(frozen=True)
class EntityField:
    name: str
    type: FieldType
    label: str
    max_length: int | None = None
    options: tuple[str, ...] = ()
    read_only: bool = False
    required: bool = False
    filterable: bool = False
    #: how the list filters it: equals (any of), contains (substring) or range (from..to)
    filter_op: str = "equals"
    sortable: bool = False
    #: for ``list`` fields: the kind of items (order lines)
    items: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    #: for ``uuid`` fields that point at a record: the entity they point at
    lookup: str | None = None


@dataclass(frozen=True)
class Entity:
    """One kind of record: its wire name and its fields."""

    name: str  # singular, as in error messages and events: "order"
    fields: tuple[EntityField, ...]

    @property
    def by_name(self) -> dict[str, EntityField]:
        return {f.name: f for f in self.fields}

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.required)


def record_tail(owned: bool) -> tuple[EntityField, ...]:
    """The fields every record ends with; owned records also have an owner and a team."""
    owner: tuple[EntityField, ...] = (
        (
            EntityField(
                "owner_id", "uuid", "Owner", required=True, filterable=True, lookup="users"
            ),
            EntityField("team_id", "uuid", "Team", filterable=True, lookup="teams"),
        )
        if owned
        else ()
    )
    return (
        *owner,
        EntityField("version", "integer", "Version", read_only=True),
        EntityField(
            "created_at",
            "datetime",
            "Created",
            read_only=True,
            sortable=True,
            filterable=True,
            filter_op="range",
        ),
        EntityField(
            "updated_at",
            "datetime",
            "Updated",
            read_only=True,
            sortable=True,
            filterable=True,
            filter_op="range",
        ),
        EntityField("created_by", "uuid", "Created by", read_only=True),
    )


def clean_changes(
    entity: Entity,
    data: Any,
    *,
    skip: tuple[str, ...] = (),
    require: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Validate and normalize the writable fields a caller sent (create or update).

    Unknown and read-only fields, wrong types and bad values are all reported in one
    :class:`ValidationFailed`, with the fields named in ``require`` that are missing
    or empty. An empty string clears a text field (stored as None). Fields named in
    ``skip`` are left as sent for the caller to check (order lines).
    """
    if not isinstance(data, Mapping):
        message = f"must be an object of {entity.name} fields"
        raise ValidationFailed(f"data: {message}", [{"field": "data", "message": message}])
    fields = entity.by_name
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {}
    for name, value in data.items():
        spec = fields.get(name) if isinstance(name, str) else None
        if spec is None:
            errors.append({"field": str(name), "message": "unknown field"})
            continue
        if spec.read_only:
            errors.append({"field": name, "message": "is read-only"})
            continue
        if name in skip:
            clean[name] = value
            continue
        try:
            clean[name] = normalize_value(spec, value)
        except Invalid as exc:
            errors.append({"field": name, "message": str(exc)})
    reported = {e["field"] for e in errors}
    errors.extend(
        {"field": name, "message": "is required"}
        for name in require
        if name not in reported and clean.get(name) in (None, "")
    )
    if errors:
        raise validation_failed(errors)
    return clean


def normalize_value(spec: EntityField, value: Any) -> Any:
    """One scalar field's value as it is stored, or :class:`Invalid` saying why not."""
    if value is None:
        return None
    if spec.type in _TYPED:
        return _TYPED[spec.type](spec, value)
    if not isinstance(value, str):
        raise Invalid("must be a string")
    text = value.strip()
    if spec.type == "uuid":
        if not text:
            return None
        try:
            return str(uuid.UUID(text))
        except ValueError:
            raise Invalid("must be a UUID") from None
    if spec.type == "enum":
        if not text:
            return None
        if text not in spec.options:
            raise Invalid(f"must be one of {', '.join(spec.options)}")
        return text
    if spec.max_length is not None and len(text) > spec.max_length:
        raise Invalid(f"must be at most {spec.max_length} characters")
    return text or None


def _decimal(value: Any, example: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Invalid(f'must be a decimal string such as "{example}"')
    if isinstance(value, float) and not math.isfinite(value):
        raise Invalid("must be a finite number")
    try:
        # A float goes through its shortest text, so 0.1 is 0.1 and not 0.1000000000000000055.
        number = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        raise Invalid(f'must be a decimal string such as "{example}"') from None
    if not number.is_finite():
        raise Invalid("must be a finite number")
    return number


def parse_money(value: Any, currency: str | None = None) -> Decimal:
    """A non-negative amount with no more decimals than the currency has.

    Strings are the API's way (``"1500.00"``); numbers are accepted because JSON
    clients send them, but a value with too many decimals is refused, not rounded.
    """
    amount = _decimal(value, "1500.00")
    if amount < 0:
        raise Invalid("must not be negative")
    unit = minor_unit(currency)
    if amount != amount.quantize(unit, rounding=ROUND_HALF_UP):
        raise Invalid(
            "may have at most two decimal places"
            if unit == CENT
            else f"must be a whole amount in {currency}"
        )
    if amount > MAX_MONEY:
        raise Invalid("is too large")
    return amount.quantize(CENT)


def parse_percent(value: Any) -> Decimal:
    """A percentage from 0 to 100 with at most two decimals (``"7.5"``)."""
    number = _decimal(value, "20")
    if number < 0 or number > HUNDRED:
        raise Invalid("must be between 0 and 100")
    if number != number.quantize(CENT, rounding=ROUND_HALF_UP):
        raise Invalid("may have at most two decimal places")
    return number.quantize(CENT)


MAX_QUANTITY = Decimal("1000000000")
QUANTITY_STEP = Decimal("0.001")


def parse_quantity(value: Any) -> Decimal:
    """A positive quantity with at most three decimals (pieces, hours, kilograms)."""
    quantity = _decimal(value, "2")
    if quantity <= 0:
        raise Invalid("must be a positive number")
    if quantity != quantity.quantize(QUANTITY_STEP, rounding=ROUND_HALF_UP):
        raise Invalid("may have at most three decimal places")
    if quantity > MAX_QUANTITY:
        raise Invalid("is too large")
    return quantity.quantize(QUANTITY_STEP)


def parse_currency(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value.strip()):
        raise Invalid("must be a three-letter ISO 4217 code such as EUR")
    return value.strip().upper()


def parse_date(value: Any) -> date:
    if not isinstance(value, str):
        raise Invalid("must be a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise Invalid("must be a date (YYYY-MM-DD)") from None


def _integer(spec: EntityField, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Invalid("must be a whole number")
    if spec.minimum is not None and value < spec.minimum:
        raise Invalid(f"must be at least {spec.minimum}")
    if spec.maximum is not None and value > spec.maximum:
        raise Invalid(f"must be at most {spec.maximum}")
    return value


def _boolean(spec: EntityField, value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("must be true or false")
    return value


_TYPED: dict[str, Any] = {
    "integer": _integer,
    "money": lambda spec, value: parse_money(value),
    "percent": lambda spec, value: parse_percent(value),
    "currency": lambda spec, value: parse_currency(value),
    "date": lambda spec, value: parse_date(value),
    "boolean": _boolean,
}


def check_record(entity: Entity, values: Mapping[str, Any]) -> None:
    """The rules a record as a whole must keep, on create and after every update."""
    errors = [
        {"field": name, "message": "is required"}
        for name in entity.required
        if values.get(name) in (None, "")
    ]
    if errors:
        raise validation_failed(errors)


def changed_fields(
    entity: Entity, current: Mapping[str, Any], changes: Mapping[str, Any]
) -> list[str]:
    """The fields whose value really changes, in record order."""
    return [
        name
        for name in entity.field_names
        if name in changes and changes[name] != current.get(name)
    ]


def failed(field: str, message: str) -> ValidationFailed:
    return validation_failed([{"field": field, "message": message}])


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
