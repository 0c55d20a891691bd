"""What crosses the wire: records as JSON-safe dicts, and entity metadata."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.platform.events import isoformat

from .domain import Entity


def wire(value: Any) -> Any:
    """A stored value as JSON carries it: decimals as strings, times ISO 8601 UTC."""
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:f}"
    return value


def dump_entity(entity: Entity, record: Any) -> dict[str, Any]:
    """A record's fields, in the entity's order, as JSON-safe values."""
    return {name: wire(getattr(record, name, None)) for name in entity.field_names}


def describe_entity(entity: Entity, name: str, label: str, singular: str) -> dict[str, Any]:
    """An entity for ``meta/entities``: the same shape every service describes."""
    return {
        "name": name,
        "label": label,
        "label_singular": singular,
        "fields": [
            {
                "name": f.name,
                "type": f.type,
                "label": f.label,
                "required": f.required,
                "read_only": f.read_only,
                "options": list(f.options) if f.type == "enum" else None,
                "max_length": f.max_length,
                "items": f.items,
                "filterable": f.filterable,
                "filter_op": f.filter_op if f.filterable else None,
                "sortable": f.sortable,
                "lookup": f.lookup,
                "minimum": f.minimum,
                "maximum": f.maximum,
            }
            for f in entity.fields
        ],
    }
