"""The rules of processes: who may do what, which record an event is about, which
definitions an event starts, what a user task's activity looks like, what a task's form
accepts, when an action in doubt may be sent again.

Pure functions: no SQLAlchemy, no Nameko, no I/O (conditions are evaluated by the
sandbox, which is pure too).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from services.platform.access import Actor
from services.platform.errors import Conflict, PermissionDenied, ValidationFailed

from . import sandbox

STATUSES = ("running", "waiting", "completed", "failed", "cancelled")
OPEN_STATUSES = ("running", "waiting", "failed")
TASK_STATES = ("open", "completed", "cancelled")
RECORD_TYPES = (
    "lead",
    "account",
    "contact",
    "opportunity",
    "activity",
    "order",
    "invoice",
    "email",
)

#: The Osprey user that process actions run as: a system actor, admin rights, named.
PROCESS_ACTOR_ID = "00000000-0000-0000-0000-000000000017"


def process_actor(definition_name: str) -> dict[str, Any]:
    return {
        "id": PROCESS_ACTOR_ID,
        "email": "processes@osprey.local",
        "full_name": f"Process: {definition_name}"[:300],
        "roles": ["system"],
        "team_id": None,
        "permissions": [],
    }


def failed(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field}: {message}", [{"field": field, "message": message}])


# --- rights -------------------------------------------------------------------------


def check_may_design(caller: Actor) -> None:
    """Definitions are written and deployed by administrators."""
    if not caller.is_admin:
        raise PermissionDenied(
            "Only an administrator may change or deploy processes",
            [{"field": "definition", "message": "administrators only"}],
        )


def check_may_administer(caller: Actor) -> None:
    """Retry, skip, cancel and migrate are an administrator's repairs."""
    if not caller.is_admin:
        raise PermissionDenied(
            "Only an administrator may repair a process instance",
            [{"field": "instance", "message": "administrators only"}],
        )


def instance_owner(data: Mapping[str, Any], actor: Mapping[str, Any] | None) -> tuple[Any, Any]:
    """``(owner_id, team_id)`` an instance is read under: its record's, else the starter's."""
    record = data.get("record") if isinstance(data.get("record"), Mapping) else {}
    if record.get("owner_id") or record.get("team_id"):
        return _uuid_or_none(record.get("owner_id")), _uuid_or_none(record.get("team_id"))
    starter = actor or {}
    return _uuid_or_none(starter.get("id")), _uuid_or_none(starter.get("team_id"))


def _uuid_or_none(value: Any) -> str | None:
    from services.platform.values import is_uuid

    return str(value) if is_uuid(value) else None


def may_complete_task(caller: Actor, assignee_id: str | None, candidate_role: str | None) -> bool:
    if caller.is_manager or caller.id == assignee_id:
        return True
    return assignee_id is None and candidate_role is not None and candidate_role in caller.roles


# --- events and records -------------------------------------------------------------

#: event type -> (record type, where the record is in ``data``: None = data itself)
RECORD_EVENTS: dict[str, tuple[str, str | None]] = {
    "lead_created": ("lead", None),
    "lead_updated": ("lead", None),
    "lead_stage_changed": ("lead", "lead"),
    "lead_qualified": ("lead", None),
    "lead_disqualified": ("lead", None),
    "lead_assigned": ("lead", None),
    "lead_handed_off": ("lead", None),
    "lead_converted": ("lead", None),
    "account_created": ("account", None),
    "contact_created": ("contact", None),
    "opportunity_created": ("opportunity", None),
    "opportunity_updated": ("opportunity", None),
    "opportunity_stage_changed": ("opportunity", "opportunity"),
    "opportunity_won": ("opportunity", None),
    "opportunity_lost": ("opportunity", None),
    "activity_completed": ("activity", None),
    "order_placed": ("order", None),
    "order_status_changed": ("order", "order"),
    "order_confirmed": ("order", "order"),
    "order_cancelled": ("order", None),
    "invoice_paid": ("invoice", None),
    "invoice_overdue": ("invoice", None),
    "email_received": ("email", None),
}

#: The events a start can be bound to, for the designer (``record_events``).
START_EVENTS: tuple[str, ...] = tuple(RECORD_EVENTS)


def record_of(event_type: str, data: Mapping[str, Any]) -> tuple[str | None, str | None, dict]:
    """``(record_type, record_id, record)`` an event is about."""
    known = RECORD_EVENTS.get(event_type)
    if known is None:
        return None, None, dict(data)
    record_type, key = known
    record = data.get(key) if key else data
    if not isinstance(record, Mapping):
        record = dict(data)
    record_id = record.get("id")
    return record_type, str(record_id) if record_id else None, dict(record)


def derived_events(event_type: str, data: Mapping[str, Any]) -> list[str]:
    """The names a start or a waiting instance may bind to for one event: the event,
    and the facts it implies (``order_status_changed`` to confirmed is
    ``order_confirmed``, which no service emits by that name)."""
    names = [event_type]
    if event_type == "order_status_changed" and data.get("to") == "confirmed":
        names.append("order_confirmed")
    return names


def process_data(event_type: str, data: Mapping[str, Any], record: dict) -> dict[str, Any]:
    """What an instance started (or woken) by an event sees: ``record`` and ``event``."""
    return {"record": record, "event": {"type": event_type, "data": dict(data)}}


def condition_holds(condition: str | None, data: Mapping[str, Any]) -> bool:
    """Whether a start's condition holds over the process data. A condition that fails
    to evaluate (a missing field, a typo) does not start anything."""
    if not condition or not condition.strip():
        return True
    try:
        return bool(sandbox.evaluate(condition, dict(data)))
    except sandbox.SandboxError:
        return False


# --- user tasks ---------------------------------------------------------------------


def parse_form(spec: str | None) -> list[dict[str, str]]:
    """``"qualified:boolean, reason:string"`` → ``[{name, type}]`` (the task's form)."""
    fields = []
    for part in (spec or "").split(","):
        name, _, kind = part.strip().partition(":")
        name = name.strip()
        if not name:
            continue
        kind = (kind.strip() or "string").lower()
        if kind not in ("string", "boolean", "number", "date", "text"):
            kind = "string"
        fields.append({"name": name, "type": kind})
    return fields


def clean_task_data(form: list[dict[str, str]], data: Any) -> dict[str, Any]:
    """The completion data checked against the task's form (fields outside it refused)."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise failed("data", "must be an object")
    kinds = {f["name"]: f["type"] for f in form}
    kinds.setdefault("result", "text")
    clean: dict[str, Any] = {}
    errors = []
    for name, value in data.items():
        kind = kinds.get(name)
        if kind is None:
            errors.append({"field": f"data.{name}", "message": "not a field of this task's form"})
            continue
        if value is None:
            clean[name] = None
        elif kind == "boolean" and not isinstance(value, bool):
            errors.append({"field": f"data.{name}", "message": "must be true or false"})
        elif kind == "number" and (isinstance(value, bool) or not isinstance(value, (int, float))):
            errors.append({"field": f"data.{name}", "message": "must be a number"})
        elif kind in ("string", "text", "date") and not isinstance(value, str):
            errors.append({"field": f"data.{name}", "message": "must be text"})
        elif isinstance(value, str) and len(value) > 10_000:
            errors.append({"field": f"data.{name}", "message": "at most 10,000 characters"})
        else:
            clean[name] = value
    if errors:
        raise ValidationFailed("The task's data does not fit its form", errors)
    return clean


def evaluate_property(source: str | None, data: Mapping[str, Any]) -> Any:
    """A user task's property (``assignee``, ``due_in_days``): an expression over the
    process data; an expression that fails gives None (the task is still created)."""
    if source is None or not str(source).strip():
        return None
    try:
        return sandbox.evaluate(str(source), dict(data))
    except sandbox.SandboxError:
        return None


def user_task_plan(
    task: Mapping[str, Any], instance: Mapping[str, Any], now: datetime
) -> dict[str, Any]:
    """The process task row and its activity for a user task that became ready."""
    props = task.get("properties") or {}
    data = task.get("data") or {}
    assignee = evaluate_property(props.get("assignee"), data)
    assignee = str(assignee) if assignee else None
    role = (props.get("candidate_role") or "").strip() or None
    days = evaluate_property(props.get("due_in_days"), data)
    due_at = None
    if isinstance(days, (int, float)) and not isinstance(days, bool) and 0 <= days <= 3650:
        due_at = now + timedelta(days=float(days))
    activity_type = props.get("activity_type") or "task"
    if activity_type not in ("task", "call", "meeting", "email"):
        activity_type = "task"
    record_type, record_id = instance.get("record_type"), instance.get("record_id")
    activity: dict[str, Any] = {
        "type": activity_type,
        "title": str(task.get("name") or "Process task")[:300],
        "description": f"A step of the process “{instance.get('name')}”. "
        "Completing this activity completes the step.",
        "priority": "normal",
    }
    if assignee:
        activity["owner_id"] = assignee
    if due_at is not None:
        activity["due_at"] = due_at.isoformat().replace("+00:00", "Z")
    if record_type in ("lead", "contact", "account", "opportunity", "order") and record_id:
        activity["related_type"] = record_type
        activity["related_id"] = record_id
    return {
        "assignee_id": assignee,
        "candidate_role": role,
        "due_at": due_at,
        "form": parse_form(props.get("form")),
        "activity": activity,
    }


# --- the action ledger --------------------------------------------------------------


def idempotency_key(instance_id: str, task_id: str, purpose: str) -> str:
    """One key per task and purpose: the same step asks once, however often it runs."""
    return f"{instance_id}:{task_id}:{purpose}"


def call_in_doubt_may_resend(idempotent: bool, forced: bool) -> bool:
    """A call sent without an answer (lost reply, crash, timeout) is sent again only
    when the action is idempotent, or an administrator checked and asked to."""
    return idempotent or forced


# --- instances ----------------------------------------------------------------------


def check_open(status: str, what: str = "instance") -> None:
    if status not in OPEN_STATUSES:
        raise Conflict(
            f"The process {what} is {status}",
            [{"field": "status", "message": f"is {status}"}],
        )


def check_failed(status: str) -> None:
    if status != "failed":
        raise Conflict(
            "Only a failed step can be retried or skipped",
            [{"field": "status", "message": f"is {status}, not failed"}],
        )


def clean_start(data: Any) -> dict[str, Any]:
    """``{definition_id, record_type?, record_id?, data?}`` of a start by hand."""
    if not isinstance(data, Mapping):
        raise failed("body", "must be an object")
    allowed = {"definition_id", "record_type", "record_id", "data"}
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise failed(unknown[0], "unknown field")
    definition_id = data.get("definition_id")
    if not isinstance(definition_id, str) or not definition_id:
        raise failed("definition_id", "is required")
    record_type, record_id = data.get("record_type"), data.get("record_id")
    if (record_type is None) != (record_id is None):
        raise failed(
            "record_id" if record_id is None else "record_type",
            "record_type and record_id come together",
        )
    if record_type is not None and record_type not in RECORD_TYPES:
        raise failed("record_type", f"one of {', '.join(RECORD_TYPES)}")
    extra = data.get("data") or {}
    if not isinstance(extra, Mapping):
        raise failed("data", "must be an object")
    return {
        "definition_id": definition_id,
        "record_type": record_type,
        "record_id": str(record_id) if record_id is not None else None,
        "data": dict(extra),
    }


def clean_message(name: Any, data: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise failed("name", "a message name (1..200 characters) is required")
    if data is not None and not isinstance(data, Mapping):
        raise failed("data", "must be an object")
    return name.strip(), dict(data or {})
