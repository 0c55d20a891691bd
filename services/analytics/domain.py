"""What analytics reports on and what a report may ask: pure rules, no I/O.

* :data:`EVENTS` — which owning service's event keeps which read model, and how.
* :data:`ENTITIES` — the entities a report runs over, each field a report may filter,
  group or aggregate by, with its type.
* :func:`check_report` — a report spec (API.md's ``reports``: ``entity``, ``filters``,
  ``group_by``, ``aggregates``, ``chart``) made canonical, or :class:`ValidationFailed`
  naming the field that is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from services.platform.fields import failed as _failed

# --- events ------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventRule:
    """What one event does to the read model: ``upsert`` the record at ``path`` (None:
    the data itself), mark it ``delete``d, or also record a ``stage`` change."""

    entity: str
    action: str  # upsert | delete | merge | stage | patch
    path: str | None = None
    #: values the event sets besides its data (``patch``: ``linked`` for email_linked)
    sets: tuple[tuple[str, Any], ...] = ()


def _rules(entity: str, upserts: list[str], deletes: list[str], **extra: EventRule) -> dict:
    out: dict[str, EventRule] = {name: EventRule(entity, "upsert") for name in upserts}
    out.update({name: EventRule(entity, "delete") for name in deletes})
    out.update(extra)
    return out


#: (source service, event type) → rule. Every record event of the entities reported on.
EVENTS: dict[tuple[str, str], EventRule] = {
    **{
        ("leads", name): rule
        for name, rule in _rules(
            "lead",
            [
                "lead_created",
                "lead_updated",
                "lead_qualified",
                "lead_disqualified",
                "lead_reopened",
                "lead_handed_off",
                "lead_converted",
                "lead_assigned",
            ],
            ["lead_deleted"],
            leads_merged=EventRule("lead", "merge"),
            lead_stage_changed=EventRule("lead", "stage", "lead"),
        ).items()
    },
    **{
        ("sales", name): rule
        for name, rule in {
            **_rules("account", ["account_created", "account_updated"], ["account_deleted"]),
            **_rules("contact", ["contact_created", "contact_updated"], ["contact_deleted"]),
            **_rules(
                "opportunity",
                [
                    "opportunity_created",
                    "opportunity_updated",
                    "opportunity_won",
                    "opportunity_lost",
                ],
                ["opportunity_deleted"],
                opportunity_stage_changed=EventRule("opportunity", "stage", "opportunity"),
            ),
            **_rules(
                "activity",
                ["activity_created", "activity_updated", "activity_completed"],
                ["activity_deleted"],
            ),
            **_rules(
                "forecast_plan",
                ["forecast_plan_created", "forecast_plan_updated"],
                ["forecast_plan_deleted"],
            ),
            **_rules(
                "opportunity_stage",
                ["opportunity_stage_created", "opportunity_stage_updated"],
                ["opportunity_stage_deleted"],
            ),
            "account_merged": EventRule("account", "merge"),
            "contact_merged": EventRule("contact", "merge"),
        }.items()
    },
    **{
        ("orders", name): rule
        for name, rule in {
            **_rules(
                "order",
                ["order_placed", "order_updated", "order_cancelled", "stock_reserved"],
                [],
                order_status_changed=EventRule("order", "upsert", "order"),
                stock_reservation_failed=EventRule("order", "upsert", "order"),
            ),
            **_rules("product", ["product_created", "product_updated"], []),
            **_rules(
                "invoice",
                [
                    "invoice_created",
                    "invoice_updated",
                    "invoice_issued",
                    "invoice_paid",
                    "invoice_overdue",
                    "invoice_cancelled",
                ],
                [],
                invoice_payment_registered=EventRule("invoice", "upsert", "invoice"),
            ),
        }.items()
    },
    # Mail and processes: each event tells part of a record (a message received, then
    # linked; a task made, then done), so each is laid over what is kept (``patch``).
    **{
        ("mail", name): EventRule("email", "patch", sets=sets)
        for name, sets in (
            ("email_received", ()),
            ("email_sent", ()),
            ("email_linked", (("linked", "yes"),)),
        )
    },
    **{
        ("processes", name): EventRule("process_instance", "patch")
        for name in (
            "process_instance_started",
            "process_instance_completed",
            "process_instance_failed",
            "process_instance_cancelled",
        )
    },
    **{
        ("processes", name): EventRule("process_task", "patch")
        for name in ("process_task_created", "process_task_completed", "process_task_cancelled")
    },
}

#: read models every user may read whole (no owner or team decides who sees them)
CATALOGUE = frozenset({"product"})

#: how far along a record of these states is: a later state is never undone by an
#: earlier one arriving late (the version a ``patch`` keeps)
_STATE_RANK = {
    "running": 1,
    "waiting": 1,
    "open": 1,
    "failed": 2,
    "completed": 3,
    "cancelled": 3,
}


def patch_of(rule: EventRule, data: dict[str, Any]) -> dict[str, Any] | None:
    """The part of a record a mail or processes event tells, shaped as the read model
    keeps it: whom it counts for as ``owner_id``, its moment as ``created_at``, how far
    along it is as ``version``. None when it names no record."""
    if not data.get("id"):
        return None
    out = {key: value for key, value in data.items() if value is not None}
    out.update(dict(rule.sets))
    if rule.entity == "email":
        out["owner_id"] = data.get("user_id")
        out["created_at"] = data.get("sent_at")
        out["version"] = 1
    elif rule.entity == "process_instance":
        out["definition_version"] = data.get("version")
        out["version"] = _STATE_RANK.get(str(data.get("state")), 1)
        out["created_at"] = data.get("started_at")
        out["updated_at"] = data.get("ended_at") or data.get("started_at")
    elif rule.entity == "process_task":
        out["owner_id"] = data.get("assignee_id")
        out["version"] = _STATE_RANK.get(str(data.get("state")), 1)
        out["updated_at"] = data.get("completed_at") or data.get("created_at")
    # what this part does not tell (an email_linked says nothing of whom the message
    # counts for) must not blank what another part told
    return {key: value for key, value in out.items() if value is not None}


def record_of(rule: EventRule, data: dict[str, Any]) -> dict[str, Any] | None:
    """The record an event carries (None when it carries none with an id)."""
    record = data.get(rule.path) if rule.path else data
    if isinstance(record, dict) and record.get("id"):
        return record
    return None


def merged_ids(data: dict[str, Any]) -> list[str]:
    """The ids a merge removed: ``merged_ids`` (leads) or ``merged_id`` (sales)."""
    if data.get("merged_ids"):
        return [str(i) for i in data["merged_ids"]]
    return [str(data["merged_id"])] if data.get("merged_id") else []


def stage_change(entity: str, data: dict[str, Any]) -> tuple[str, str | None, str, Any] | None:
    """``(record_id, from_stage, to_stage, at)`` of a stage-change event."""
    if entity == "lead":
        if not data.get("lead_id") or not data.get("to_stage"):
            return None
        return (
            str(data["lead_id"]),
            data.get("from_stage"),
            data["to_stage"],
            data.get("changed_at"),
        )
    deal = data.get("opportunity") or {}
    if not deal.get("id") or not data.get("to_stage_id"):
        return None
    return (
        str(deal["id"]),
        data.get("from_stage_id"),
        str(data["to_stage_id"]),
        deal.get("stage_entered_at") or deal.get("updated_at"),
    )


def first_stage(entity: str, record: dict[str, Any]) -> tuple[str, Any] | None:
    """The stage a new record starts in, and since when."""
    if entity == "lead" and record.get("stage"):
        return record["stage"], record.get("created_at")
    if entity == "opportunity" and record.get("stage_id"):
        return str(record["stage_id"]), record.get("stage_entered_at") or record.get("created_at")
    return None


# --- what a report runs over ------------------------------------------------------------

TEXT, ID, NUMBER, DATE, DATETIME = "text", "id", "number", "date", "datetime"

_COMMON = {"owner_id": ID, "team_id": ID, "created_at": DATETIME, "updated_at": DATETIME}

#: report entity (the API's plural) → (read-model entity, its fields and their types)
ENTITIES: dict[str, tuple[str, dict[str, str]]] = {
    "leads": (
        "lead",
        {
            **_COMMON,
            "source": TEXT,
            "channel": TEXT,
            "need_type": TEXT,
            "need_maturity": TEXT,
            "stage": TEXT,
            "region": TEXT,
            "score": NUMBER,
            "disqualification_reason": TEXT,
            "utm_source": TEXT,
            "utm_medium": TEXT,
            "utm_campaign": TEXT,
            "account_name": TEXT,
            "account_id": ID,
            "contact_id": ID,
            "opportunity_id": ID,
        },
    ),
    "opportunities": (
        "opportunity",
        {
            **_COMMON,
            "stage_id": ID,
            "status": TEXT,
            "need_type": TEXT,
            "currency": TEXT,
            "amount": NUMBER,
            "budget": NUMBER,
            "probability": NUMBER,
            "close_date": DATE,
            "lost_reason": TEXT,
            "account_id": ID,
            "contact_id": ID,
            "lead_id": ID,
            "stage_entered_at": DATETIME,
        },
    ),
    "orders": (
        "order",
        {
            **_COMMON,
            "status": TEXT,
            "currency": TEXT,
            "total": NUMBER,
            "subtotal": NUMBER,
            "tax_total": NUMBER,
            "discount_total": NUMBER,
            "account_id": ID,
            "opportunity_id": ID,
            "accounting_status": TEXT,
        },
    ),
    "invoices": (
        "invoice",
        {
            **_COMMON,
            "status": TEXT,
            "currency": TEXT,
            "total": NUMBER,
            "paid_amount": NUMBER,
            "due_date": DATE,
            "issued_at": DATETIME,
            "paid_at": DATETIME,
            "account_id": ID,
            "order_id": ID,
        },
    ),
    "activities": (
        "activity",
        {
            **_COMMON,
            "type": TEXT,
            "status": TEXT,
            "priority": TEXT,
            "start_at": DATETIME,
            "due_at": DATETIME,
            "completed_at": DATETIME,
            "related_type": TEXT,
            "related_id": ID,
        },
    ),
    "accounts": (
        "account",
        {**_COMMON, "type": TEXT, "industry": TEXT, "parent_id": ID},
    ),
    "contacts": ("contact", {**_COMMON, "account_id": ID, "job_title": TEXT}),
    # the catalogue: everyone may read it (CATALOGUE), whoever made a product
    "products": (
        "product",
        {**_COMMON, "code": TEXT, "category": TEXT, "unit": TEXT, "is_active": TEXT},
    ),
    # mail: owner_id is whom a message counts for (the mailbox's owner; its sender for
    # one sent through Osprey), direction incoming (received) or outgoing (sent)
    "emails": (
        "email",
        {**_COMMON, "direction": TEXT, "mailbox_id": ID, "sent_at": DATETIME, "linked": TEXT},
    ),
    # processes: an instance's owner and team are its record's
    "process_instances": (
        "process_instance",
        {
            **_COMMON,
            "definition_id": ID,
            "name": TEXT,
            "state": TEXT,
            "record_type": TEXT,
            "started_at": DATETIME,
            "ended_at": DATETIME,
        },
    ),
    # a user task: owner_id is its assignee; state open, completed or cancelled
    "process_tasks": (
        "process_task",
        {
            **_COMMON,
            "name": TEXT,
            "state": TEXT,
            "assignee_id": ID,
            "instance_id": ID,
            "due_at": DATETIME,
            "completed_at": DATETIME,
            "completed_by": ID,
        },
    ),
}

#: what a read model keeps of a record besides the fields reports use: what shows it
#: (names, numbers) and, for the entities only charts read, their own fields. The rest
#: of an event (``changed_fields``, ``similar``, …) is not the record's.
_SHOWN = {"id", "version", "name", "title", "contact_name", "full_name", "number"}
_MODEL_FIELDS: dict[str, set[str]] = {
    model: {*fields, *_SHOWN} for model, fields in ENTITIES.values()
} | {
    "opportunity_stage": {*_SHOWN, "position", "probability", "is_final", "is_successful"},
    "forecast_plan": {
        *_SHOWN,
        *_COMMON,
        "period_kind",
        "period_start",
        "period_end",
        "currency",
        "plan_amount",
    },
}


def kept(model: str, record: dict[str, Any]) -> dict[str, Any]:
    """The part of ``record`` the read model keeps."""
    names = _MODEL_FIELDS.get(model)
    if names is None:
        return dict(record)
    return {name: value for name, value in record.items() if name in names}


BUCKETS = ("day", "week", "month", "quarter", "year")
FUNCTIONS = ("count", "sum", "avg", "min", "max")
CHARTS = ("bar", "line", "pie", "funnel", "table", "number")
MAX_GROUPS = 2
MAX_AGGREGATES = 6
#: rows a report returns at most (the rest is cut, and the answer says so)
MAX_ROWS = 1000
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Group:
    field: str
    kind: str
    bucket: str | None = None

    @property
    def key(self) -> str:
        return f"{self.field}_{self.bucket}" if self.bucket else self.field


@dataclass(frozen=True)
class Aggregate:
    fn: str
    field: str | None
    kind: str | None

    @property
    def key(self) -> str:
        return "count" if self.fn == "count" else f"{self.fn}_{self.field}"


@dataclass(frozen=True)
class Filter:
    field: str
    kind: str
    values: tuple[Any, ...] = ()  # any of
    low: Any = None  # a range, either end open
    high: Any = None


@dataclass(frozen=True)
class Report:
    entity: str
    model: str
    groups: tuple[Group, ...]
    aggregates: tuple[Aggregate, ...]
    filters: tuple[Filter, ...]
    chart: str

    def as_spec(self) -> dict[str, Any]:
        return {
            "entity": self.entity,
            "group_by": [
                {"field": g.field, "bucket": g.bucket} if g.bucket else {"field": g.field}
                for g in self.groups
            ],
            "aggregates": [
                {"fn": a.fn, "field": a.field} if a.field else {"fn": a.fn} for a in self.aggregates
            ],
            "filters": {f.field: _filter_text(f) for f in self.filters},
            "chart": self.chart,
        }


def fields_of(entity: str) -> dict[str, str]:
    return ENTITIES[entity][1]


def check_report(spec: Any) -> Report:
    """A report spec checked and made canonical."""
    if not isinstance(spec, dict):
        raise _failed("report", "must be an object")
    entity = _text(spec.get("entity"))
    if entity not in ENTITIES:
        raise _failed("entity", f"must be one of {', '.join(ENTITIES)}")
    model, fields = ENTITIES[entity]
    groups = tuple(_group(item, fields, n) for n, item in enumerate(_list(spec, "group_by")))
    if len(groups) > MAX_GROUPS:
        raise _failed("group_by", f"at most {MAX_GROUPS} fields")
    if len({g.key for g in groups}) != len(groups):
        raise _failed("group_by", "the same grouping twice")
    raw_aggregates = _list(spec, "aggregates") or [{"fn": "count"}]
    aggregates = tuple(_aggregate(item, fields, n) for n, item in enumerate(raw_aggregates))
    if len(aggregates) > MAX_AGGREGATES:
        raise _failed("aggregates", f"at most {MAX_AGGREGATES}")
    if len({a.key for a in aggregates}) != len(aggregates):
        raise _failed("aggregates", "the same aggregate twice")
    raw_filters = spec.get("filters") or {}
    if not isinstance(raw_filters, dict):
        raise _failed("filters", "must be an object of field: value")
    filters = tuple(_filter(name, value, fields) for name, value in raw_filters.items())
    chart = spec.get("chart") or "table"
    if chart not in CHARTS:
        raise _failed("chart", f"must be one of {', '.join(CHARTS)}")
    return Report(entity, model, groups, aggregates, filters, chart)


def _text(value: Any) -> str | None:
    """A name the spec gives, or None when it is no text (an object or a list cannot be
    looked up among the names, and is refused as an unknown one)."""
    return value if isinstance(value, str) else None


def _list(spec: dict[str, Any], name: str) -> list[Any]:
    value = spec.get(name) or []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise _failed(name, "must be a list")
    return value


def _group(item: Any, fields: dict[str, str], n: int) -> Group:
    where = f"group_by[{n}]"
    if isinstance(item, str):
        name, _, bucket = item.partition(":")
        item = {"field": name, "bucket": bucket or None}
    if not isinstance(item, dict):
        raise _failed(where, "must be a field name or {field, bucket}")
    name, bucket = _text(item.get("field")), item.get("bucket")
    if name not in fields:
        raise _failed(where, f"unknown field {str(name)[:60]!r}")
    kind = fields[name]
    if kind in (DATE, DATETIME):
        bucket = bucket or "month"
        if bucket not in BUCKETS:
            raise _failed(where, f"bucket must be one of {', '.join(BUCKETS)}")
    elif bucket:
        raise _failed(where, "only dates are bucketed")
    elif kind == NUMBER:
        raise _failed(where, "numbers are aggregated, not grouped by")
    return Group(name, kind, bucket)


def _aggregate(item: Any, fields: dict[str, str], n: int) -> Aggregate:
    where = f"aggregates[{n}]"
    if not isinstance(item, dict):
        raise _failed(where, "must be {fn, field}")
    fn, name = item.get("fn"), _text(item.get("field"))
    if fn not in FUNCTIONS:
        raise _failed(where, f"fn must be one of {', '.join(FUNCTIONS)}")
    if fn == "count":
        return Aggregate("count", None, None)
    if name not in fields:
        raise _failed(where, f"unknown field {str(name)[:60]!r}")
    kind = fields[name]
    if fn in ("sum", "avg") and kind != NUMBER:
        raise _failed(where, f"{fn} needs a number field")
    if fn in ("min", "max") and kind not in (NUMBER, DATE, DATETIME):
        raise _failed(where, f"{fn} needs a number or a date field")
    return Aggregate(fn, name, kind)


def _filter(name: Any, value: Any, fields: dict[str, str]) -> Filter:
    where = f"filters.{str(name)[:60]}"
    if name not in fields:
        raise _failed(where, "unknown field")
    kind = fields[name]
    if isinstance(value, list):
        value = ",".join(str(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _failed(where, "must be a value, a comma-separated list or a range a..b")
    text = str(value).strip()
    if len(text) > 2000 or "\x00" in text:
        raise _failed(where, "too long or not text")
    if kind in (NUMBER, DATE, DATETIME) and ".." in text:
        low, _, high = text.partition("..")
        return Filter(
            name,
            kind,
            low=_typed(low.strip(), kind, where) if low.strip() else None,
            high=_typed(high.strip(), kind, where) if high.strip() else None,
        )
    values = tuple(_typed(v.strip(), kind, where) for v in text.split(",") if v.strip())
    if not values:
        raise _failed(where, "needs a value")
    return Filter(name, kind, values=values)


def _typed(text: str, kind: str, where: str) -> Any:
    if kind == ID:
        if not _UUID.match(text.lower()):
            raise _failed(where, f"{text[:40]!r} is not an id")
        return text.lower()
    if kind == NUMBER:
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise _failed(where, f"{text[:40]!r} is not a number") from None
        if not number.is_finite() or abs(number) > Decimal("1e15"):
            raise _failed(where, f"{text[:40]!r} is out of range")
        return number
    if kind == DATE:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise _failed(where, f"{text[:40]!r} is not a date (YYYY-MM-DD)") from None
    if kind == DATETIME:
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise _failed(where, f"{text[:40]!r} is not a date or a time (ISO 8601)") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return when
    return text[:300]


def _filter_text(f: Filter) -> str:
    if f.values:
        return ",".join(str(v) for v in f.values)
    low = "" if f.low is None else str(f.low)
    high = "" if f.high is None else str(f.high)
    return f"{low}..{high}"


# --- the lead funnel ---------------------------------------------------------------------

#: the stages a lead goes through on its way to a sale, in order
LEAD_FUNNEL = ("qualification", "distribution", "handoff", "awaiting_sale", "converted")


def funnel_rows(entered: dict[str, int], seconds: dict[str, float | None]) -> list[dict]:
    """Each funnel stage with how many entered it, the share of the previous stage's
    that went on to it, and the average time spent in it."""
    rows = []
    previous: int | None = None
    for stage in LEAD_FUNNEL:
        count = entered.get(stage, 0)
        rate = None if previous in (None, 0) else round(count / previous, 4)
        average = seconds.get(stage)
        rows.append(
            {
                "stage": stage,
                "count": count,
                "conversion_rate": rate,
                "average_seconds": None if average is None else round(average, 1),
            }
        )
        previous = count
    return rows
