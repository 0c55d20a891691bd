"""``filter[<field>]`` of the feed's own lists (API.md: every collection filters by its
fields, a comma meaning "any of"): notifications by kind, whether read, and record;
channels by whether private and by a member. Each list's filters are documented from
the same table the query is checked against."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

from services.platform.errors import ValidationFailed

from ..list_params import filter_schema

#: what a notification is about (services/feed/domain.NOTIFICATION_KINDS)
NOTIFICATION_KINDS = ("mention", "comment", "like", "assignment", "system")
RECORD_TYPES = ("lead", "opportunity", "account", "contact", "order", "invoice", "activity")

#: each list's filters: name → (kind, options, description)
NOTIFICATION_FILTERS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "kind": ("enum", NOTIFICATION_KINDS, "Notifications of any of these kinds"),
    "read": ("bool", (), "true: read ones only; false: unread ones only (as ?unread=true)"),
    "related_type": ("enum", RECORD_TYPES, "About a record of any of these types"),
    "related_id": ("uuid", (), "About any of these records"),
}
CHANNEL_FILTERS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "is_private": ("bool", (), "true: private channels only; false: public ones only"),
    "member_ids": ("uuid", (), "Channels any of these users is a member of"),
}


def document(filters: dict[str, tuple[str, tuple[str, ...], str]]) -> dict[str, Any]:
    """The ``openapi_extra`` of a list taking these filters."""
    return {
        "parameters": [
            {
                "name": f"filter[{name}]",
                "in": "query",
                "required": False,
                "description": description,
                "schema": filter_schema(kind, options),
            }
            for name, (kind, options, description) in filters.items()
        ]
    }


def parse(request: Request, filters: dict[str, tuple[str, tuple[str, ...], str]]) -> dict[str, Any]:
    """The list's ``filter[...]`` values: booleans as bools, the others as lists of
    values; a field the list does not filter by, or a value not of its kind, is a 422."""
    found: dict[str, Any] = {}
    problems: list[dict[str, str]] = []
    for key, value in parse_qsl(request.url.query, keep_blank_values=True):
        if not (key.startswith("filter[") and key.endswith("]")):
            continue
        name = key[len("filter[") : -1]
        if name not in filters:
            problems.append({"field": key, "message": "cannot filter by this field"})
            continue
        kind, options, _ = filters[name]
        if kind == "bool":
            if value.strip().lower() not in ("true", "false"):
                problems.append({"field": key, "message": "must be true or false"})
            else:
                found[name] = value.strip().lower() == "true"
            continue
        if not re.search(filter_schema(kind, options)["pattern"], value):
            message = f"must be any of {', '.join(options)}" if options else "give ids (UUIDs)"
            problems.append({"field": key, "message": message})
            continue
        values = [v.strip() for v in value.split(",") if v.strip()]
        found.setdefault(name, []).extend(values)
    if problems:
        raise ValidationFailed("The query string is not valid", problems)
    return found
