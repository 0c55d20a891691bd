"""Fields of a record and how every service reads what callers send for them.

A service describes each kind of record once, as an :class:`Entity` of
:class:`EntityField` s (their order is the record's order on the wire and in the web
app's forms); :func:`clean_changes` then validates and normalizes a create or update
payload against it, collecting every problem into one :class:`ValidationFailed`
whose errors name their fields. The same description feeds ``meta/entities``.

Money is :class:`~decimal.Decimal`, never float: a decimal string (``"1500.00"``) or a
JSON number, refused — not rounded — when it has more decimals than allowed.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from .errors import ValidationFailed
from .values import InvalidValue, normalize_email, normalize_phone, validation_failed

Invalid = InvalidValue

FieldType = Literal[
    "string",
    "email",
    "phone",
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
MAX_QUANTITY = Decimal("1000000000")
QUANTITY_STEP = Decimal("0.001")


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
    #: for ``list`` fields: the kind of items (addresses, emails, phones, lines)
    items: str | None = None
    #: for ``integer`` fields: the smallest and largest value accepted
    minimum: int | None = None
    maximum: int | None = None
    #: for ``uuid`` fields that point at a record: the entity they point at
    lookup: str | None = None
    #: for text fields: the lookup list whose codes the web app offers (any text is kept)
    suggestions: str | None = None
    #: for ``enum`` fields: whether an empty string clears the field; when False it is
    #: refused like any value that is not one of the options (a lead's stage)
    empty_clears: bool = True


@dataclass(frozen=True)
class Entity:
    """One kind of record: its wire name and its fields."""

    name: str  # singular, as in error messages and events: "account"
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


def record_tail(*, owned: bool = True, owner_required: bool = False) -> tuple[EntityField, ...]:
    """The fields every record ends with; owned records also have an owner and a team."""
    owner: tuple[EntityField, ...] = (
        (
            EntityField(
                "owner_id",
                "uuid",
                "Owner",
                required=owner_required,
                filterable=True,
                lookup="users",
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


#: How a service reads a ``list`` field: ``(spec, value, errors) -> items``, adding
#: ``{field, message}`` errors (``emails[1].email``) instead of raising.
ListCleaner = Callable[[EntityField, Any, list[dict[str, str]]], list[dict[str, Any]]]


def clean_changes(
    entity: Entity,
    data: Any,
    *,
    skip: tuple[str, ...] = (),
    require: tuple[str, ...] = (),
    clean_list: ListCleaner | None = None,
) -> dict[str, Any]:
    """Validate and normalize the writable fields a caller sent (create or update).

    Unknown and read-only fields, wrong types and bad values are all reported in one
    :class:`ValidationFailed`, with the fields named in ``require`` that are missing
    or empty. An empty string clears a text field (stored as None). ``list`` fields go
    through ``clean_list``; fields named in ``skip`` are left as sent for the caller
    to check (order lines).
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
        if spec.type == "list":
            if clean_list is None:
                raise TypeError(f"{entity.name}.{name} is a list: pass clean_list")
            clean[name] = clean_list(spec, value, errors)
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
        if not text and spec.empty_clears:
            return None
        if text not in spec.options:
            raise Invalid(f"must be one of {', '.join(spec.options)}")
        return text
    if spec.max_length is not None and len(text) > spec.max_length:
        raise Invalid(f"must be at most {spec.max_length} characters")
    if not text:
        return None
    if spec.type == "email":
        return normalize_email(text)
    if spec.type == "phone":
        return normalize_phone(text)
    return text


def to_decimal(value: Any, example: str) -> Decimal:
    """A finite Decimal from a decimal string or a JSON number (a float by its shortest text)."""
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


def parse_money(value: Any, unit: Decimal = CENT, currency: str | None = None) -> Decimal:
    """A non-negative amount with no more decimals than ``unit`` allows (cents by default)."""
    amount = to_decimal(value, "1500.00")
    if amount < 0:
        raise Invalid("must not be negative")
    # the range first: quantizing 4.6e+90 to cents overflows the decimal context
    if amount > MAX_MONEY:
        raise Invalid("is too large")
    if not _has_step(amount, unit):
        raise Invalid(
            "may have at most two decimal places"
            if unit == CENT
            else f"must be a whole amount in {currency}"
        )
    return amount.quantize(CENT)


def _has_step(number: Decimal, step: Decimal) -> bool:
    """Whether ``number`` has no more decimals than ``step`` (a number in range; one
    with a huge negative exponent has too many)."""
    try:
        return number == number.quantize(step, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return False


def parse_percent(value: Any) -> Decimal:
    """A percentage from 0 to 100 with at most two decimals (``"7.5"``)."""
    number = to_decimal(value, "20")
    if number < 0 or number > HUNDRED:
        raise Invalid("must be between 0 and 100")
    if not _has_step(number, CENT):
        raise Invalid("may have at most two decimal places")
    return number.quantize(CENT)


def parse_quantity(value: Any) -> Decimal:
    """A positive quantity with at most three decimals (pieces, hours, kilograms)."""
    quantity = to_decimal(value, "2")
    if quantity <= 0:
        raise Invalid("must be a positive number")
    if quantity > MAX_QUANTITY:
        raise Invalid("is too large")
    if not _has_step(quantity, QUANTITY_STEP):
        raise Invalid("may have at most three decimal places")
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


def parse_datetime(value: Any) -> datetime:
    """An ISO 8601 time with its zone (``Z`` or an offset), as an aware UTC datetime."""
    message = "must be an ISO 8601 time with a zone, such as 2026-11-26T09:00:00Z"
    if not isinstance(value, str):
        raise Invalid(message)
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise Invalid(message) from None
    if moment.tzinfo is None:
        raise Invalid("must include a time zone (Z or an offset such as +03:00)")
    return moment.astimezone(UTC)


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


#: Field types whose values are not (only) strings, each with its parser.
_TYPED: dict[str, Callable[[EntityField, Any], Any]] = {
    "integer": _integer,
    "money": lambda spec, value: parse_money(value),
    "percent": lambda spec, value: parse_percent(value),
    "currency": lambda spec, value: parse_currency(value),
    "date": lambda spec, value: parse_date(value),
    "datetime": lambda spec, value: parse_datetime(value),
    "boolean": _boolean,
}


def check_record(entity: Entity, values: Mapping[str, Any]) -> None:
    """The rules a record as a whole must keep, on create and after every update."""
    errors = [
        {"field": name, "message": "is required"}
        for name in entity.required
        if values.get(name) in (None, "", [])
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
    """One field's problem as a :class:`ValidationFailed`."""
    return validation_failed([{"field": field, "message": message}])
