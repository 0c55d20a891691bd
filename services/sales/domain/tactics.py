"""The rules of a deal's tactics (SWOT entries) and competitors: what each entry holds."""

from __future__ import annotations

from typing import Any

from services.platform.errors import ValidationFailed
from services.platform.fields import failed
from services.platform.values import is_uuid

TACTIC_KINDS: tuple[str, ...] = ("strength", "weakness", "opportunity", "threat")
#: The longest text of a tactic, an offer or a comparison.
MAX_TEXT = 2000

#: ``{name: (kind, required)}`` of each kind of entry.
TACTIC_PARTS: dict[str, tuple[str, bool]] = {"kind": ("enum", True), "text": ("text", True)}
COMPETITOR_PARTS: dict[str, tuple[str, bool]] = {
    "account_id": ("uuid", True),
    "offer": ("text", False),
    "comparison": ("text", False),
}


def clean_parts(
    data: Any, fields: dict[str, tuple[str, bool]], *, options: tuple[str, ...] = ()
) -> dict[str, Any]:
    """A tactic's or competitor's fields: ``{name: (kind, required)}``; every error at once."""
    if not isinstance(data, dict):
        raise failed("data", "must be an object")
    errors = [{"field": str(k), "message": "unknown field"} for k in data if k not in fields]
    clean: dict[str, Any] = {}
    for name, (kind, required) in fields.items():
        value = data.get(name)
        if isinstance(value, str):
            value = value.strip() or None
        if value is None:
            if required:
                errors.append({"field": name, "message": "is required"})
            clean[name] = None
            continue
        if not isinstance(value, str):
            errors.append({"field": name, "message": "must be a string"})
        elif kind == "enum" and value not in options:
            errors.append({"field": name, "message": f"must be one of {', '.join(options)}"})
        elif kind == "uuid" and not is_uuid(value):
            errors.append({"field": name, "message": "must be a UUID"})
        elif kind == "text" and len(value) > MAX_TEXT:
            errors.append({"field": name, "message": f"must be at most {MAX_TEXT} characters"})
        else:
            clean[name] = value
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)
    return clean


def clean_tactic(data: Any) -> dict[str, Any]:
    """A new SWOT entry ``{kind, text}``."""
    return clean_parts(data, TACTIC_PARTS, options=TACTIC_KINDS)


def clean_competitor(data: Any) -> dict[str, Any]:
    """A new competitor entry ``{account_id, offer?, comparison?}``."""
    return clean_parts(data, COMPETITOR_PARTS)
