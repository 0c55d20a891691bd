"""List queries every ``list_<plural>`` RPC shares: filters, search, sort, keyset pages.

A service describes what may be filtered and sorted once, in a :class:`ListSpec`,
and hands the caller's ``query`` dict (docs/rpc.md "List queries") to
:func:`fetch_page` together with a ``select()`` already narrowed to what the
caller may read. Bad input raises :class:`ValidationFailed` naming the field
(``filter[colour]``, ``sort``, ``cursor``, ``limit``, ``q``).

Pages are keyset pages, never ``OFFSET``: the cursor carries the last row's sort
value and id, and the next page starts strictly after that pair. NULL sort values
are placed last in ascending order and first in descending order (PostgreSQL's own
default), and the keyset condition spells out the NULL cases, so no row is skipped
or repeated however many rows share a value or have none.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from .access import Actor
from .errors import ValidationFailed

#: ``contains`` matches a case-insensitive substring (one value, no "any of");
#: ``datetime`` takes ranges ``from..to`` (ISO dates or times, either end open; a
#: date-only ``to`` includes that whole day, in UTC); the others match exactly.
FilterKind = Literal["text", "contains", "enum", "uuid", "bool", "int", "date", "datetime"]

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_FILTER_VALUES = 100
MAX_TEXT_VALUE = 500
MAX_Q = 200

_QUERY_KEYS = frozenset({"filter", "sort", "q", "limit", "cursor"})
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no"})


@dataclass(frozen=True)
class Filter:
    """One filterable field: the column it reads and how a value is converted.

    ``options`` lists the accepted values of an ``enum``; ``normalize`` rewrites a
    ``text`` value the way the service stores it (e.g. lower-cased emails).
    """

    column: ColumnElement[Any]
    kind: FilterKind = "text"
    options: tuple[str, ...] = ()
    normalize: Callable[[str], str] | None = None


@dataclass(frozen=True)
class Sort:
    """One sortable field. ``nullable=False`` lets the keyset use a plain row
    comparison ``(col, id) > (:v, :id)``, which an index on ``(col, id)`` serves."""

    column: ColumnElement[Any]
    nullable: bool = True


@dataclass(frozen=True)
class ListSpec:
    """What a list may be filtered, searched and sorted by."""

    id_column: ColumnElement[Any]
    filters: Mapping[str, Filter] = field(default_factory=dict)
    sorts: Mapping[str, Sort] = field(default_factory=dict)
    default_sort: str = "-created_at"
    #: a ``tsvector`` column (or expression) searched by ``q``; None = no search box
    search_vector: ColumnElement[Any] | None = None
    #: the text search configuration the vector was built with
    search_config: str = "simple"


@dataclass(frozen=True)
class ListQuery:
    """A validated ``query``: filter values already converted to their column's type."""

    filters: dict[str, list[Any]]
    sort_field: str
    descending: bool
    q: str | None
    limit: int
    after: tuple[Any, Any] | None  # (sort value, id) of the previous page's last row

    @property
    def sort(self) -> str:
        return ("-" if self.descending else "") + self.sort_field


def _error(field_name: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{field_name}: {message}", [{"field": field_name, "message": message}])


# --- parsing ------------------------------------------------------------------------


def parse_query(query: Mapping[str, Any] | None, spec: ListSpec) -> ListQuery:
    """Validate a caller's ``query`` dict against ``spec``.

    Raises :class:`ValidationFailed` with one ``{field, message}`` per problem.
    """
    if query is None:
        query = {}
    if not isinstance(query, Mapping):
        raise _error("query", "must be an object")
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
    after = None
    if sort_field is not None:
        sort_text = ("-" if descending else "") + sort_field
        after = _collect(errors, lambda: _parse_cursor(query.get("cursor"), sort_text, spec))

    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)
    return ListQuery(
        filters=filters or {},
        sort_field=sort_field,
        descending=descending,
        q=q,
        limit=limit,
        after=after,
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
        raise _error("filter", "must be an object of field: [values]")
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
        return _parse_range(value.strip())
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
        raise _error("sort", "must be a field name, '-' in front for descending")
    descending = text.startswith("-")
    name = text[1:] if descending else text
    if name not in spec.sorts:
        allowed = ", ".join(sorted(spec.sorts))
        raise _error("sort", f"cannot sort by {name!r}; sort by one of {allowed}")
    return name, descending


def _parse_q(raw: Any, spec: ListSpec) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise _error("q", "must be a string")
    if len(raw) > MAX_Q:
        raise _error("q", f"at most {MAX_Q} characters")
    text = raw.strip()
    if not text:
        return None
    if spec.search_vector is None:
        raise _error("q", "this list has no search")
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
        raise _error("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return value


# --- cursors --------------------------------------------------------------------------


def encode_cursor(sort: str, value: Any, row_id: Any) -> str:
    """An opaque cursor: base64url JSON of the sort it belongs to, the value and the id."""
    payload = {"s": sort, "v": _jsonable(value), "i": _jsonable(row_id)}
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


def _parse_cursor(raw: Any, sort: str, spec: ListSpec) -> tuple[Any, Any] | None:
    if raw is None or raw == "":
        return None
    bad = _error("cursor", "is not a cursor this list gave out")
    if not isinstance(raw, str) or len(raw) > 2000:
        raise bad
    try:
        padded = raw + "=" * (-len(raw) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(payload, dict) or set(payload) != {"s", "v", "i"}:
        raise bad
    if payload["s"] != sort:
        # A cursor only means something in the order that produced it.
        raise _error("cursor", f"belongs to sort {payload['s']!r}, not {sort!r}")
    sort_spec = spec.sorts[sort.lstrip("-")]
    try:
        value = _from_json(payload["v"], sort_spec.column.type)
        row_id = _from_json(payload["i"], spec.id_column.type)
    except (TypeError, ValueError, ArithmeticError):
        raise bad from None
    if row_id is None or (value is None and not sort_spec.nullable):
        raise bad
    return value, row_id


def _from_json(value: Any, type_: sa.types.TypeEngine[Any]) -> Any:
    """Turn a cursor's JSON value back into what the column compares with."""
    if value is None:
        return None
    try:
        python_type = type_.python_type
    except NotImplementedError:
        python_type = object
    if issubclass(python_type, bool):
        if not isinstance(value, bool):
            raise TypeError("not a boolean")
        return value
    if issubclass(python_type, datetime):
        return datetime.fromisoformat(value)
    if issubclass(python_type, date):
        return date.fromisoformat(value)
    if issubclass(python_type, int):
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError("not an integer")
        return value
    if issubclass(python_type, Decimal):
        return Decimal(str(value))
    if issubclass(python_type, float):
        return float(value)
    if issubclass(python_type, uuid.UUID):
        return uuid.UUID(str(value))
    if not isinstance(value, str | int | float):
        raise TypeError("not a scalar")
    if isinstance(type_, sa.Uuid):  # as_uuid=False: compared as its text form
        return str(uuid.UUID(str(value)))
    return value


# --- building and running the query --------------------------------------------------


def prefix_tsquery(text: str) -> str | None:
    """``acme corp`` → ``'acme':* & 'corp':*`` — every word, as a prefix, must match.

    Each word is quoted as a tsquery lexeme, so the operators ``& | ! ( ) :`` typed
    into the search box are taken literally instead of failing the query.
    """
    terms = [t for t in text.split() if re.search(r"\w", t)]
    if not terms:
        return None
    quoted = ("'" + t.replace("\\", "\\\\").replace("'", "''") + "':*" for t in terms)
    return " & ".join(quoted)


def _parse_range(value: str) -> tuple[datetime | None, datetime | None]:
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


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filter_condition(flt: Filter, values: list[Any]) -> ColumnElement[bool]:
    column = flt.column
    present = [v for v in values if v is not None]
    conditions: list[ColumnElement[bool]] = []
    if flt.kind == "contains":
        conditions += [column.ilike(_like_pattern(v), escape="\\") for v in present]
    elif flt.kind == "datetime":
        for start, stop in present:
            bounds = []
            if start is not None:
                bounds.append(column >= start)
            if stop is not None:
                bounds.append(column < stop)
            conditions.append(sa.and_(*bounds))
    elif present:
        conditions.append(column.in_(present))
    if len(present) != len(values):
        conditions.append(column.is_(None))
    return sa.or_(*conditions)


def apply_filters(stmt: sa.Select[Any], spec: ListSpec, parsed: ListQuery) -> sa.Select[Any]:
    """Add the filter and search conditions of ``parsed`` to ``stmt``."""
    for name, values in parsed.filters.items():
        stmt = stmt.where(_filter_condition(spec.filters[name], values))
    if parsed.q and spec.search_vector is not None:
        tsquery = prefix_tsquery(parsed.q)
        if tsquery is not None:
            stmt = stmt.where(
                spec.search_vector.op("@@")(sa.func.to_tsquery(spec.search_config, tsquery))
            )
    return stmt


def _keyset_condition(
    sort: Sort, id_column: ColumnElement[Any], descending: bool, value: Any, row_id: Any
) -> ColumnElement[bool]:
    """Rows strictly after ``(value, row_id)`` in the page order.

    Ascending order puts NULLs last, descending puts them first; SQL's ``>`` and
    ``<`` are never true against NULL, so the NULL cases are written out.
    """
    col = sort.column
    if not sort.nullable:
        key = sa.tuple_(col, id_column)
        after = sa.tuple_(sa.literal(value, col.type), sa.literal(row_id, id_column.type))
        return key < after if descending else key > after
    if descending:
        if value is None:  # still among the leading NULLs, or past them
            return sa.or_(sa.and_(col.is_(None), id_column < row_id), col.is_not(None))
        return sa.or_(col < value, sa.and_(col == value, id_column < row_id))
    if value is None:  # among the trailing NULLs
        return sa.and_(col.is_(None), id_column > row_id)
    return sa.or_(col > value, sa.and_(col == value, id_column > row_id), col.is_(None))


def page_statement(stmt: sa.Select[Any], spec: ListSpec, parsed: ListQuery) -> sa.Select[Any]:
    """``stmt`` filtered, ordered, started after the cursor and limited to limit + 1
    rows (the extra row says whether there is a next page). Two labelled columns,
    ``_sort_value`` and ``_sort_id``, are added at the end for the next cursor."""
    sort = spec.sorts[parsed.sort_field]
    col, id_column = sort.column, spec.id_column
    stmt = apply_filters(stmt, spec, parsed)
    if parsed.after is not None:
        stmt = stmt.where(_keyset_condition(sort, id_column, parsed.descending, *parsed.after))
    if parsed.descending:
        order = [col.desc().nulls_first() if sort.nullable else col.desc(), id_column.desc()]
    else:
        order = [col.asc().nulls_last() if sort.nullable else col.asc(), id_column.asc()]
    return (
        stmt.add_columns(col.label("_sort_value"), id_column.label("_sort_id"))
        .order_by(None)
        .order_by(*order)
        .limit(parsed.limit + 1)
    )


def fetch_page(
    session: Session | sa.Connection,
    stmt: sa.Select[Any],
    spec: ListSpec,
    query: Mapping[str, Any] | None,
    dump: Callable[[Any], dict[str, Any]],
) -> dict[str, Any]:
    """Run one page of ``stmt`` for the caller's ``query``.

    ``stmt`` is a ``select()`` already limited to the rows the caller may see.
    ``dump`` turns one result into the JSON-safe item: it receives the ORM object
    when ``stmt`` selects one entity, otherwise the row's mapping.
    Returns ``{"items": [...], "next_cursor": str | None}``; raises
    :class:`ValidationFailed` for a bad query.
    """
    parsed = parse_query(query, spec)
    descriptions = stmt.column_descriptions
    single_entity = len(descriptions) == 1 and descriptions[0].get("entity") is not None
    rows = session.execute(page_statement(stmt, spec, parsed)).all()
    has_more = len(rows) > parsed.limit
    rows = rows[: parsed.limit]
    items = [dump(row[0] if single_entity else row._mapping) for row in rows]
    next_cursor = None
    if has_more and rows:
        last = rows[-1]._mapping
        next_cursor = encode_cursor(parsed.sort, last["_sort_value"], last["_sort_id"])
    return {"items": items, "next_cursor": next_cursor}


def readable_by(
    actor: Actor, owner_column: ColumnElement[Any], team_column: ColumnElement[Any]
) -> ColumnElement[bool]:
    """The SQL twin of :meth:`Actor.can_read`, for lists of owned records."""
    if actor.is_admin:
        return sa.true()
    conditions: list[ColumnElement[bool]] = [sa.and_(owner_column.is_(None), team_column.is_(None))]
    # An id that is not a UUID owns nothing; comparing it would fail the whole query.
    if _is_uuid(actor.id):
        conditions.append(owner_column == actor.id)
    if actor.team_id is not None and _is_uuid(actor.team_id):
        conditions.append(team_column == actor.team_id)
    return sa.or_(*conditions)


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


__all__: Sequence[str] = (
    "Filter",
    "ListQuery",
    "ListSpec",
    "Sort",
    "apply_filters",
    "encode_cursor",
    "fetch_page",
    "page_statement",
    "parse_query",
    "prefix_tsquery",
    "readable_by",
)
