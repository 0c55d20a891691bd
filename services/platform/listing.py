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

The search box (``q``) takes the path its text asks for (:func:`search_kind`), each
through its own btree index (``text_pattern_ops``, so a prefix ``LIKE`` uses it): an
email or its start (it has an ``@``) is looked up in the spec's ``search_emails``, a
phone number (7 or more significant digits, however it is written) by its
:func:`phone_key` in ``search_phones``, and other words — the start of a name or a
company — in ``search_prefixes``. A :class:`Lookup` is a column of the listed table or
of a side table (a contact's several emails and phones; a contact's account). A list
without lookups matches words against its full-text ``search_vector``. A list whose
spec asks for it (``count_total``) gives its first page a ``total``: exact up to
:data:`COUNT_EXACT_UP_TO`, above that the planner's estimate (:func:`count_total`).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ClauseElement, ColumnElement
from sqlalchemy.sql.expression import Executable
from sqlalchemy.sql.visitors import InternalTraversal

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
#: A total up to this many rows is counted exactly; above it, estimated.
COUNT_EXACT_UP_TO = 10_000
#: When the planner expects more rows than this (a fifth above the exact limit: with
#: the finer statistics of the search indexes its estimates are seldom further off),
#: the total is its estimate and nothing is counted.
COUNT_SKIP_ABOVE = 12_000
#: A search the planner expects to match at most this many rows reads its page from
#: the lookups' indexes (:func:`page_statement`); a larger one walks the sort order.
SEARCH_FROM_INDEXES_UP_TO = COUNT_SKIP_ABOVE
#: A phone number in the search box has at least this many significant digits (fewer
#: are searched as words: the start of a number, a short extension).
MIN_PHONE_DIGITS = 7

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
class Lookup:
    """A text column (or expression) the search box looks values up in, by prefix.

    It needs a btree index with ``text_pattern_ops`` (a prefix ``LIKE`` and ``=`` both
    use it); for words, an index on the lower-cased text. It is on the listed table
    itself (``record_id`` None) or on a side table whose ``record_id`` column names
    the record — matched to the listed table's ``on`` column, its id by default. A
    side table of terms marks each term's kind with ``prefix`` (``e:`` for emails,
    ``p:`` for phone keys), so one index serves both. ``rights`` — the side table's
    own owner and team columns — keeps to its rows the caller may read (a contact
    found by its account's name only when the caller may read the account).
    """

    column: ColumnElement[Any]
    record_id: ColumnElement[Any] | None = None
    prefix: str = ""
    on: ColumnElement[Any] | None = None
    rights: tuple[ColumnElement[Any], ColumnElement[Any]] | None = None


@dataclass(frozen=True)
class ListSpec:
    """What a list may be filtered, searched and sorted by."""

    id_column: ColumnElement[Any]
    filters: Mapping[str, Filter] = field(default_factory=dict)
    sorts: Mapping[str, Sort] = field(default_factory=dict)
    default_sort: str = "-created_at"
    #: a ``tsvector`` column (or expression) searched by ``q`` when the list has no
    #: ``search_prefixes``; None and no lookups = no search box
    search_vector: ColumnElement[Any] | None = None
    #: the text search configuration the vector was built with
    search_config: str = "simple"
    #: where ``q`` that is an email (or its start) is looked up: lower-cased emails
    search_emails: tuple[Lookup, ...] = ()
    #: where ``q`` that is a phone number is looked up: :func:`phone_key` values
    search_phones: tuple[Lookup, ...] = ()
    #: where other words are looked up: lower-cased names and companies, by prefix
    search_prefixes: tuple[Lookup, ...] = ()
    #: the first page carries ``total`` and ``total_is_estimate`` (:func:`count_total`)
    count_total: bool = False

    @property
    def has_lookups(self) -> bool:
        return bool(self.search_emails or self.search_phones or self.search_prefixes)

    @property
    def searchable(self) -> bool:
        return self.search_vector is not None or self.has_lookups


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
    if not spec.searchable:
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


# --- the search box -------------------------------------------------------------------

_PHONE_TEXT = re.compile(r"[\d\s()+\-./]+")
_NON_DIGITS = re.compile(r"[^0-9]")
_RUSSIAN_TRUNK = re.compile(r"8\d{10}")

SearchKind = Literal["email", "phone", "words"]


def phone_digits(text: str) -> str:
    """A number's significant digits: its digits without the leading zeros (a trunk
    ``0`` or an international ``00``) and without the trunk ``8`` of an 11-digit
    Russian number. ``+44 20 7946 0018``, ``0044 20 7946 0018`` and ``442079460018`` →
    ``442079460018``; ``020-7946-0018`` → ``2079460018``; ``8 (916) 123-45-67`` →
    ``9161234567``. A ``(0)`` written after a country code is not a digit of the number."""
    digits = _NON_DIGITS.sub("", text.replace("(0)", "")).lstrip("0")
    return digits[1:] if _RUSSIAN_TRUNK.fullmatch(digits) else digits


def phone_key(text: str) -> str:
    """:func:`phone_digits` reversed: a number's key, stored and indexed beside it
    (:func:`phone_key_sql`), so that "ends with" is a prefix an index can look up."""
    return phone_digits(text)[::-1]


def phone_key_sql(value: str) -> str:
    """The SQL of :func:`phone_key` applied to the SQL expression ``value`` (for stored
    phones, which are ``+`` and digits: no ``(0)`` to drop). Immutable, so it can make a
    generated column."""
    return (
        "reverse(regexp_replace(ltrim(regexp_replace("
        + value
        + ", '[^0-9]', '', 'g'), '0'), '^8([0-9]{10})$', '\\1'))"
    )


#: What the index of an email or name lookup holds besides its key (``INCLUDE``), so
#: that a search's page of ids (in the default order, newest first) and its total are
#: read from the index alone, whatever the caller's rights.
LOOKUP_INCLUDE = ("id", "owner_id", "team_id", "created_at")

#: What is left of a name without its first word: ``Zoe Acker`` → ``Acker``.
AFTER_FIRST_WORD = r"^\S+\s+"


def after_first_word(name: ColumnElement[Any]) -> ColumnElement[Any]:
    """A person's name from its second word on (the surname of most), so the search
    box finds ``Zoe Acker`` by ``ack`` as well as by ``zoe a``."""
    return sa.func.regexp_replace(name, AFTER_FIRST_WORD, "")


def search_kind(text: str) -> SearchKind:
    """What the search box holds: an ``email`` (or the start of one: an ``@`` after
    something), a ``phone`` number (only what numbers are written with, and at least
    :data:`MIN_PHONE_DIGITS` significant digits), or ``words``."""
    if "@" in text[1:] and not any(c.isspace() for c in text):
        return "email"
    if _PHONE_TEXT.fullmatch(text) and len(phone_digits(text)) >= MIN_PHONE_DIGITS:
        return "phone"
    return "words"


def _prefix_pattern(text: str) -> ColumnElement[str]:
    """``text`` lower-cased (by PostgreSQL, as the indexes are) as the fixed start of a
    ``LIKE`` pattern; backslash is LIKE's escape. A constant the planner folds, so the
    index sees the prefix."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return sa.func.lower(sa.literal(escaped, sa.Text)).concat("%")


Match = Callable[["Lookup"], ColumnElement[bool]]


def _starts_with(text: str) -> Match:
    return lambda lookup: lookup.column.like(_prefix_pattern(lookup.prefix + text))


def _same_number(digits: str) -> Match:
    """A stored number matches when it ends with the typed one (typed without its
    country code, or whole), or when the typed one ends with it (stored without its
    country code) — then at least :data:`MIN_PHONE_DIGITS` of it. Keys are reversed,
    so both are lookups from the start of the key: a prefix, and a few exact keys."""
    ends_with_typed = digits[::-1]
    typed_ends_with = [digits[-n:][::-1] for n in range(MIN_PHONE_DIGITS, len(digits))]

    def match(lookup: Lookup) -> ColumnElement[bool]:
        condition = lookup.column.like(_prefix_pattern(lookup.prefix + ends_with_typed))
        if typed_ends_with:
            keys = [lookup.prefix + key for key in typed_ends_with]
            condition = sa.or_(condition, lookup.column.in_(keys))
        return condition

    return match


def _branch(
    spec: ListSpec, lookup: Lookup, match: Match, actor: Actor | None
) -> ColumnElement[bool]:
    """The records ``lookup`` finds: a condition on the row, or ``<on> IN (SELECT
    record_id FROM side WHERE ...)``, which the planner joins from the few rows found
    instead of testing every record."""
    if lookup.record_id is None:
        return match(lookup)
    found = sa.select(lookup.record_id).where(match(lookup))
    if lookup.rights is not None:
        if actor is None:
            raise ValueError("this list's search reads another table: pass the actor")
        found = found.where(readable_by(actor, *lookup.rights))
    on = lookup.on if lookup.on is not None else spec.id_column
    return on.in_(found.correlate(None))


@dataclass(frozen=True)
class Search:
    """What the search box asks of a list: ``branches``, conditions any of which a
    record must meet, one per lookup; ``on_row`` tells, for each, whether it is a
    condition on the row (else it reads a side table)."""

    branches: list[ColumnElement[bool]]
    on_row: list[bool]

    def any_of(self) -> ColumnElement[bool]:
        """The branches as one condition on the row: the planner ORs their indexes'
        bitmaps, or tests them walking the sort order (a side table's branch then
        becomes a hashed set of the ids it found) — the way to read a page when many
        records match."""
        return self.branches[0] if len(self.branches) == 1 else sa.or_(*self.branches)

    def estimable(self, spec: ListSpec) -> ColumnElement[bool]:
        """The same condition written so that the planner estimates it well: with a
        side table, ``id IN (<each branch's ids> UNION ALL ...)`` (an ``OR`` holding a
        subquery it would guess to match half the table)."""
        if all(self.on_row) or len(self.branches) == 1:
            return self.any_of()
        members = [sa.select(spec.id_column).where(b).correlate(None) for b in self.branches]
        return spec.id_column.in_(sa.union_all(*members))

    def apart(self) -> tuple[list[ColumnElement[bool]], bool]:
        """The branches made not to overlap, and whether they could be: a record is
        left to the first branch (conditions on the row first) that finds it — each
        later branch adds ``NOT`` of the earlier ones on the row, tested on the
        columns its index holds — so the records found are the union of the branches
        without a step that removes repeats. At most one may read a side table (two
        could overlap); otherwise the branches are returned as they are (False)."""
        if len(self.branches) == 1:
            return self.branches, True
        if self.on_row.count(False) > 1:
            return self.branches, False
        ordered = sorted(zip(self.branches, self.on_row, strict=True), key=lambda b: not b[1])
        apart: list[ColumnElement[bool]] = []
        earlier: list[ColumnElement[bool]] = []
        for branch, on_row in ordered:
            apart.append(sa.and_(branch, *(~sa.func.coalesce(e, sa.false()) for e in earlier)))
            if on_row:
                earlier.append(branch)
        return apart, True


def _found_rows(
    filtered: sa.Select[Any], found: Search, id_column: ColumnElement[Any], sort: ColumnElement[Any]
) -> sa.Subquery:
    """``(id, sort)`` of every record ``found`` finds in ``filtered``, one select per
    branch — each from its own index — united (``UNION ALL`` when the branches are
    made not to overlap)."""
    branches, apart = found.apart()
    selects = [
        filtered.where(branch)
        .with_only_columns(id_column.label("id"), sort.label("sort"))
        .order_by(None)
        for branch in branches
    ]
    rows = selects[0] if len(selects) == 1 else (sa.union_all if apart else sa.union)(*selects)
    # OFFSET 0 keeps the planner from reading this in the page's order (walking the
    # sort order and testing every row): whatever is above needs all of it first.
    return rows.offset(0).subquery()


def search_branches(spec: ListSpec, text: str, actor: Actor | None = None) -> Search | None:
    """What the search box ``text`` asks of the list (None: no condition at all —
    words that are only punctuation on a full-text list)."""
    kind = search_kind(text)
    if kind == "email" and spec.search_emails:
        lookups, match = spec.search_emails, _starts_with(text)
    elif kind == "phone" and spec.search_phones:
        lookups, match = spec.search_phones, _same_number(phone_digits(text))
    elif spec.search_prefixes:
        lookups, match = spec.search_prefixes, _starts_with(" ".join(text.split()))
    elif spec.search_vector is not None:
        tsquery = prefix_tsquery(text)
        if tsquery is None:
            return None
        vector = spec.search_vector.op("@@")(sa.func.to_tsquery(spec.search_config, tsquery))
        return Search([vector], [True])
    else:
        return Search([sa.false()], [True])
    return Search(
        [_branch(spec, lookup, match, actor) for lookup in lookups],
        [lookup.record_id is None for lookup in lookups],
    )


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
        stmt = stmt.where(_filter_condition(spec.filters[name], values))
    if search and parsed.q:
        found = search_branches(spec, parsed.q, actor)
        if found is not None:
            stmt = stmt.where(found.any_of())
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


def _order(
    column: ColumnElement[Any], id_column: ColumnElement[Any], sort: Sort, descending: bool
) -> list[ColumnElement[Any]]:
    if descending:
        return [column.desc().nulls_first() if sort.nullable else column.desc(), id_column.desc()]
    return [column.asc().nulls_last() if sort.nullable else column.asc(), id_column.asc()]


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

    ``few`` (a search expected to match few rows: :data:`SEARCH_FROM_INDEXES_UP_TO`)
    reads the page's ids first — every lookup's matches from its own index, which holds
    the sort column, owner and team (``LOOKUP_INCLUDE``), so without touching the
    table; the first limit + 1 of them in page order — then only those rows, with
    ``_matched``, how many matched in all. Otherwise the planner may walk the sort
    order and test each row: the fast way when many match.
    """
    sort = spec.sorts[parsed.sort_field]
    col, id_column = sort.column, spec.id_column
    order = _order(col, id_column, sort, parsed.descending)
    found = search_branches(spec, parsed.q, actor) if parsed.q else None
    filtered = apply_filters(stmt, spec, parsed, actor, search=False)
    if parsed.after is not None:
        filtered = filtered.where(
            _keyset_condition(sort, id_column, parsed.descending, *parsed.after)
        )
    if found is not None and few:
        # Every match, unordered: ordered, the planner could choose to walk the sort
        # order for each branch, testing every row — what ``few`` is to avoid.
        found_rows = _found_rows(filtered, found, id_column, col)
        # How many matched, counted on the way (the first page's total, exact).
        first = (
            sa.select(found_rows.c.id, sa.func.count().over().label("matched"))
            .order_by(*_order(found_rows.c.sort, found_rows.c.id, sort, parsed.descending))
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
    match (it decides how the page is read, :func:`page_statement`); the page; and on
    the first page of a list with totals, the total (:func:`count_total`) unless the
    page already told it."""
    estimate = None
    if parsed.q and spec.has_lookups:
        estimate = planner_rows(session, matching_statement(stmt, spec, parsed, actor))
    few = estimate is not None and estimate <= SEARCH_FROM_INDEXES_UP_TO
    rows = session.execute(page_statement(stmt, spec, parsed, actor, few=few)).all()
    has_more = len(rows) > parsed.limit
    rows = rows[: parsed.limit]
    total: int | None = None
    estimated: bool | None = None
    # The first page only: the next ones are read by a client that has the total.
    if spec.count_total and parsed.after is None:
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
    """
    parsed = parse_query(query, spec)
    descriptions = stmt.column_descriptions
    single_entity = len(descriptions) == 1 and descriptions[0].get("entity") is not None
    page = read_page(session, stmt, spec, parsed, actor)
    items = [dump(row[0] if single_entity else row._mapping) for row in page.rows]
    next_cursor = None
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
        rows = _found_rows(filtered, found, spec.id_column, spec.id_column)
        first = sa.select(rows.c.id).limit(COUNT_EXACT_UP_TO + 1).subquery()
    else:
        first = (
            matching_statement(stmt, spec, parsed, actor).limit(COUNT_EXACT_UP_TO + 1).subquery()
        )
    counted = session.execute(sa.select(sa.func.count()).select_from(first)).scalar_one()
    if counted <= COUNT_EXACT_UP_TO:
        return counted, False
    return max(estimate, COUNT_EXACT_UP_TO + 1), True


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
    "COUNT_EXACT_UP_TO",
    "Filter",
    "LOOKUP_INCLUDE",
    "ListQuery",
    "ListSpec",
    "Lookup",
    "PageRows",
    "Search",
    "Sort",
    "after_first_word",
    "apply_filters",
    "count_total",
    "encode_cursor",
    "fetch_page",
    "page_statement",
    "matching_statement",
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
