"""The rules of accounts and contacts: their fields, what each accepts, how values are normalized.

Pure functions, no I/O: the service loads and stores, these decide. Every problem
with the caller's data is collected and raised at once as one
:class:`ValidationFailed`, each error naming its field (``emails[1].email`` for a
piece of a list).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.platform import fields, similar

# The field framework lives in the platform; these names stay reachable as
# ``domain.<name>`` for the sales parts.
from services.platform.fields import (  # noqa: F401
    CENT,
    Entity,
    EntityField,
    Invalid,
    changed_fields,
    check_record,
    failed,
    normalize_value,
    parse_date,
    parse_datetime,
    parse_money,
    parse_quantity,
)
from services.platform.values import (  # noqa: F401
    is_uuid,
    normalize_email,
    normalize_phone,
    parse_expected_version,
    validation_failed,
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
    *fields.record_tail(),
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
    *fields.record_tail(),
)


ACCOUNT = Entity("account", ACCOUNT_FIELDS)
CONTACT = Entity("contact", CONTACT_FIELDS)


_Invalid = Invalid


def clean_changes(entity: Entity, data: Any) -> dict[str, Any]:
    """Validate and normalize the writable fields a caller sent (create or update).

    As :func:`services.platform.fields.clean_changes`, with this service's lists
    (addresses, emails, phones, product lines); null clears a list (stored empty).
    """
    return fields.clean_changes(entity, data, clean_list=_clean_list)


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


def check_parent(account_id: str | None, parent_id: str | None) -> None:
    """An account may not be its own parent."""
    if parent_id is not None and parent_id == account_id:
        raise _failed([{"field": "parent_id", "message": "an account cannot be its own parent"}])


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

#: How alike two names must be (pg_trgm similarity) to be offered as duplicates, and
#: how many are offered: the suite's one setting (services/platform/similar.py).
NAME_SIMILARITY_THRESHOLD = similar.NAME_SIMILARITY_THRESHOLD
MAX_SIMILAR = similar.MAX_SIMILAR

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
