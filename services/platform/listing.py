"""List queries every ``list_<plural>`` RPC shares: filters, search, sort, keyset pages.

A service describes what may be filtered and sorted once, in a :class:`ListSpec`,
and hands the caller's ``query`` dict (docs/rpc.md "List queries") to
:func:`fetch_page` together with a ``select()`` already narrowed to what the
caller may read. Bad input raises :class:`ValidationFailed` naming the field
(``filter[colour]``, ``sort``, ``cursor``, ``limit``, ``q``).

This module reads a page (:func:`page_statement`, :func:`read_page`) and, where the
spec asks for it (``count_total``), the first page's ``total``: exact up to
:data:`COUNT_EXACT_UP_TO`, above that the planner's estimate (:func:`count_total`).
The steps before it have a module each, and every name a service uses is importable
from here:

- :mod:`.list_spec` — :class:`ListSpec` and its fields, :class:`ListQuery`;
- :mod:`.list_query` — checking the caller's query (:func:`parse_query`);
- :mod:`.list_cursor` — keyset pages, never ``OFFSET`` (cursors, the keyset condition,
  the order with its NULLs);
- :mod:`.list_filters` — the filters' SQL and :func:`readable_by`;
- :mod:`.list_search` — the search box: an email, a phone number or words, each
  looked up through its own index.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.expression import Executable
from sqlalchemy.sql.visitors import InternalTraversal

from .access import Actor
from .list_cursor import encode_cursor, keyset_condition, page_order
from .list_filters import filter_condition, readable_by
from .list_query import (
    DEFAULT_LIMIT,
    MAX_FILTER_VALUES,
    MAX_LIMIT,
    MAX_Q,
    MAX_TEXT_VALUE,
    parse_query,
)
from .list_search import (
    AFTER_FIRST_WORD,
    LOOKUP_INCLUDE,
    MIN_PHONE_DIGITS,
    Search,
    SearchKind,
    after_first_word,
    first_rows,
    found_rows,
    phone_digits,
    phone_key,
    phone_key_sql,
    prefix_tsquery,
    search_branches,
    search_kind,
)
from .list_spec import Filter, FilterKind, ListQuery, ListSpec, Lookup, Sort

#: A total up to this many rows is counted exactly; above it, estimated.
COUNT_EXACT_UP_TO = 10_000
#: When the planner expects more rows than this (a fifth above the exact limit: with
#: the finer statistics of the search indexes its estimates are seldom further off),
#: the total is its estimate and nothing is counted.
COUNT_SKIP_ABOVE = 12_000
#: A search the planner expects to match at most this many rows reads its page from
#: the lookups' indexes (:func:`page_statement`); a larger one walks the sort order.
SEARCH_FROM_INDEXES_UP_TO = COUNT_SKIP_ABOVE


def apply_filters(
    stmt: sa.Select[Any],
    spec: ListSpec,
    parsed: ListQuery,
    actor: Actor | None = None,
    *,
    search: bool = True,
) -> sa.Select[Any]:
    """Add the filter and (unless ``search`` is false) search conditions of ``parsed``
    to ``stmt``. ``actor`` is needed when a lookup reads another table with rights."""
    for name, values in parsed.filters.items():
        stmt = stmt.where(filter_condition(spec.filters[name], values))
    if search and parsed.q:
        found = search_branches(spec, parsed.q, actor)
        if found is not None:
            stmt = stmt.where(found.any_of())
    return stmt


def page_statement(
    stmt: sa.Select[Any],
    spec: ListSpec,
    parsed: ListQuery,
    actor: Actor | None = None,
    *,
    few: bool = False,
) -> sa.Select[Any]:
    """``stmt`` filtered, ordered, started after the cursor and limited to limit + 1
    rows (the extra row says whether there is a next page). Two labelled columns,
    ``_sort_value`` and ``_sort_id``, are added at the end for the next cursor.

    ``parsed.first_found`` (a search's first records, the global search's) reads each
    lookup's first limit + 1 matches from its own index — a name's start in the
    name's order, so however many match — and orders only those: every match when
    there are at most the limit, and more than the limit (so "more") otherwise.

    ``few`` (a search expected to match few rows: :data:`SEARCH_FROM_INDEXES_UP_TO`)
    reads the page's ids first — every lookup's matches from its own index, which holds
    the sort column, owner and team (``LOOKUP_INCLUDE``), so without touching the
    table; the first limit + 1 of them in page order — then only those rows, with
    ``_matched``, how many matched in all. Otherwise the planner may walk the sort
    order and test each row: the fast way when many match.
    """
    sort = spec.sorts[parsed.sort_field]
    col, id_column = sort.column, spec.id_column
    order = page_order(col, id_column, sort, parsed.descending)
    found = search_branches(spec, parsed.q, actor) if parsed.q else None
    filtered = apply_filters(stmt, spec, parsed, actor, search=False)
    if parsed.after is not None:
        filtered = filtered.where(
            keyset_condition(sort, id_column, parsed.descending, *parsed.after)
        )
    if found is not None and parsed.first_found:
        matches = first_rows(filtered, found, id_column, col, parsed.limit + 1)
        first = (
            sa.select(matches.c.id)
            .order_by(*page_order(matches.c.sort, matches.c.id, sort, parsed.descending))
            .limit(parsed.limit + 1)
            .subquery()
        )
        stmt = stmt.join(first, id_column == first.c.id)
    elif found is not None and few:
        # Every match, unordered: ordered, the planner could choose to walk the sort
        # order for each branch, testing every row — what ``few`` is to avoid.
        matches = found_rows(filtered, found, id_column, col)
        # How many matched, counted on the way (the first page's total, exact).
        first = (
            sa.select(matches.c.id, sa.func.count().over().label("matched"))
            .order_by(*page_order(matches.c.sort, matches.c.id, sort, parsed.descending))
            .limit(parsed.limit + 1)
            .subquery()
        )
        stmt = stmt.join(first, id_column == first.c.id).add_columns(
            first.c.matched.label("_matched")
        )
    elif found is not None:
        stmt = filtered.where(found.any_of())
    else:
        stmt = filtered
    return (
        stmt.add_columns(col.label("_sort_value"), id_column.label("_sort_id"))
        .order_by(None)
        .order_by(*order)
        .limit(parsed.limit + 1)
    )


@dataclass(frozen=True)
class PageRows:
    """One page as read from the database (:func:`read_page`)."""

    rows: list[Any]  # at most the limit
    has_more: bool
    total: int | None  # None: not counted (a later page, or a list without totals)
    total_is_estimate: bool | None


def read_page(
    session: Session | sa.Connection,
    stmt: sa.Select[Any],
    spec: ListSpec,
    parsed: ListQuery,
    actor: Actor | None = None,
) -> PageRows:
    """The statements of one page: for a search, the planner's estimate of how many
    match (it decides how the page is read, :func:`page_statement`; not for a phone
    number, which matches a few, nor for the first found); the page; and on
    the first page of a list with totals, the total (:func:`count_total`) unless the
    page already told it."""
    estimate = None
    # A phone number matches a handful (7 or more digits of its end), and the first
    # found read at most limit + 1 a lookup: neither needs the planner's estimate.
    phone = bool(parsed.q and spec.search_phones and search_kind(parsed.q) == "phone")
    if parsed.q and spec.has_lookups and not parsed.first_found and not phone:
        estimate = planner_rows(session, matching_statement(stmt, spec, parsed, actor))
    few = phone or (estimate is not None and estimate <= SEARCH_FROM_INDEXES_UP_TO)
    rows = session.execute(page_statement(stmt, spec, parsed, actor, few=few)).all()
    has_more = len(rows) > parsed.limit
    rows = rows[: parsed.limit]
    total: int | None = None
    estimated: bool | None = None
    # The first page only: the next ones are read by a client that has the total.
    if spec.count_total and parsed.after is None and parsed.with_total:
        if not has_more:  # the whole result is on this page
            total, estimated = len(rows), False
        elif few:  # the page's statement counted them
            total, estimated = rows[0]._mapping["_matched"], False
        else:
            total, estimated = count_total(session, stmt, spec, parsed, actor, estimate)
    return PageRows(rows, has_more, total, estimated)


def fetch_page(
    session: Session | sa.Connection,
    stmt: sa.Select[Any],
    spec: ListSpec,
    query: Mapping[str, Any] | None,
    dump: Callable[[Any], dict[str, Any]],
    actor: Actor | None = None,
) -> dict[str, Any]:
    """Run one page of ``stmt`` for the caller's ``query``.

    ``stmt`` is a ``select()`` already limited to the rows the caller may see.
    ``dump`` turns one result into the JSON-safe item: it receives the ORM object
    when ``stmt`` selects one entity, otherwise the row's mapping. ``actor`` (the
    caller) is needed when the search reads another table with rights of its own.
    Returns ``{"items": [...], "next_cursor": str | None}``, plus ``total`` and
    ``total_is_estimate`` when ``spec.count_total`` (on the first page — no cursor —
    only; null on the next ones); raises :class:`ValidationFailed` for a bad query.
    With ``first_found`` it is ``{"items", "next_cursor": None, "more": bool}``.
    """
    parsed = parse_query(query, spec)
    descriptions = stmt.column_descriptions
    single_entity = len(descriptions) == 1 and descriptions[0].get("entity") is not None
    page = read_page(session, stmt, spec, parsed, actor)
    items = [dump(row[0] if single_entity else row._mapping) for row in page.rows]
    next_cursor = None
    if parsed.first_found:  # no next page: only whether more match
        return {"items": items, "next_cursor": None, "more": page.has_more}
    if page.has_more and page.rows:
        last = page.rows[-1]._mapping
        next_cursor = encode_cursor(parsed.sort, last["_sort_value"], last["_sort_id"])
    result: dict[str, Any] = {"items": items, "next_cursor": next_cursor}
    if spec.count_total:
        result["total"] = page.total
        result["total_is_estimate"] = page.total_is_estimate
    return result


class _Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON)`` of a statement: the planner's plan, nothing run.
    Cached compiled like any statement (by the statement's own cache key)."""

    _traverse_internals = [("statement", InternalTraversal.dp_clauseelement)]
    inherit_cache = True

    def __init__(self, statement: sa.Select[Any]) -> None:
        self.statement = statement

    @property
    def _all_selected_columns(self) -> Any:  # what a cached result's columns map to
        return self.statement._all_selected_columns


@compiles(_Explain)
def _compile_explain(element: _Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def planner_rows(session: Session | sa.Connection, stmt: sa.Select[Any]) -> int:
    """How many rows the planner expects ``stmt`` to return (its statistics, no scan)."""
    # An untyped column: the plan must not go through the select's result types.
    bare = stmt.with_only_columns(sa.literal_column("1"), maintain_column_froms=True)
    plan = session.execute(_Explain(bare)).scalar_one()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(math.ceil(plan[0]["Plan"]["Plan Rows"]))


def matching_statement(
    stmt: sa.Select[Any], spec: ListSpec, parsed: ListQuery, actor: Actor | None
) -> sa.Select[Any]:
    """The ids of every row ``stmt`` gives for the filters and search of ``parsed``,
    written for the planner to estimate how many."""
    matching = apply_filters(stmt, spec, parsed, actor, search=False)
    found = search_branches(spec, parsed.q, actor) if parsed.q else None
    if found is not None:
        matching = matching.where(found.estimable(spec))
    return matching.order_by(None).with_only_columns(spec.id_column)


def count_total(
    session: Session | sa.Connection,
    stmt: sa.Select[Any],
    spec: ListSpec,
    parsed: ListQuery,
    actor: Actor | None = None,
    estimate: int | None = None,
) -> tuple[int, bool]:
    """``(total, is_estimate)`` of the rows ``stmt`` gives for ``parsed`` (filters and
    search; the cursor is ignored).

    Exact when there are at most :data:`COUNT_EXACT_UP_TO`; otherwise the planner's
    row estimate for the same filtered query (``EXPLAIN``; ``estimate`` when the
    caller has it), never less than that limit + 1. The rows are counted — the first
    limit + 1 at most — unless the planner expects more than
    :data:`COUNT_SKIP_ABOVE`, when the estimate alone answers. A search of several
    lookups is counted as the union of one select per lookup, each an index-only
    scan of its own index (:meth:`Search.apart`).
    """
    if estimate is None:
        estimate = planner_rows(session, matching_statement(stmt, spec, parsed, actor))
    if estimate > COUNT_SKIP_ABOVE:
        return estimate, True
    found = search_branches(spec, parsed.q, actor) if parsed.q else None
    if found is not None and len(found.branches) > 1:
        filtered = apply_filters(stmt, spec, parsed, actor, search=False)
        rows = found_rows(filtered, found, spec.id_column, spec.id_column)
        first = sa.select(rows.c.id).limit(COUNT_EXACT_UP_TO + 1).subquery()
    else:
        first = (
            matching_statement(stmt, spec, parsed, actor).limit(COUNT_EXACT_UP_TO + 1).subquery()
        )
    counted = session.execute(sa.select(sa.func.count()).select_from(first)).scalar_one()
    if counted <= COUNT_EXACT_UP_TO:
        return counted, False
    return max(estimate, COUNT_EXACT_UP_TO + 1), True


__all__: Sequence[str] = (
    "AFTER_FIRST_WORD",
    "COUNT_EXACT_UP_TO",
    "COUNT_SKIP_ABOVE",
    "DEFAULT_LIMIT",
    "Filter",
    "FilterKind",
    "LOOKUP_INCLUDE",
    "ListQuery",
    "ListSpec",
    "Lookup",
    "MAX_FILTER_VALUES",
    "MAX_LIMIT",
    "MAX_Q",
    "MAX_TEXT_VALUE",
    "MIN_PHONE_DIGITS",
    "PageRows",
    "SEARCH_FROM_INDEXES_UP_TO",
    "Search",
    "SearchKind",
    "Sort",
    "after_first_word",
    "apply_filters",
    "count_total",
    "encode_cursor",
    "fetch_page",
    "matching_statement",
    "page_statement",
    "parse_query",
    "phone_digits",
    "phone_key",
    "phone_key_sql",
    "planner_rows",
    "prefix_tsquery",
    "read_page",
    "readable_by",
    "search_branches",
    "search_kind",
)
