"""The SQL of a list's filters and of the default read rights."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from .access import Actor
from .list_spec import Filter


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def filter_condition(flt: Filter, values: list[Any]) -> ColumnElement[bool]:
    """Rows whose ``flt`` column matches any of ``values`` (converted by the query's
    parser); a None among them stands for "no value" (IS NULL)."""
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
    if flt.record_id is not None and flt.on is not None:
        return sa.exists().where(flt.record_id == flt.on, sa.or_(*conditions))
    return sa.or_(*conditions)


def readable_by(
    actor: Actor,
    owner_column: ColumnElement[Any],
    team_column: ColumnElement[Any],
    scope: str | None = None,
    shared: ColumnElement[bool] | None = None,
) -> ColumnElement[bool]:
    """The SQL twin of :meth:`Actor.can_read`, for lists of owned records.

    ``scope`` is the entity's read scope (:meth:`Actor.read_scope`; None: the default
    rights); ``shared`` the condition of a record shared with the caller (record
    sharing), which widens any scope narrower than all."""
    scope = scope or actor.read_scope()
    if scope == "all":
        return sa.true()
    conditions: list[ColumnElement[bool]] = [sa.and_(owner_column.is_(None), team_column.is_(None))]
    # An id that is not a UUID owns nothing; comparing it would fail the whole query.
    if _is_uuid(actor.id):
        conditions.append(owner_column == actor.id)
    if scope == "team" and actor.team_id is not None and _is_uuid(actor.team_id):
        conditions.append(team_column == actor.team_id)
    if shared is not None:
        conditions.append(shared)
    return sa.or_(*conditions)


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
