"""The search box (``q``) of a list.

It takes the path its text asks for (:func:`search_kind`), each through its own btree
index (``text_pattern_ops``, so a prefix ``LIKE`` uses it): an email or its start (it
has an ``@``) is looked up in the spec's ``search_emails``, a phone number (7 or more
significant digits, however it is written) by its :func:`phone_key` in
``search_phones``, and other words — the start of a name or a company — in
``search_prefixes``. A :class:`Lookup` is a column of the listed table or of a side
table (a contact's several emails and phones; a contact's account). A list without
lookups matches words against its full-text ``search_vector``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.visitors import InternalTraversal

from .access import Actor
from .list_filters import readable_by
from .list_spec import ListSpec, Lookup

#: A phone number in the search box has at least this many significant digits (fewer
#: are searched as words: the start of a number, a short extension).
MIN_PHONE_DIGITS = 7


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


def _contains(text: str) -> Match:
    """The typed text anywhere in the value (``LIKE '%text%'``, which a trigram index
    serves from three characters on)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = (
        sa.literal("%", sa.Text).concat(sa.func.lower(sa.literal(escaped, sa.Text))).concat("%")
    )
    return lambda lookup: lookup.column.like(pattern)


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
        entity = lookup.rights_entity
        if entity is not None and not actor.may(entity, "read"):
            found = found.where(sa.false())
        scope = actor.read_scope(entity) if entity is not None else None
        found = found.where(readable_by(actor, *lookup.rights, scope))
    on = lookup.on if lookup.on is not None else spec.id_column
    return on.in_(found.correlate(None))


@dataclass(frozen=True)
class Search:
    """What the search box asks of a list: ``branches``, conditions any of which a
    record must meet, one per lookup; ``on_row`` tells, for each, whether it is a
    condition on the row (else it reads a side table)."""

    branches: list[ColumnElement[bool]]
    on_row: list[bool]
    #: for each branch, the key its index reads the matches in (a name's start: the
    #: lower-cased name), or None when the order does not matter (a few matches)
    keys: list[ColumnElement[Any] | None] = field(default_factory=list)

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

    def apart_keys(self) -> list[ColumnElement[Any] | None]:
        """:attr:`keys` in the order of :meth:`apart`'s branches."""
        keys = self.keys or [None] * len(self.branches)
        if len(self.branches) == 1 or self.on_row.count(False) > 1:
            return keys
        return [k for k, _ in sorted(zip(keys, self.on_row, strict=True), key=lambda b: not b[1])]


def found_rows(
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


class _InPatternOrder(ColumnElement[Any]):
    """``<key> USING ~<~``: ordered as a ``text_pattern_ops`` index holds it, so the
    index gives the rows in order and a ``LIMIT`` stops it early."""

    inherit_cache = True
    _traverse_internals = [("key", InternalTraversal.dp_clauseelement)]

    def __init__(self, key: ColumnElement[Any]) -> None:
        self.key = key


@compiles(_InPatternOrder)
def _compile_in_pattern_order(element: _InPatternOrder, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.key, **kw) + " USING ~<~"


def first_rows(
    filtered: sa.Select[Any],
    found: Search,
    id_column: ColumnElement[Any],
    sort: ColumnElement[Any],
    each: int,
) -> sa.Subquery:
    """``(id, sort)`` of the first ``each`` records each branch of ``found`` finds in
    ``filtered`` — a branch with a key in its index's order, so its index stops after
    ``each`` however many match — united as :func:`found_rows` unites them."""
    branches, apart = found.apart()
    selects = []
    for branch, key in zip(branches, found.apart_keys(), strict=True):
        select = (
            filtered.where(branch)
            .with_only_columns(id_column.label("id"), sort.label("sort"))
            .order_by(None)
        )
        if key is not None:
            select = select.order_by(_InPatternOrder(key))
        selects.append(select.limit(each))
    if len(selects) == 1:
        return selects[0].subquery()
    return (sa.union_all if apart else sa.union)(*selects).subquery()


_AMOUNT_TEXT = re.compile(r"[0-9][0-9 \u00a0\u202f.,']*")


def parse_amount(text: str) -> Decimal | None:
    """The amount the search box's text reads as, or None: ``12950``, ``12950.5``,
    ``12,950.00`` and ``12 950,00`` are 12950(.5); a comma followed by exactly three
    digits groups thousands, any other comma is the decimal mark."""
    text = text.strip()
    if not _AMOUNT_TEXT.fullmatch(text):
        return None
    digits = re.sub(r"[ \u00a0\u202f']", "", text)
    if "," in digits and "." in digits:
        mark = "," if digits.rfind(",") > digits.rfind(".") else "."
        grouping = "." if mark == "," else ","
        digits = digits.replace(grouping, "").replace(mark, ".")
    elif "," in digits:
        whole, _, tail = digits.rpartition(",")
        grouped = len(tail) == 3 and all(len(g) == 3 for g in whole.split(",")[1:])
        digits = digits.replace(",", "") if grouped else f"{whole.replace(',', '')}.{tail}"
    if digits.count(".") > 1 or digits.endswith("."):
        return None
    try:
        amount = Decimal(digits)
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount < Decimal("1e15") else None


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
    elif spec.search_contains:
        lookups, match = spec.search_contains, _contains(" ".join(text.split()))
    elif spec.search_vector is not None:
        tsquery = prefix_tsquery(text)
        if tsquery is None:
            return None
        vector = spec.search_vector.op("@@")(sa.func.to_tsquery(spec.search_config, tsquery))
        return Search([vector], [True])
    elif spec.search_amounts:
        lookups, match = (), _starts_with(text)
    else:
        return Search([sa.false()], [True])
    branches = [_branch(spec, lookup, match, actor) for lookup in lookups]
    on_row = [lookup.record_id is None for lookup in lookups]
    # a name's start may match thousands: its index gives them by the name
    by_key = bool(lookups) and lookups is spec.search_prefixes
    keys = [lookup.column if by_key and lookup.record_id is None else None for lookup in lookups]
    amount = parse_amount(text) if spec.search_amounts else None
    for lookup in spec.search_amounts if amount is not None else ():
        branches.append(_branch(spec, lookup, lambda found, a=amount: found.column == a, actor))
        on_row.append(lookup.record_id is None)
        keys.append(None)
    if not branches:
        return Search([sa.false()], [True])
    return Search(branches, on_row, keys)
