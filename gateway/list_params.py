"""What each list takes in its query string, for the OpenAPI document.

The services own the truth: each list's ``ListSpec`` (services/platform/list_spec.py)
names the fields it filters and sorts by and whether it has a search box. The gateway
imports no service, so :data:`LISTS` restates them by operation id, and
tests/gateway/test_list_params.py fails the moment a service's spec and this table
differ — the document cannot drift from what the services accept.

:func:`document_filters` turns a list's free-form ``filter`` family into one
``filter[<field>]`` parameter per field with its type, ``sort`` into an enum, ``limit``
into its bounds, and drops ``q`` from lists without a search box.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .listing import DEFAULT_LIMIT, MAX_LIMIT

#: ``(kind, options)`` of one filter; kinds as services/platform/list_spec.FilterKind.
FilterDoc = tuple[str, tuple[str, ...]]

_UUID = "[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"
_DATE = "[0-9]{4}-[0-9]{2}-[0-9]{2}"


def _any_of(one: str) -> str:
    """A comma-separated list of values each matching ``one`` (spaces allowed)."""
    return rf"^\s*(?:{one})\s*(?:,\s*(?:{one})\s*)*$"


@dataclass(frozen=True)
class ListParams:
    filters: dict[str, FilterDoc]
    sorts: tuple[str, ...]
    default_sort: str
    searchable: bool
    #: filters a list takes that are no column of its spec (checked by its service)
    extra: dict[str, FilterDoc] = field(default_factory=dict)


def _f(kind: str, *options: str) -> FilterDoc:
    return (kind, options)


_TIMES = {"created_at": _f("datetime"), "updated_at": _f("datetime")}
_OWNED = {"owner_id": _f("uuid"), "team_id": _f("uuid")}
_LEAD_STAGES = (
    "qualification",
    "distribution",
    "handoff",
    "awaiting_sale",
    "converted",
    "disqualified",
    "nurturing",
)
_RELATED = ("lead", "contact", "account", "opportunity", "order")

#: Each list by its operation id (the services' ``ListSpec``; see the module).
LISTS: dict[str, ListParams] = {
    "list_users": ListParams(
        {"team_id": _f("uuid"), "is_active": _f("bool")},
        ("created_at", "email", "full_name"),
        "full_name",
        True,
    ),
    "list_leads": ListParams(
        {
            "stage": _f("enum", *_LEAD_STAGES),
            **_OWNED,
            "source": _f("text"),
            "region": _f("text"),
            "channel": _f("text"),
            "need_type": _f("text"),
            "need_maturity": _f("enum", "unknown", "interest", "need", "intention", "ready"),
            "email": _f("text"),
            "contact_name": _f("contains"),
            "account_name": _f("contains"),
            **_TIMES,
            "reached_stage": _f("enum", *_LEAD_STAGES),
        },
        ("account_name", "contact_name", "created_at", "score", "stage", "updated_at"),
        "-created_at",
        True,
    ),
    "list_accounts": ListParams(
        {
            "type": _f("enum", "customer", "partner", "competitor", "supplier", "our_company"),
            "industry": _f("text"),
            "parent_id": _f("uuid"),
            **_OWNED,
            "name": _f("contains"),
            **_TIMES,
        },
        ("created_at", "name", "type", "updated_at"),
        "-created_at",
        True,
    ),
    "list_contacts": ListParams(
        {"account_id": _f("uuid"), **_OWNED, "full_name": _f("contains"), **_TIMES},
        ("created_at", "full_name", "updated_at"),
        "-created_at",
        True,
    ),
    "list_opportunities": ListParams(
        {
            "stage_id": _f("uuid"),
            "status": _f("enum", "open", "won", "lost"),
            **_OWNED,
            "account_id": _f("uuid"),
            "contact_id": _f("uuid"),
            "lead_id": _f("uuid"),
            "need_type": _f("text"),
            "lost_reason": _f("text"),
            "title": _f("contains"),
            "close_date": _f("datetime"),
            **_TIMES,
        },
        ("amount", "close_date", "created_at", "title", "updated_at"),
        "-created_at",
        True,
    ),
    "list_activities": ListParams(
        {
            "type": _f("enum", "task", "call", "meeting", "email"),
            "status": _f("enum", "not_started", "in_progress", "completed", "cancelled"),
            "priority": _f("enum", "low", "normal", "high"),
            **_OWNED,
            "related_type": _f("enum", *_RELATED),
            "related_id": _f("uuid"),
            "source": _f("enum", "google", "exchange"),
            "title": _f("contains"),
            "start_at": _f("datetime"),
            "due_at": _f("datetime"),
            **_TIMES,
        },
        ("created_at", "due_at", "start_at", "title", "updated_at"),
        "-created_at",
        True,
    ),
    "list_forecasts": ListParams(
        {
            "period_kind": _f("enum", "month", "quarter", "year"),
            "period_start": _f("date"),
            **_OWNED,
            "currency": _f("text"),
        },
        ("created_at", "period_start"),
        "-period_start",
        False,
    ),
    "list_products": ListParams(
        {
            "code": _f("contains"),
            "name": _f("contains"),
            "category": _f("text"),
            "is_active": _f("bool"),
            **_TIMES,
        },
        ("code", "created_at", "name", "updated_at"),
        "name",
        True,
    ),
    "list_price_lists": ListParams(
        {"name": _f("text"), "currency": _f("text"), "is_default": _f("bool")},
        ("created_at", "name"),
        "name",
        False,
    ),
    "list_orders": ListParams(
        {
            "number": _f("contains"),
            "status": _f(
                "enum", "draft", "confirmed", "in_progress", "shipped", "completed", "cancelled"
            ),
            "accounting_status": _f(
                "enum", "not_sent", "waiting", "reserved", "rejected", "shipped", "cancelled"
            ),
            "account_id": _f("uuid"),
            "contact_id": _f("uuid"),
            "opportunity_id": _f("uuid"),
            **_OWNED,
            **_TIMES,
        },
        ("created_at", "number", "total", "updated_at"),
        "-created_at",
        True,
    ),
    "list_invoices": ListParams(
        {
            "number": _f("contains"),
            "status": _f("enum", "draft", "issued", "paid", "overdue", "cancelled"),
            "order_id": _f("uuid"),
            "account_id": _f("uuid"),
            **_OWNED,
            "due_date": _f("date"),
            **_TIMES,
        },
        ("created_at", "due_date", "number", "total", "updated_at"),
        "-created_at",
        True,
    ),
    # every one on one page: they take no filters (their services ignore them)
    "list_mailboxes": ListParams({}, (), "email", False),
    "list_reports": ListParams({}, (), "name", False),
    "list_exchange_connections": ListParams({}, (), "email", False),
    # mail keeps no ListSpec: its filters are read by hand (services/integrations/mail)
    "list_emails": ListParams(
        {},
        (),
        "-sent_at",
        False,
        extra={
            "record_type": _f(
                "enum", "contact", "account", "opportunity", "lead", "order", "invoice"
            ),
            "record_id": _f("uuid"),
            "needs_processing": _f("bool"),
            "mailbox_id": _f("uuid"),
            "thread_key": _f("text"),
        },
    ),
}


def filter_schema(kind: str, options: tuple[str, ...] = ()) -> dict[str, Any]:
    """The schema of one ``filter[<field>]`` value (a comma means "any of")."""
    if kind == "enum":
        return {"type": "string", "pattern": _any_of("|".join(options))}
    if kind == "uuid":
        return {"type": "string", "pattern": _any_of(_UUID)}
    if kind == "bool":
        return {"type": "boolean"}
    if kind == "int":
        return {"type": "string", "pattern": _any_of("-?[0-9]{1,18}")}
    if kind == "date":
        return {"type": "string", "pattern": _any_of(_DATE)}
    if kind == "datetime":
        end = r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9:.]+(?:Z|[+-][0-9]{2}:?[0-9]{2})?)?"
        return {
            "type": "string",
            "pattern": rf"^\s*(?:{end}\s*\.\.\s*(?:{end})?|\.\.\s*{end})\s*$",
            "examples": ["2026-01-01..2026-02-01", "2026-01-01T09:00:00Z..", "..2026-12-31"],
        }
    # text and contains: some text; values at most 500 characters
    return {"type": "string", "minLength": 1, "pattern": r"[^,\s]"}


_DESCRIPTIONS = {
    "enum": "Any of these values, comma-separated",
    "uuid": "Any of these ids, comma-separated",
    "bool": "true or false",
    "int": "Any of these whole numbers, comma-separated",
    "date": "Any of these dates (YYYY-MM-DD), comma-separated",
    "datetime": "A range from..to (dates or ISO times, either end open; `to` excluded, "
    "a date-only `to` includes that day)",
    "contains": "Records whose value contains this text (any letter case)",
    "text": "Any of these values, comma-separated",
}


def filter_parameters(params: ListParams) -> list[dict[str, Any]]:
    return [
        {
            "name": f"filter[{name}]",
            "in": "query",
            "required": False,
            "description": _DESCRIPTIONS[kind],
            "schema": filter_schema(kind, options),
        }
        for name, (kind, options) in {**params.filters, **params.extra}.items()
    ]


def document_filters(operation: dict[str, Any]) -> None:
    """A list's query parameters as its service takes them (see the module)."""
    params = LISTS.get(operation.get("operationId", ""))
    if params is None:
        return
    kept: list[dict[str, Any]] = []
    for param in operation.get("parameters", []):
        name = param["name"]
        if param["in"] == "query" and name == "filter":
            continue
        if param["in"] == "query" and name == "q" and not params.searchable:
            continue
        if param["in"] == "query" and name == "sort":
            if not params.sorts:
                continue
            sorts = [s for f in params.sorts for s in (f, f"-{f}")]
            param["schema"] = {"type": "string", "enum": sorts}
            param["description"] = (
                f"A field, `-` in front for descending; `{params.default_sort}` when left out"
            )
        if param["in"] == "query" and name == "limit":
            param["schema"] = {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "default": DEFAULT_LIMIT,
            }
        kept.append(param)
    operation["parameters"] = kept + filter_parameters(params)
