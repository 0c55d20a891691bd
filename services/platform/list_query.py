"""Checking a caller's list ``query`` (docs/rpc.md "List queries") against the list's
:class:`ListSpec`: filter values converted to their column's type, the sort, the
search box text, the page size and the cursor. Every problem is reported at once, each
naming its field (``filter[colour]``, ``sort``, ``cursor``, ``limit``, ``q``).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

from .errors import ValidationFailed
from .list_cursor import parse_cursor
from .list_spec import Filter, ListQuery, ListSpec, query_error

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_FILTER_VALUES = 100
MAX_TEXT_VALUE = 500
MAX_Q = 200

_QUERY_KEYS = frozenset({"filter", "sort", "q", "limit", "cursor", "total", "first_found"})
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


def parse_query(query: Mapping[str, Any] | None, spec: ListSpec) -> ListQuery:
    """Validate a caller's ``query`` dict against ``spec``.

    Raises :class:`ValidationFailed` with one ``{field, message}`` per problem.
    """
    if query is None:
        query = {}
    if not isinstance(query, Mapping):
        raise query_error("query", "must be an object")
    errors: list[dict[str, str]] = []

    for key in query:
        if key not in _QUERY_KEYS:
            errors.append({"field": str(key), "message": "unknown query parameter"})

    filters = _collect(errors, lambda: _parse_filters(query.get("filter"), spec))
    sort_field, descending = _collect(errors, lambda: _parse_sort(query.get("sort"), spec)) or (
        None,
        False,
    )
    q = _collect(errors, lambda: _parse_q(query.get("q"), spec))
    limit = _collect(errors, lambda: _parse_limit(query.get("limit")))
    with_total = query.get("total", True)
    if not isinstance(with_total, bool):
        errors.append({"field": "total", "message": "must be true or false"})
    first_found = query.get("first_found", False)
    if not isinstance(first_found, bool):
        errors.append({"field": "first_found", "message": "must be true or false"})
    elif first_found and query.get("cursor") not in (None, ""):
        errors.append({"field": "first_found", "message": "answers a first page only"})
    after = None
    if sort_field is not None:
        sort_text = ("-" if descending else "") + sort_field
        after = _collect(errors, lambda: parse_cursor(query.get("cursor"), sort_text, spec))

    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)
    return ListQuery(
        filters=filters or {},
        sort_field=sort_field,
        descending=descending,
        q=q,
        limit=limit,
        after=after,
        with_total=with_total and not first_found,
        first_found=first_found,
    )


def _collect(errors: list[dict[str, str]], parse: Callable[[], Any]) -> Any:
    """Run one parser, keeping its field errors so the caller hears of all at once."""
    try:
        return parse()
    except ValidationFailed as exc:
        errors.extend(exc.errors)
        return None


def _parse_filters(raw: Any, spec: ListSpec) -> dict[str, list[Any]]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise query_error("filter", "must be an object of field: [values]")
    errors: list[dict[str, str]] = []
    parsed: dict[str, list[Any]] = {}
    for name, values in raw.items():
        field_name = f"filter[{name}]"
        flt = spec.filters.get(name)
        if flt is None:
            errors.append({"field": field_name, "message": "cannot filter by this field"})
            continue
        # The gateway always sends lists; a lone scalar is accepted as a list of one.
        if not isinstance(values, list | tuple):
            values = [values]
        if not values:
            errors.append({"field": field_name, "message": "give at least one value"})
            continue
        if len(values) > MAX_FILTER_VALUES:
            errors.append({"field": field_name, "message": f"at most {MAX_FILTER_VALUES} values"})
            continue
        try:
            parsed[name] = [_convert(flt, value) for value in values]
        except ValueError as exc:
            errors.append({"field": field_name, "message": str(exc)})
    if errors:
        raise ValidationFailed("filter is not valid", errors)
    return parsed


def _convert(flt: Filter, value: Any) -> Any:
    """One filter value in its column's type; None stands for "no value" (IS NULL)."""
    if value is None:
        return None
    kind = flt.kind
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise ValueError(f"{value!r} is not true or false")
    if kind == "int":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,18}\s*", value):
            return int(value)
        raise ValueError(f"{value!r} is not a whole number")
    if not isinstance(value, str):
        raise ValueError(f"{value!r} is not a string")
    if kind == "uuid":
        try:
            return str(uuid.UUID(value.strip()))
        except ValueError:
            raise ValueError(f"{value!r} is not a UUID") from None
    if kind == "datetime":
        return parse_range(value.strip())
    if kind == "contains":
        text = value.strip()
        if not text:
            raise ValueError("give some text to look for")
        if len(text) > MAX_TEXT_VALUE:
            raise ValueError(f"values are at most {MAX_TEXT_VALUE} characters")
        return text
    if kind == "date":
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)") from None
    if kind == "enum":
        if value not in flt.options:
            raise ValueError(f"{value!r} is not one of {', '.join(flt.options)}")
        return value
    if len(value) > MAX_TEXT_VALUE:
        raise ValueError(f"values are at most {MAX_TEXT_VALUE} characters")
    return flt.normalize(value) if flt.normalize else value


def _parse_sort(raw: Any, spec: ListSpec) -> tuple[str, bool]:
    text = spec.default_sort if raw is None or raw == "" else raw
    if not isinstance(text, str):
        raise query_error("sort", "must be a field name, '-' in front for descending")
    descending = text.startswith("-")
    name = text[1:] if descending else text
    if name not in spec.sorts:
        allowed = ", ".join(sorted(spec.sorts))
        raise query_error("sort", f"cannot sort by {name!r}; sort by one of {allowed}")
    return name, descending


def _parse_q(raw: Any, spec: ListSpec) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise query_error("q", "must be a string")
    if len(raw) > MAX_Q:
        raise query_error("q", f"at most {MAX_Q} characters")
    text = raw.strip()
    if not text:
        return None
    if not spec.searchable:
        raise query_error("q", "this list has no search")
    return text


def _parse_limit(raw: Any) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, str) and raw.strip().isdigit():
        value = int(raw.strip())
    if value is None or not 1 <= value <= MAX_LIMIT:
        raise query_error("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return value


def parse_range(value: str) -> tuple[datetime | None, datetime | None]:
    """``from..to`` → (start, end) with ``end`` exclusive; either side may be empty."""
    if ".." not in value:
        raise ValueError(f"{value!r} is not a range from..to (YYYY-MM-DD or ISO time)")
    raw_from, raw_to = (part.strip() for part in value.split("..", 1))
    if not raw_from and not raw_to:
        raise ValueError("give at least one end of the range")

    def moment(text: str, *, end: bool) -> datetime | None:
        if not text:
            return None
        try:
            if len(text) == 10:
                day = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
                return day + timedelta(days=1) if end else day
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{text!r} is not a date (YYYY-MM-DD) or ISO time") from None
        return when if when.tzinfo else when.replace(tzinfo=UTC)

    start, stop = moment(raw_from, end=False), moment(raw_to, end=True)
    if start is not None and stop is not None and stop <= start:
        raise ValueError("the range ends before it starts")
    return start, stop
