"""What crosses the wire: a lead as a JSON-safe dict, and the entity's metadata."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from services.platform.events import isoformat

from .domain import FIELD_NAMES, FIELDS, IDENTIFYING_FIELDS
from .models import Lead

_TIMES = frozenset({"created_at", "updated_at"})


def dump_lead(lead: Lead | sa.Row[Any] | RowMapping) -> dict[str, Any]:
    """A lead (the model, a row of its columns, or that row's mapping) with ids as
    strings and times as ISO 8601 UTC ending in ``Z``."""
    if isinstance(lead, sa.Row | RowMapping):
        row = lead._mapping if isinstance(lead, sa.Row) else lead
        data = {name: row[name] for name in FIELD_NAMES}
    else:
        data = {name: getattr(lead, name) for name in FIELD_NAMES}
    for name in _TIMES:
        data[name] = isoformat(data[name])
    reasons = data.get("score_reasons")
    if isinstance(reasons, list):
        data["score_reasons"] = [dict(item) for item in reasons]
    return data


def describe() -> dict[str, Any]:
    """The lead entity for ``meta/entities``: enough for a generic list and form."""
    return {
        "name": "leads",
        "label": "Leads",
        "label_singular": "Lead",
        # None of the four is required alone, but one of them is (checked on save).
        "required_one_of": list(IDENTIFYING_FIELDS),
        "fields": [
            {
                "name": f.name,
                "type": f.type,
                "label": f.label,
                "required": False,
                "read_only": f.read_only,
                "options": list(f.options) if f.type == "enum" else None,
                "max_length": f.max_length,
                "filterable": f.filterable,
                "filter_op": f.filter_op if f.filterable else None,
                "sortable": f.sortable,
                "lookup": f.lookup,
                "suggestions": f.suggestions,
                "minimum": f.minimum,
                "maximum": f.maximum,
            }
            for f in FIELDS
        ],
    }
