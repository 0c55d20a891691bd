"""Scoring rules and the explainable score of a lead, as pure functions.

A scoring rule gives points (−100..100) to a lead whose field meets a condition
(``field``, ``operator``, ``value``). A lead's ``score`` is the sum of the points of
the active rules it meets, held to 0..100, and ``score_reasons`` lists those rules
(``{rule_id, name, points}``), so anyone can see why a lead scores what it does.
While no rule is active scoring is off: ``score`` keeps whatever it holds (a score
typed by hand works) and the reasons are empty.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from services.platform.events import isoformat
from services.platform.fields import EntityField, failed
from services.platform.values import is_uuid, validation_failed

from .lead import FIELDS, FIELDS_BY_NAME

MIN_SCORE, MAX_SCORE = 0, 100
MAX_POINTS = 100
MAX_IN_VALUES = 200
SCORING_OPERATORS: tuple[str, ...] = (
    "equals",
    "not_equals",
    "in",
    "contains",
    "is_set",
    "is_empty",
    "gte",
    "lte",
)

#: Fields a rule may look at: every lead field but the ones the score cannot depend on.
SCORABLE_FIELDS: tuple[str, ...] = tuple(
    f.name
    for f in FIELDS
    if f.name not in ("id", "version", "score", "score_reasons", "created_by")
)
#: The rule's fields a caller writes.
SCORING_RULE_FIELDS: tuple[str, ...] = (
    "name",
    "field",
    "operator",
    "value",
    "points",
    "is_active",
)


# --- evaluation ------------------------------------------------------------------------


def _is_blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, list | dict) and not value)


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return isoformat(value) or ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip().casefold()


def _same(actual: Any, expected: Any) -> bool:
    """Equal, text compared trimmed and case-insensitively, numbers as numbers."""
    if actual is None or expected is None:
        return actual is None and expected is None
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected or _text(actual) == _text(expected)
    if isinstance(expected, int | float):
        number = _number(actual)
        return number is not None and number == expected
    return _text(actual) == _text(expected)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def parse_moment(value: Any) -> date | datetime | None:
    """An ISO date (``2026-03-01``) or date-time (zone-less means UTC), else None."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return None
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _compare(actual: Any, expected: Any) -> int | None:
    """−1, 0, 1 comparing numbers as numbers and ISO dates as dates; None if they cannot be."""
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        number = _number(actual)
        if number is None:
            return None
        return (number > expected) - (number < expected)
    bound = parse_moment(expected)
    moment = parse_moment(actual)
    if bound is None or moment is None:
        return None
    if isinstance(bound, datetime) and isinstance(moment, datetime):
        return (moment > bound) - (moment < bound)
    # A date against a date-time: compare the days (date-times in UTC).
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC).date()
    if isinstance(bound, datetime):
        bound = bound.astimezone(UTC).date()
    return (moment > bound) - (moment < bound)


def condition_holds(operator: str, actual: Any, expected: Any) -> bool:
    """Whether a lead's field value ``actual`` meets ``operator`` ``expected``."""
    if operator == "is_set":
        return not _is_blank(actual)
    if operator == "is_empty":
        return _is_blank(actual)
    if operator == "equals":
        return not _is_blank(actual) and _same(actual, expected)
    if operator == "not_equals":
        return _is_blank(actual) or not _same(actual, expected)
    if operator == "in":
        return not _is_blank(actual) and any(_same(actual, item) for item in expected or ())
    if operator == "contains":
        return not _is_blank(actual) and _text(expected) in _text(actual)
    if operator in ("gte", "lte"):
        if _is_blank(actual):
            return False
        order = _compare(actual, expected)
        if order is None:
            return False
        return order >= 0 if operator == "gte" else order <= 0
    return False


def _rule_value(rule: Any, name: str) -> Any:
    return rule[name] if isinstance(rule, Mapping) else getattr(rule, name)


def evaluate(rules: Iterable[Any], values: Mapping[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    """The score (the points of the rules the lead meets, held to 0..100) and the
    reasons ``[{rule_id, name, points}]`` in rule order. ``rules`` are the active
    rules (mappings or objects with ``id, name, field, operator, value, points``);
    ``values`` the lead's fields."""
    total = 0
    reasons: list[dict[str, Any]] = []
    for rule in rules:
        field = _rule_value(rule, "field")
        if condition_holds(
            _rule_value(rule, "operator"), values.get(field), _rule_value(rule, "value")
        ):
            points = _rule_value(rule, "points")
            total += points
            reasons.append(
                {
                    "rule_id": str(_rule_value(rule, "id")),
                    "name": _rule_value(rule, "name"),
                    "points": points,
                }
            )
    return max(MIN_SCORE, min(MAX_SCORE, total)), reasons


def score_lead(
    rules: Sequence[Any], values: Mapping[str, Any], current_score: int | None
) -> tuple[int | None, list[dict[str, Any]]]:
    """What the lead's ``score`` and ``score_reasons`` become: with no active rules the
    score stays as it is (scoring is off) and the reasons are empty."""
    if not rules:
        return current_score, []
    return evaluate(rules, values)


def lead_values(lead: Any) -> dict[str, Any]:
    """The fields a rule may look at, of a lead (the record, or a mapping of its fields)."""
    if isinstance(lead, Mapping):
        return {name: lead.get(name) for name in SCORABLE_FIELDS}
    return {name: getattr(lead, name, None) for name in SCORABLE_FIELDS}


def rescored_fields(
    changed: list[str],
    before: tuple[int | None, list[dict[str, Any]] | None],
    after: tuple[int | None, list[dict[str, Any]]],
) -> list[str]:
    """``changed`` with ``score`` and ``score_reasons`` added (once each) where scoring
    changed them; stored reasons of None count as none."""
    score, reasons = after
    result = list(changed)
    if before[0] != score and "score" not in result:
        result.append("score")
    if list(before[1] or []) != reasons and "score_reasons" not in result:
        result.append("score_reasons")
    return result


# --- rule validation -------------------------------------------------------------------


def _scalar_ok(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int | float):
        return math.isfinite(value)
    return isinstance(value, str) and bool(value.strip()) and len(value) <= 300


def _check_value(field: str, operator: str, value: Any) -> str | None:
    """Why ``value`` does not suit ``operator`` on ``field``, or None when it does."""
    spec = FIELDS_BY_NAME[field]
    if operator in ("is_set", "is_empty"):
        return None if value is None else f"{operator} takes no value (send null)"
    if operator in ("equals", "not_equals"):
        if not _scalar_ok(value):
            return "must be a text, a number or true/false"
        return _check_option(spec, value)
    if operator == "in":
        if not isinstance(value, list) or not value:
            return "must be a non-empty list of values"
        if len(value) > MAX_IN_VALUES:
            return f"at most {MAX_IN_VALUES} values"
        if not all(_scalar_ok(v) for v in value):
            return "every value must be a text, a number or true/false"
        return next((m for m in (_check_option(spec, v) for v in value) if m), None)
    if operator == "contains":
        if not isinstance(value, str) or not value.strip() or len(value) > 300:
            return "must be a non-empty text of at most 300 characters"
        return None
    if operator in ("gte", "lte"):
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if is_number and math.isfinite(value):
            return None
        if isinstance(value, str) and parse_moment(value) is not None:
            return None
        return "must be a number or an ISO date (2026-03-01) or date-time"
    return None


def _check_option(spec: EntityField, value: Any) -> str | None:
    if spec.type == "enum" and not (isinstance(value, str) and value.strip() in spec.options):
        return f"{spec.name} is one of {', '.join(spec.options)}"
    if spec.type == "uuid" and not is_uuid(value):
        return f"{spec.name} holds a UUID"
    return None


def clean_scoring_rule(data: Any, current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The rule fields sent (``current`` = the stored rule on update), checked together:
    the value must suit the operator and the field. Every problem is reported at once."""
    if not isinstance(data, Mapping):
        raise failed("data", "must be an object of rule fields")
    errors: list[dict[str, str]] = []
    clean: dict[str, Any] = {}
    for name, value in data.items():
        if name not in SCORING_RULE_FIELDS:
            message = "is read-only" if name in ("id", "version") else "unknown field"
            errors.append({"field": str(name), "message": message})
        elif name == "name":
            if not isinstance(value, str) or not value.strip():
                errors.append({"field": name, "message": "give the rule a name"})
            elif len(value.strip()) > 200:
                errors.append({"field": name, "message": "must be at most 200 characters"})
            else:
                clean[name] = value.strip()
        elif name == "field":
            if value not in SCORABLE_FIELDS:
                errors.append(
                    {"field": name, "message": f"must be one of {', '.join(SCORABLE_FIELDS)}"}
                )
            else:
                clean[name] = value
        elif name == "operator":
            if value not in SCORING_OPERATORS:
                operators = ", ".join(SCORING_OPERATORS)
                errors.append({"field": name, "message": f"must be one of {operators}"})
            else:
                clean[name] = value
        elif name == "value":
            clean[name] = value.strip() if isinstance(value, str) else value
        elif name == "points":
            if not isinstance(value, int) or isinstance(value, bool):
                errors.append({"field": name, "message": "must be a whole number"})
            elif not -MAX_POINTS <= value <= MAX_POINTS:
                errors.append(
                    {"field": name, "message": f"must be from -{MAX_POINTS} to {MAX_POINTS}"}
                )
            else:
                clean[name] = value
        elif name == "is_active":
            if not isinstance(value, bool):
                errors.append({"field": name, "message": "must be true or false"})
            else:
                clean[name] = value
    if current is None:
        for required in ("name", "field", "operator", "points"):
            if required not in data:
                errors.append({"field": required, "message": "is required"})
    merged = {**(current or {}), **clean}
    bad = {e["field"] for e in errors}
    # the value is checked against a field and an operator that are themselves good
    if {"field", "operator"} <= merged.keys() and not bad & {"field", "operator"}:
        problem = _check_value(merged["field"], merged["operator"], merged.get("value"))
        if problem:
            errors.append({"field": "value", "message": problem})
    if errors:
        raise validation_failed(errors)
    return clean


def scoring_rule_changes(current: Mapping[str, Any], changes: Mapping[str, Any]) -> list[str]:
    """The rule's fields an update really changes, in field order."""
    return [n for n in SCORING_RULE_FIELDS if n in changes and changes[n] != current[n]]
