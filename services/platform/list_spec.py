"""What a list declares once: its filterable, sortable and searchable fields
(:class:`ListSpec`), and a caller's query once checked (:class:`ListQuery`).

The steps that use them: :mod:`.list_query` (checking a query), :mod:`.list_cursor`
(keyset pages), :mod:`.list_filters`, :mod:`.list_search` (the search box) and
:mod:`.listing` (a page and its total).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.sql.elements import ColumnElement

from .errors import ValidationFailed

#: ``contains`` matches a case-insensitive substring (one value, no "any of");
#: ``datetime`` takes ranges ``from..to`` (ISO dates or times, either end open; a
#: date-only ``to`` includes that whole day, in UTC); the others match exactly.
FilterKind = Literal["text", "contains", "enum", "uuid", "bool", "int", "date", "datetime"]


@dataclass(frozen=True)
class Filter:
    """One filterable field: the column it reads and how a value is converted.

    ``options`` lists the accepted values of an ``enum``; ``normalize`` rewrites a
    ``text`` value the way the service stores it (e.g. lower-cased emails).

    A filter on a side table (a lead's stage history: "reached this stage") names the
    side table's column that points at the record, ``record_id``, and the listed
    table's column it points at, ``on``: the list keeps the records for which such a
    row EXISTS. ``record_id`` needs an index that leads with it or with ``column``.
    """

    column: ColumnElement[Any]
    kind: FilterKind = "text"
    options: tuple[str, ...] = ()
    normalize: Callable[[str], str] | None = None
    record_id: ColumnElement[Any] | None = None
    on: ColumnElement[Any] | None = None


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
    found by its account's name only when the caller may read the account), by
    ``rights_entity``'s object right ``read`` and read scope when it is named (the
    role's rights, docs/architecture.md "Access rights"), else by the default scope.
    """

    column: ColumnElement[Any]
    record_id: ColumnElement[Any] | None = None
    prefix: str = ""
    on: ColumnElement[Any] | None = None
    rights: tuple[ColumnElement[Any], ColumnElement[Any]] | None = None
    rights_entity: str | None = None


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
    #: where the search box's text is looked up anywhere in the value (a number typed
    #: in part: its year, its last digits): lower-cased, with a trigram index
    search_contains: tuple[Lookup, ...] = ()
    #: where the search box's text, when it reads as an amount (``12950``,
    #: ``12,950.00``, ``12 950,00``), is looked up as that exact amount, beside the
    #: other lookups (a number column with a btree index)
    search_amounts: tuple[Lookup, ...] = ()
    #: the first page carries ``total`` and ``total_is_estimate`` (:func:`count_total`)
    count_total: bool = False

    @property
    def has_lookups(self) -> bool:
        return bool(
            self.search_emails
            or self.search_phones
            or self.search_prefixes
            or self.search_contains
            or self.search_amounts
        )

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
    #: false: a list with totals answers its first page without one (``total: null``)
    with_total: bool = True
    #: true: a search's first records as its indexes give them, without a total or a
    #: cursor — each lookup's first limit + 1 (a name's by the name), those in the
    #: list's order (:func:`~.listing.page_statement`): the shell's global search
    first_found: bool = False

    @property
    def sort(self) -> str:
        return ("-" if self.descending else "") + self.sort_field


def query_error(field_name: str, message: str) -> ValidationFailed:
    """The error of one query parameter, named as the caller wrote it."""
    return ValidationFailed(f"{field_name}: {message}", [{"field": field_name, "message": message}])
