"""Keyset pages, never ``OFFSET``: the cursor carries the last row's sort value and id,
and the next page starts strictly after that pair.

NULL sort values are placed last in ascending order and first in descending order
(PostgreSQL's own default), and the keyset condition spells out the NULL cases, so no
row is skipped or repeated however many rows share a value or have none.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from .list_spec import ListSpec, Sort, query_error


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


def parse_cursor(raw: Any, sort: str, spec: ListSpec) -> tuple[Any, Any] | None:
    if raw is None or raw == "":
        return None
    bad = query_error("cursor", "is not a cursor this list gave out")
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
        raise query_error("cursor", f"belongs to sort {payload['s']!r}, not {sort!r}")
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


def keyset_condition(
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


def page_order(
    column: ColumnElement[Any], id_column: ColumnElement[Any], sort: Sort, descending: bool
) -> list[ColumnElement[Any]]:
    """The page order: the sort column (NULLs last ascending, first descending), then
    the id, so that every row has one place whatever its neighbours share."""
    if descending:
        return [column.desc().nulls_first() if sort.nullable else column.desc(), id_column.desc()]
    return [column.asc().nulls_last() if sort.nullable else column.asc(), id_column.asc()]
