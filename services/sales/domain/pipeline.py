"""The rules of the pipeline board's query: whose deals, how many cards a column shows."""

from __future__ import annotations

from typing import Any

from services.platform.errors import ValidationFailed
from services.platform.fields import failed
from services.platform.values import is_uuid

#: How many cards each board column shows at first, and at most.
BOARD_PER_STAGE = 50
BOARD_MAX_PER_STAGE = 200


def board_query(query: Any) -> tuple[list[str], list[str], int]:
    """``(owner ids, team ids, cards per column)`` from the board's query.

    ``owner_id`` and ``team_id``: lists of UUIDs or text with commas; ``per_stage``
    a whole number from 1 to ``BOARD_MAX_PER_STAGE`` (default ``BOARD_PER_STAGE``).
    """
    query = query or {}
    if not isinstance(query, dict):
        raise failed("query", "must be an object")
    errors = []
    lists: dict[str, list[str]] = {}
    for name in ("owner_id", "team_id"):
        raw = query.get(name) or []
        if isinstance(raw, str):
            raw = [v for v in raw.split(",") if v.strip()]
        if not isinstance(raw, list) or not all(is_uuid(v) for v in raw):
            errors.append({"field": name, "message": "must be UUIDs separated by commas"})
            raw = []
        lists[name] = [str(v).strip() for v in raw]
    per_stage = query.get("per_stage", BOARD_PER_STAGE)
    if isinstance(per_stage, str) and per_stage.isdigit():
        per_stage = int(per_stage)
    if isinstance(per_stage, bool) or not isinstance(per_stage, int):
        errors.append({"field": "per_stage", "message": "must be a whole number"})
        per_stage = BOARD_PER_STAGE
    elif not 1 <= per_stage <= BOARD_MAX_PER_STAGE:
        errors.append(
            {"field": "per_stage", "message": f"must be between 1 and {BOARD_MAX_PER_STAGE}"}
        )
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)
    return lists["owner_id"], lists["team_id"], per_stage
