"""The rules every sales record keeps: what its fields accept (lists of addresses,
emails, phones and product lines included), a new record's defaults, and who may put
a record in another team.

Pure functions, no I/O: the parts load and store, these decide. Every problem with the
caller's data is collected and raised at once as one :class:`ValidationFailed`, each
error naming its field (``emails[1].email`` for a piece of a list).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.platform import fields
from services.platform.access import Actor
from services.platform.errors import PermissionDenied
from services.platform.fields import (
    CENT,
    Entity,
    EntityField,
    Invalid,
    check_record,
    parse_money,
    parse_percent,
    parse_quantity,
)
from services.platform.values import is_uuid, normalize_email, normalize_phone

ADDRESS_KINDS: tuple[str, ...] = ("billing", "shipping", "office", "other")
EMAIL_KINDS: tuple[str, ...] = ("work", "personal", "other")
PHONE_KINDS: tuple[str, ...] = ("work", "mobile", "home", "other")
MAX_LIST_ITEMS = 20

#: The parts of an address and the longest text each holds.
ADDRESS_PARTS: dict[str, int] = {
    "street": 300,
    "city": 100,
    "region": 100,
    "postcode": 20,
    "country": 100,
}


def clean_changes(entity: Entity, data: Any) -> dict[str, Any]:
    """Validate and normalize the writable fields a caller sent (create or update).

    As :func:`services.platform.fields.clean_changes`, with this service's lists
    (addresses, emails, phones, product lines); null clears a list (stored empty).
    """
    return fields.clean_changes(entity, data, clean_list=clean_list)


def clean_list(spec: EntityField, value: Any, errors: list[dict[str, str]]) -> list[dict]:
    """A list field's items, checked and normalized; problems are added to ``errors``."""
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
            clean.append(clean_address(where, item, errors))
        elif spec.items == "line":
            clean.append(clean_line(where, item, errors))
        else:
            clean.append(clean_channel(spec.items or "", where, item, errors))
    primaries = sum(1 for item in clean if item.get("is_primary"))
    if spec.items in ("email", "phone") and primaries > 1:
        errors.append({"field": spec.name, "message": "at most one may be primary"})
    return clean


def clean_address(where: str, item: Mapping[str, Any], errors: list[dict[str, str]]) -> dict:
    """One address: ``{kind, street, city, region, postcode, country}`` (missing parts None)."""
    clean: dict[str, Any] = {}
    for key in item:
        if key != "kind" and key not in ADDRESS_PARTS:
            errors.append({"field": f"{where}.{key}", "message": "unknown field"})
    kind = item.get("kind")
    if kind is not None and kind not in ADDRESS_KINDS:
        errors.append(
            {"field": f"{where}.kind", "message": f"must be one of {', '.join(ADDRESS_KINDS)}"}
        )
    clean["kind"] = kind or "other"
    for part, max_length in ADDRESS_PARTS.items():
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
    """Quantity × price less the line's discount (a percentage of it), each rounded
    half-up to the cent — as an order's line is, so an order made from the deal agrees."""
    amount = (Decimal(line["quantity"]) * Decimal(line["price"])).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
    discount = Decimal(line.get("discount") or 0)
    off = (amount * discount / Decimal(100)).quantize(CENT, rounding=ROUND_HALF_UP)
    return amount - off


def clean_line(where: str, item: Mapping[str, Any], errors: list[dict[str, str]]) -> dict:
    """One product line: ``{product_id, quantity, price, discount?}`` stored as strings
    (JSON); the discount is a percentage, kept only when it is not zero."""
    for key in item:
        if key not in ("product_id", "quantity", "price", "discount"):
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
        except Invalid as exc:
            errors.append({"field": f"{where}.{name}", "message": str(exc)})
    if item.get("discount") not in (None, ""):
        try:
            discount = parse_percent(item["discount"])
        except Invalid as exc:
            errors.append({"field": f"{where}.discount", "message": str(exc)})
        else:
            if discount:
                clean["discount"] = f"{discount:.2f}"
    return clean


def clean_channel(
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
        except Invalid as exc:
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


# --- a new record, a changed one ----------------------------------------------------------


def new_record_values(
    entity: Entity, changes: dict[str, Any], caller: Actor, *, record_id: str, now: datetime
) -> dict[str, Any]:
    """A new record's values: ``changes`` with defaults for owner, team, version and times.

    The owner defaults to the caller (an explicit null leaves it unassigned), the team
    to the caller's; only an administrator names another team (``PermissionDenied``).
    Lists default to empty. Raises ``ValidationFailed`` for a missing required field.
    ``team_id`` is taken out of ``changes``.
    """
    team_id = changes.pop("team_id", None)
    if team_id is not None and team_id != caller.team_id and not caller.is_admin:
        raise PermissionDenied(
            f"Only an administrator may put the {entity.name} in another team",
            [{"field": "team_id", "message": "only an administrator may set another team"}],
        )
    values = {
        **changes,
        "id": record_id,
        "owner_id": changes.get("owner_id", caller.id),
        "team_id": team_id or caller.team_id,
        "version": 1,
        "created_at": now,
        "updated_at": now,
        "created_by": caller.id,
    }
    for spec in entity.fields:
        if spec.type == "list":
            values.setdefault(spec.name, [])
    check_record(entity, values)
    return values


def clear_lists(entity: Entity, changes: dict[str, Any]) -> None:
    """A list field changed to null is stored empty."""
    for spec in entity.fields:
        if spec.type == "list" and spec.name in changes and changes[spec.name] is None:
            changes[spec.name] = []


def check_team_change(entity: Entity, changed: list[str], caller: Actor) -> None:
    """Only an administrator moves a record to another team."""
    if "team_id" in changed and not caller.is_admin:
        raise PermissionDenied(
            f"Only an administrator may move the {entity.name} to another team",
            [{"field": "team_id", "message": "only an administrator may change the team"}],
        )
