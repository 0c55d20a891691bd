"""What crosses the wire: JSON-safe dicts of definitions, versions, instances, tasks and
log entries; the list queries' cursors."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime
from typing import Any

from services.platform.errors import ValidationFailed
from services.platform.events import isoformat


def dump_definition(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "key": row.key,
        "name": row.name,
        "description": row.description,
        "version": row.latest_version,  # the latest saved version's number
        "latest_version": row.latest_version,
        "deployed_version": row.deployed_version,
        "is_deployed": row.deployed_version is not None,
        "is_shipped": row.is_shipped,
        "row_version": row.version,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
        "created_by": row.created_by,
    }


def dump_version(row: Any, deployed_version: int | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "definition_id": row.definition_id,
        "number": row.number,
        "name": row.name,
        "triggers": row.triggers,
        "summary": row.summary,
        "comment": row.comment,
        "is_deployed": deployed_version == row.number,
        "created_at": isoformat(row.created_at),
        "created_by": row.created_by,
        "deployed_at": isoformat(row.deployed_at),
    }


def dump_instance(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "definition_id": row.definition_id,
        "version": row.version_number,
        "version_id": row.version_id,
        "name": row.name,
        "state": row.status,
        "record_type": row.record_type,
        "record_id": row.record_id,
        "data": row.data,
        "current": row.current,
        "waiting_for": list(row.waiting_for or []),
        "next_due_at": isoformat(row.next_due_at),
        "error": row.error,
        "started_by": row.started_by,
        "start_event": row.start_event,
        "started_at": isoformat(row.started_at),
        "updated_at": isoformat(row.updated_at),
        "ended_at": isoformat(row.ended_at),
        "row_version": row.version,
    }


def dump_log(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "at": isoformat(row.at),
        "kind": row.kind,
        "element_id": row.element_id,
        "element_name": row.element_name,
        "task_id": row.task_id,
        "actor_id": row.actor_id,
        "actor_name": row.actor_name,
        "data": row.data,
    }


def dump_task(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "instance_id": row.instance_id,
        "process_name": getattr(row, "process_name", None),
        "element_id": row.element_id,
        "name": row.name,
        "assignee_id": row.assignee_id,
        "candidate_role": row.candidate_role,
        "state": row.state,
        "form": row.form,
        "activity_id": row.activity_id,
        "record_type": row.record_type,
        "record_id": row.record_id,
        "due_at": isoformat(row.due_at),
        "data": row.data,
        "created_at": isoformat(row.created_at),
        "completed_at": isoformat(row.completed_at),
        "completed_by": row.completed_by,
        "version": row.version,
    }


def dump_call(row: Any) -> dict[str, Any]:
    return {
        "key": row.key,
        "task_id": row.task_id,
        "element_id": row.element_id,
        "operation": row.operation,
        "purpose": row.purpose,
        "state": row.state,
        "attempts": row.attempts,
        "error": row.error,
        "created_at": isoformat(row.created_at),
        "sent_at": isoformat(row.sent_at),
        "done_at": isoformat(row.done_at),
    }


# --- pages --------------------------------------------------------------------------


def page_limit(value: Any, default: int = 50, maximum: int = 500) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise ValidationFailed(
            f"limit must be 1..{maximum}", [{"field": "limit", "message": f"1..{maximum}"}]
        )
    return value


def encode_cursor(at: datetime, row_id: str) -> str:
    raw = json.dumps([at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: Any) -> tuple[datetime, str] | None:
    if cursor in (None, ""):
        return None
    try:
        padded = str(cursor) + "=" * (-len(str(cursor)) % 4)
        at, row_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        # the id goes to a uuid column: one that is none would be PostgreSQL's error, a 500
        return datetime.fromisoformat(at), str(uuid.UUID(str(row_id)))
    except (ValueError, TypeError):
        raise ValidationFailed(
            "cursor is not one this list gave", [{"field": "cursor", "message": "invalid"}]
        ) from None


#: filters on a uuid column: a value that is no UUID is refused before PostgreSQL sees it
UUID_FILTERS = frozenset({"definition_id", "version_id", "instance_id", "assignee_id"})


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def clean_filters(query: dict[str, Any] | None, allowed: tuple[str, ...]) -> dict[str, list[str]]:
    filters = (query or {}).get("filter") or {}
    if not isinstance(filters, dict):
        raise ValidationFailed(
            "filter must be an object", [{"field": "filter", "message": "object"}]
        )
    clean = {}
    for name, values in filters.items():
        if name not in allowed:
            raise ValidationFailed(
                f"Cannot filter by {name}",
                [{"field": f"filter[{name}]", "message": "unknown field"}],
            )
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, list) or not values:
            raise ValidationFailed(
                f"filter[{name}] needs values", [{"field": f"filter[{name}]", "message": "a list"}]
            )
        clean[name] = [str(v) for v in values]
        if name in UUID_FILTERS and not all(_is_uuid(v) for v in clean[name]):
            raise ValidationFailed(
                f"filter[{name}] must be UUIDs",
                [{"field": f"filter[{name}]", "message": "must be a UUID"}],
            )
    return clean
