"""The rules of accounts and contacts: their fields, what each accepts, how values are normalized.

Pure functions, no I/O: the service loads and stores, these decide. Every problem
with the caller's data is collected and raised at once as one
:class:`ValidationFailed`, each error naming its field (``emails[1].email`` for a
piece of a list).
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Literal

from services.platform.errors import ValidationFailed
from services.platform.values import (
    InvalidValue,
    normalize_email,
    normalize_phone,
    validation_failed,
)
from services.platform.values import is_uuid as is_uuid  # re-exported: domain.is_uuid
from services.platform.values import (  # re-exported: domain.parse_expected_version
    parse_expected_version as parse_expected_version,
)

ACCOUNT_TYPES: tuple[str, ...] = ("customer", "partner", "competitor", "supplier", "our_company")
ADDRESS_KINDS: tuple[str, ...] = ("billing", "shipping", "office", "other")
EMAIL_KINDS: tuple[str, ...] = ("work", "personal", "other")
PHONE_KINDS: tuple[str, ...] = ("work", "mobile", "home", "other")
MAX_LIST_ITEMS = 20
OPPORTUNITY_STATUSES: tuple[str, ...] = ("open", "won", "lost")
TACTIC_KINDS: tuple[str, ...] = ("strength", "weakness", "opportunity", "threat")
ACTIVITY_TYPES: tuple[str, ...] = ("task", "call", "meeting", "email")
ACTIVITY_STATUSES: tuple[str, ...] = ("not_started", "in_progress", "completed", "cancelled")
ACTIVITY_PRIORITIES: tuple[str, ...] = ("low", "normal", "high")
#: What an activity may be about (a lead and an order live in other services).
RELATED_TYPES: tuple[str, ...] = ("lead", "contact", "account", "opportunity", "order")
PARTICIPANT_KINDS: tuple[str, ...] = ("contact", "user")
PERIOD_KINDS: tuple[str, ...] = ("month", "quarter", "year")

FieldType = Literal[
    "string",
    "email",
    "phone",
    "enum",
    "uuid",
    "integer",
    "money",
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
    #: for ``list`` fields: the kind of items (addresses, emails, phones)
    items: str | None = None
    #: for ``integer`` fields: the smallest and largest value accepted
    minimum: int | None = None
    maximum: int | None = None
    #: for ``uuid`` fields that point at a record: the entity they point at
    lookup: str | None = None


def _common_tail() -> tuple[EntityField, ...]:
    return (
        EntityField("owner_id", "uuid", "Owner", filterable=True, lookup="users"),
        EntityField("team_id", "uuid", "Team", filterable=True, lookup="teams"),
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


# The order here is the order of the record on the wire and in the web app's forms.
ACCOUNT_FIELDS: tuple[EntityField, ...] = (
    EntityField("id", "uuid", "ID", read_only=True),
    EntityField(
        "name",
        "string",
        "Name",
        max_length=300,
        required=True,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    EntityField("type", "enum", "Type", options=ACCOUNT_TYPES, filterable=True, sortable=True),
    EntityField("industry", "string", "Industry", max_length=100, filterable=True),
    EntityField("parent_id", "uuid", "Parent account", filterable=True, lookup="accounts"),
    EntityField("web", "string", "Website", max_length=2000),
    EntityField("phone", "phone", "Phone", max_length=64),
    EntityField("email", "email", "Email", max_length=254),
    EntityField("addresses", "list", "Addresses", items="address"),
    *_common_tail(),
)

CONTACT_FIELDS: tuple[EntityField, ...] = (
    EntityField("id", "uuid", "ID", read_only=True),
    EntityField(
        "full_name",
        "string",
        "Full name",
        max_length=300,
        required=True,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    EntityField("emails", "list", "Emails", items="email"),
    EntityField("phones", "list", "Phones", items="phone"),
    EntityField("account_id", "uuid", "Account", filterable=True, lookup="accounts"),
    EntityField("job_title", "string", "Job title", max_length=200),
    *_common_tail(),
)


@dataclass(frozen=True)
class Entity:
    """One kind of record: its wire name and its fields."""

    name: str  # singular, as in error messages: "account"
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


ACCOUNT = Entity("account", ACCOUNT_FIELDS)
CONTACT = Entity("contact", CONTACT_FIELDS)


_Invalid = InvalidValue


#: The public name of a field's problem, for the other modules' own checks.
Invalid = _Invalid


def clean_changes(entity: Entity, data: Any) -> dict[str, Any]:
    """Validate and normalize the writable fields a caller sent (create or update).

    Unknown and read-only fields, wrong types and bad values are all reported in one
    :class:`ValidationFailed`. An empty string clears a text field (stored as None);
    null clears a list (stored as an empty list).
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
        if spec.type == "list":
            clean[name] = _clean_list(spec, value, errors)
            continue
        try:
            clean[name] = normalize_value(spec, value)
        except _Invalid as exc:
            errors.append({"field": name, "message": str(exc)})
    if errors:
        raise _failed(errors)
    return clean


def normalize_value(spec: EntityField, value: Any) -> Any:
    """One scalar field's value as it is stored, or :class:`_Invalid` saying why not."""
    if value is None:
        return None
    if spec.type in _TYPED:
        return _TYPED[spec.type](spec, value)
    if not isinstance(value, str):
        raise _Invalid("must be a string")
    text = value.strip()
    if spec.type == "uuid":
        if not text:
            return None
        try:
            return str(uuid.UUID(text))
        except ValueError:
            raise _Invalid("must be a UUID") from None
    if spec.type == "enum":
        if not text:
            return None
        if text not in spec.options:
            raise _Invalid(f"must be one of {', '.join(spec.options)}")
        return text
    if spec.max_length is not None and len(text) > spec.max_length:
        raise _Invalid(f"must be at most {spec.max_length} characters")
    if not text:
        return None
    if spec.type == "email":
        return normalize_email(text)
    if spec.type == "phone":
        return normalize_phone(text)
    return text


def _integer(spec: EntityField, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Invalid("must be a whole number")
    if spec.minimum is not None and value < spec.minimum:
        raise _Invalid(f"must be at least {spec.minimum}")
    if spec.maximum is not None and value > spec.maximum:
        raise _Invalid(f"must be at most {spec.maximum}")
    return value


def parse_money(value: Any) -> Decimal:
    """A non-negative amount with at most two decimals, from a decimal string or a number.

    Strings are the API's way (``"1500.00"``); numbers are accepted because JSON
    clients send them, but a float with more than two decimals is refused, not rounded.
    """
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Invalid('must be a decimal string such as "1500.00"')
    if isinstance(value, float) and not math.isfinite(value):
        raise _Invalid("must be a finite amount")
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        raise _Invalid('must be a decimal string such as "1500.00"') from None
    if not amount.is_finite():
        raise _Invalid("must be a finite amount")
    if amount < 0:
        raise _Invalid("must not be negative")
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise _Invalid("may have at most two decimal places")
    if amount > MAX_MONEY:
        raise _Invalid("is too large")
    return amount.quantize(CENT)


def _money(spec: EntityField, value: Any) -> Decimal:
    return parse_money(value)


def _currency(spec: EntityField, value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z]{3}", value.strip()):
        raise _Invalid("must be a three-letter ISO 4217 code such as EUR")
    return value.strip().upper()


def parse_date(value: Any) -> date:
    if not isinstance(value, str):
        raise _Invalid("must be a date (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise _Invalid("must be a date (YYYY-MM-DD)") from None


def _date(spec: EntityField, value: Any) -> date:
    return parse_date(value)


def parse_datetime(value: Any) -> datetime:
    """An ISO 8601 time with its zone (``Z`` or an offset), as an aware UTC datetime."""
    if not isinstance(value, str):
        raise _Invalid("must be an ISO 8601 time with a zone, such as 2026-11-26T09:00:00Z")
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
    except ValueError:
        raise _Invalid(
            "must be an ISO 8601 time with a zone, such as 2026-11-26T09:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise _Invalid("must include a time zone (Z or an offset such as +03:00)")
    return moment.astimezone(UTC)


def _datetime(spec: EntityField, value: Any) -> datetime:
    return parse_datetime(value)


def _boolean(spec: EntityField, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _Invalid("must be true or false")
    return value


#: Field types whose values are not (only) strings, each with its parser.
_TYPED: dict[str, Any] = {
    "integer": _integer,
    "money": _money,
    "currency": _currency,
    "date": _date,
    "datetime": _datetime,
    "boolean": _boolean,
}


_ADDRESS_PARTS: dict[str, int] = {
    "street": 300,
    "city": 100,
    "region": 100,
    "postcode": 20,
    "country": 100,
}


def _clean_list(spec: EntityField, value: Any, errors: list[dict[str, str]]) -> list[dict]:
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append({"field": spec.name, "message": "must be a list"})
        return []
    if len(value) > MAX_LIST_ITEMS:
        errors.append({"field": spec.name, "message": f"may hold at most {MAX_LIST_ITEMS} items"})
        return []
    clean: list[dict] = []
    for index, item in enumerate(value):
        where = f"{spec.name}[{index}]"
        if not isinstance(item, Mapping):
            errors.append({"field": where, "message": "must be an object"})
            continue
        if spec.items == "address":
            clean.append(_clean_address(where, item, errors))
        elif spec.items == "line":
            clean.append(_clean_line(where, item, errors))
        else:
            clean.append(_clean_channel(spec.items or "", where, item, errors))
    primaries = sum(1 for item in clean if item.get("is_primary"))
    if spec.items in ("email", "phone") and primaries > 1:
        errors.append({"field": spec.name, "message": "at most one may be primary"})
    return clean


def _clean_address(where: str, item: Mapping[str, Any], errors: list[dict[str, str]]) -> dict:
    clean: dict[str, Any] = {}
    for key in item:
        if key != "kind" and key not in _ADDRESS_PARTS:
            errors.append({"field": f"{where}.{key}", "message": "unknown field"})
    kind = item.get("kind")
    if kind is not None and kind not in ADDRESS_KINDS:
        errors.append(
            {"field": f"{where}.kind", "message": f"must be one of {', '.join(ADDRESS_KINDS)}"}
        )
    clean["kind"] = kind or "other"
    for part, max_length in _ADDRESS_PARTS.items():
        value = item.get(part)
        if value is None:
            clean[part] = None
            continue
        if not isinstance(value, str):
            errors.append({"field": f"{where}.{part}", "message": "must be a string"})
            continue
        text = value.strip()
        if len(text) > max_length:
            errors.append(
                {"field": f"{where}.{part}", "message": f"must be at most {max_length} characters"}
            )
            continue
        clean[part] = text or None
    return clean


MAX_QUANTITY = Decimal("1000000000")
QUANTITY_STEP = Decimal("0.001")


def parse_quantity(value: Any) -> Decimal:
    """A positive quantity with at most three decimals (pieces, hours, kilograms)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Invalid('must be a positive number such as "2" or "1.5"')
    try:
        quantity = Decimal(value.strip() if isinstance(value, str) else str(value))
    except InvalidOperation:
        raise _Invalid('must be a positive number such as "2" or "1.5"') from None
    if not quantity.is_finite() or quantity <= 0:
        raise _Invalid("must be a positive number")
    if quantity != quantity.quantize(QUANTITY_STEP, rounding=ROUND_HALF_UP):
        raise _Invalid("may have at most three decimal places")
    if quantity > MAX_QUANTITY:
        raise _Invalid("is too large")
    return quantity.quantize(QUANTITY_STEP)


def line_total(line: Mapping[str, Any]) -> Decimal:
    """Quantity × price, rounded half-up to the cent."""
    total = Decimal(line["quantity"]) * Decimal(line["price"])
    return total.quantize(CENT, rounding=ROUND_HALF_UP)


def _clean_line(where: str, item: Mapping[str, Any], errors: list[dict[str, str]]) -> dict:
    """One product line: ``{product_id, quantity, price}`` stored as strings (JSON)."""
    for key in item:
        if key not in ("product_id", "quantity", "price"):
            errors.append({"field": f"{where}.{key}", "message": "unknown field"})
    clean: dict[str, Any] = {}
    product_id = item.get("product_id")
    if not is_uuid(product_id):
        errors.append({"field": f"{where}.product_id", "message": "must be a UUID"})
    else:
        clean["product_id"] = str(uuid.UUID(product_id))
    for name, parse, fmt in (
        ("quantity", parse_quantity, "{:.3f}"),
        ("price", parse_money, "{:.2f}"),
    ):
        if item.get(name) is None:
            errors.append({"field": f"{where}.{name}", "message": "is required"})
            continue
        try:
            clean[name] = fmt.format(parse(item[name]))
        except _Invalid as exc:
            errors.append({"field": f"{where}.{name}", "message": str(exc)})
    return clean


def _clean_channel(
    item_kind: str, where: str, item: Mapping[str, Any], errors: list[dict[str, str]]
) -> dict:
    """One email or phone entry: ``{email|phone, kind, is_primary}``."""
    kinds = EMAIL_KINDS if item_kind == "email" else PHONE_KINDS
    for key in item:
        if key not in (item_kind, "kind", "is_primary"):
            errors.append({"field": f"{where}.{key}", "message": "unknown field"})
    clean: dict[str, Any] = {}
    value = item.get(item_kind)
    if not isinstance(value, str) or not value.strip():
        errors.append({"field": f"{where}.{item_kind}", "message": "is required"})
    else:
        try:
            clean[item_kind] = (
                normalize_email(value) if item_kind == "email" else normalize_phone(value)
            )
        except _Invalid as exc:
            errors.append({"field": f"{where}.{item_kind}", "message": str(exc)})
    kind = item.get("kind")
    if kind is not None and kind not in kinds:
        errors.append({"field": f"{where}.kind", "message": f"must be one of {', '.join(kinds)}"})
    clean["kind"] = kind or kinds[0]
    primary = item.get("is_primary", False)
    if not isinstance(primary, bool):
        errors.append({"field": f"{where}.is_primary", "message": "must be true or false"})
        primary = False
    clean["is_primary"] = primary
    return clean


def check_record(entity: Entity, values: Mapping[str, Any]) -> None:
    """The rules a record as a whole must keep, on create and after every update."""
    errors = [
        {"field": name, "message": "is required"}
        for name in entity.required
        if not values.get(name)
    ]
    if errors:
        raise _failed(errors)


def check_parent(account_id: str | None, parent_id: str | None) -> None:
    """An account may not be its own parent."""
    if parent_id is not None and parent_id == account_id:
        raise _failed([{"field": "parent_id", "message": "an account cannot be its own parent"}])


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
    return _failed([{"field": field, "message": message}])


_failed = validation_failed


# --- careers ---------------------------------------------------------------------------

CAREER_FIELDS: tuple[str, ...] = ("account_id", "job_title", "is_primary", "start_date", "end_date")


def clean_career(data: Any) -> dict[str, Any]:
    """Validate a new career: ``account_id`` required, dates ISO ``YYYY-MM-DD``, end ≥ start."""
    if not isinstance(data, Mapping):
        raise failed("data", "must be an object of career fields")
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {"job_title": None, "is_primary": False}
    for key in data:
        if key not in CAREER_FIELDS:
            errors.append({"field": str(key), "message": "unknown field"})
    account_id = data.get("account_id")
    if not is_uuid(account_id):
        errors.append({"field": "account_id", "message": "must be a UUID"})
    else:
        clean["account_id"] = str(uuid.UUID(account_id))
    title = data.get("job_title")
    if title is not None:
        if not isinstance(title, str):
            errors.append({"field": "job_title", "message": "must be a string"})
        elif len(title.strip()) > 200:
            errors.append({"field": "job_title", "message": "must be at most 200 characters"})
        else:
            clean["job_title"] = title.strip() or None
    primary = data.get("is_primary", False)
    if not isinstance(primary, bool):
        errors.append({"field": "is_primary", "message": "must be true or false"})
    else:
        clean["is_primary"] = primary
    for name in ("start_date", "end_date"):
        value = data.get(name)
        clean[name] = None
        if value is None:
            continue
        try:
            if not isinstance(value, str):
                raise ValueError
            clean[name] = date.fromisoformat(value.strip())
        except ValueError:
            errors.append({"field": name, "message": "must be a date (YYYY-MM-DD)"})
    start, end = clean.get("start_date"), clean.get("end_date")
    if start is not None and end is not None and end < start:
        errors.append({"field": "end_date", "message": "must not be before start_date"})
    if errors:
        raise _failed(errors)
    return clean


# --- duplicates ------------------------------------------------------------------------

#: How alike two names must be (pg_trgm similarity) to be offered as duplicates.
NAME_SIMILARITY_THRESHOLD = 0.4
MAX_SIMILAR = 10

_DOMAIN = re.compile(r"^([a-z][a-z0-9+.-]*://)?(www\.)?([^/:?#]*)", re.IGNORECASE)


def web_domain(web: str | None) -> str | None:
    """A website's host without scheme, ``www.`` and path: ``https://www.Acme.io/x`` → ``acme.io``.

    The same as the SQL expression the accounts' domain index is built on.
    """
    if not web:
        return None
    match = _DOMAIN.match(web)
    host = (match.group(3) if match else web).lower()
    return host or None
