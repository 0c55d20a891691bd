"""The rules of activities (tasks, calls, meetings, emails) and their participants.

An activity may be about one record (``related_type`` + ``related_id``); its
participants are contacts and users, ``[{type, id}]`` sorted by type and id. Pure
functions, no I/O: whether a linked record exists is the store's question.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.platform import fields
from services.platform.errors import ValidationFailed
from services.platform.fields import (
    Entity,
    EntityField,
    Invalid,
    failed,
    normalize_value,
    parse_datetime,
)
from services.platform.values import is_uuid, validation_failed

from .records import clean_changes

ACTIVITY_TYPES: tuple[str, ...] = ("task", "call", "meeting", "email")
ACTIVITY_STATUSES: tuple[str, ...] = ("not_started", "in_progress", "completed", "cancelled")
ACTIVITY_PRIORITIES: tuple[str, ...] = ("low", "normal", "high")
#: What an activity may be about (a lead and an order live in other services).
RELATED_TYPES: tuple[str, ...] = ("lead", "contact", "account", "opportunity", "order")
PARTICIPANT_KINDS: tuple[str, ...] = ("contact", "user")
#: Where an activity came from when it was not made in Osprey: the calendar or task
#: list of a connected account (``None``: made here). Set by the integration that
#: creates it, so the timeline can say "from Google Calendar" (sales_0011).
ACTIVITY_SOURCES: tuple[str, ...] = ("google", "exchange")

ACTIVITY_FIELDS: tuple[EntityField, ...] = (
    EntityField("id", "uuid", "ID", read_only=True),
    EntityField("type", "enum", "Type", options=ACTIVITY_TYPES, required=True, filterable=True),
    EntityField(
        "title",
        "string",
        "Title",
        max_length=300,
        required=True,
        sortable=True,
        filterable=True,
        filter_op="contains",
    ),
    EntityField("description", "text", "Description", max_length=10000),
    EntityField("status", "enum", "Status", options=ACTIVITY_STATUSES, filterable=True),
    EntityField("priority", "enum", "Priority", options=ACTIVITY_PRIORITIES, filterable=True),
    EntityField(
        "start_at", "datetime", "Starts", sortable=True, filterable=True, filter_op="range"
    ),
    EntityField("due_at", "datetime", "Due", sortable=True, filterable=True, filter_op="range"),
    EntityField("completed_at", "datetime", "Completed", read_only=True),
    EntityField("result", "text", "Result", max_length=2000),
    EntityField("related_type", "enum", "Related to", options=RELATED_TYPES, filterable=True),
    EntityField("related_id", "uuid", "Related record", filterable=True),
    EntityField("participants", "list", "Participants", items="participant"),
    EntityField("source", "enum", "Source", options=ACTIVITY_SOURCES, filterable=True),
    *fields.record_tail(),
)
ACTIVITY = Entity("activity", ACTIVITY_FIELDS)

#: Statuses after which an activity is done: not on "my activities", never completed again.
DONE_STATUSES: tuple[str, ...] = ("completed", "cancelled")
#: The related types whose records live in the sales service (checked); lead and order do not.
LOCAL_RELATED_TYPES: tuple[str, ...] = ("contact", "account", "opportunity")
MAX_PARTICIPANTS = 100
DEFAULTS: dict[str, str] = {"status": "not_started", "priority": "normal"}
#: The fields stored in the activity's own row (participants are rows of their own).
STORED_FIELDS: tuple[str, ...] = tuple(
    name for name in ACTIVITY.field_names if name != "participants"
)


def clean_participants(value: Any) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """``[{type, id}]`` checked: (the participants sorted by type and id, the errors).

    ``type`` is ``contact`` or ``user``, ``id`` a UUID; the same one twice is an error.
    ``null`` is no participants.
    """
    if value is None:
        return [], []
    if not isinstance(value, list):
        return [], [{"field": "participants", "message": "must be a list of {type, id}"}]
    if len(value) > MAX_PARTICIPANTS:
        message = f"may hold at most {MAX_PARTICIPANTS} participants"
        return [], [{"field": "participants", "message": message}]
    errors: list[dict[str, str]] = []
    clean: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for index, item in enumerate(value):
        where = f"participants[{index}]"
        if not isinstance(item, Mapping):
            errors.append({"field": where, "message": "must be an object {type, id}"})
            continue
        for key in item:
            if key not in ("type", "id"):
                errors.append({"field": f"{where}.{key}", "message": "unknown field"})
        kind, raw_id = item.get("type"), item.get("id")
        if kind not in PARTICIPANT_KINDS:
            message = f"must be one of {', '.join(PARTICIPANT_KINDS)}"
            errors.append({"field": f"{where}.type", "message": message})
            continue
        if not is_uuid(raw_id):
            errors.append({"field": f"{where}.id", "message": "must be a UUID"})
            continue
        key = (kind, str(uuid.UUID(raw_id)))
        if key in seen:
            errors.append({"field": where, "message": "is listed twice"})
            continue
        seen.add(key)
        clean.append({"type": key[0], "id": key[1]})
    return sorted(clean, key=lambda p: (p["type"], p["id"])), errors


def clean_activity(data: Any) -> dict[str, Any]:
    """The writable fields a caller sent (create or update), every problem in one error."""
    if not isinstance(data, Mapping):
        raise failed("data", "must be an object of activity fields")
    rest = {k: v for k, v in data.items() if k != "participants"}
    errors: list[dict[str, str]] = []
    changes: dict[str, Any] = {}
    try:
        changes = clean_changes(ACTIVITY, rest)
    except ValidationFailed as exc:
        errors.extend(exc.errors)
    if "participants" in data:
        participants, problems = clean_participants(data["participants"])
        errors.extend(problems)
        changes["participants"] = participants
    if errors:
        raise validation_failed(errors)
    return changes


def with_defaults(changes: dict[str, Any]) -> dict[str, Any]:
    """A new activity's status and priority, where the caller left them empty."""
    for name, default in DEFAULTS.items():
        if changes.get(name) is None:
            changes[name] = default
    return changes


def participant_positions(data: Any) -> dict[tuple[str, str], int]:
    """Where each participant stood in the caller's list, so an error names that place."""
    positions: dict[tuple[str, str], int] = {}
    items = data.get("participants") if isinstance(data, Mapping) else None
    for index, item in enumerate(items if isinstance(items, list) else []):
        if isinstance(item, Mapping) and is_uuid(item.get("id")):
            positions.setdefault((item.get("type"), str(uuid.UUID(item["id"]))), index)
    return positions


def participant_place(positions: Mapping[tuple[str, str], int], contact_id: str) -> str:
    """The field an error about contact participant ``contact_id`` names."""
    index = positions.get(("contact", contact_id))
    return "participants" if index is None else f"participants[{index}].id"


def moment(value: Any) -> datetime | None:
    """A stored or wire time as an aware datetime (values mix both during an update)."""
    if value is None or isinstance(value, datetime):
        return value
    return parse_datetime(value)


def activity_errors(values: Mapping[str, Any]) -> list[dict[str, str]]:
    """The rules an activity as a whole keeps: due ≥ start, related type and id together."""
    errors: list[dict[str, str]] = []
    start, due = moment(values.get("start_at")), moment(values.get("due_at"))
    if start is not None and due is not None and due < start:
        errors.append({"field": "due_at", "message": "must not be before start_at"})
    related_type, related_id = values.get("related_type"), values.get("related_id")
    if related_type is not None and related_id is None:
        errors.append({"field": "related_id", "message": "is required with related_type"})
    if related_id is not None and related_type is None:
        errors.append({"field": "related_type", "message": "is required with related_id"})
    for name in DEFAULTS:
        if values.get(name) is None:
            errors.append({"field": name, "message": "may not be empty"})
    return errors


def update_errors(values: Mapping[str, Any], changed: list[str]) -> list[dict[str, str]]:
    """The rules of a change: those of an activity, and no completing by an update."""
    errors = activity_errors(values)
    if "status" in changed and values["status"] == "completed":
        message = "use POST /activities/{id}/complete to complete an activity"
        errors.append({"field": "status", "message": message})
    return errors


def is_overdue(record: Any, now: datetime) -> bool:
    """Still to do and due before ``now``."""
    return record.status not in DONE_STATUSES and record.due_at is not None and record.due_at < now


def clean_completion(data: Any) -> dict[str, Any]:
    """What completing an activity may carry: ``{result?}`` (None is nothing)."""
    data = {} if data is None else data
    if not isinstance(data, Mapping):
        raise failed("data", "must be an object {result}")
    unknown = [{"field": str(k), "message": "unknown field"} for k in data if k != "result"]
    if unknown:
        raise validation_failed(unknown)
    if "result" not in data:
        return {}
    try:
        return {"result": normalize_value(ACTIVITY.by_name["result"], data["result"])}
    except Invalid as exc:
        raise failed("result", str(exc)) from None


def parse_flag(value: Any, field: str) -> bool:
    """A yes/no query value: true/1/yes or false/0/no in any case; nothing is no."""
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "yes", "false", "0", "no"):
        return value.strip().lower() in ("true", "1", "yes")
    raise failed(field, "must be true or false")


def participant_filter(query: Any) -> tuple[Any, list[str], list[dict[str, str]]]:
    """``filter[participant_id]`` taken out of a list query: (the rest of the query, the
    participant ids, the errors). Any of several ids matches."""
    if not isinstance(query, Mapping) or not isinstance(query.get("filter"), Mapping):
        return query, [], []
    filters = dict(query["filter"])
    raw = filters.pop("participant_id", None)
    rest = {**query, "filter": filters}
    if raw is None:
        return rest, [], []
    values = raw if isinstance(raw, list | tuple) else [raw]
    errors: list[dict[str, str]] = []
    if not values:
        errors.append({"field": "filter[participant_id]", "message": "give at least one value"})
    bad = [v for v in values if not is_uuid(v)]
    if bad:
        errors.append({"field": "filter[participant_id]", "message": f"{bad[0]!r} is not a UUID"})
        return rest, [], errors
    return rest, [str(uuid.UUID(v)) for v in values], errors
