"""The nearest names among a million records: the duplicate search leads and sales share.

pg_trgm's similarity of two names depends only on the set of their lower-cased words,
so a service keeps each record's *name key* (those words, distinct and sorted, in an
indexed column) and a table of the distinct keys in use with a trigram index
(``leads.lead_name_keys``, ``sales.contact_name_keys``; docs/architecture.md,
"Duplicate search at a million rows"). The trigram search then runs over the distinct
keys — a common name is one row, not hundreds — and each key's readable records are
read through ``(name_key, id)``.

The search goes from the top threshold down (:data:`NAME_TIERS`): at a high threshold
the trigram index itself rules out most keys, and ten records found there are the ten
best; only a name with fewer than ten such look-alikes is searched again at the
threshold a duplicate must reach.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from .access import Actor
from .listing import readable_by
from .name_index import NameKeyIndex
from .values import is_uuid

#: How alike two names must be to count as a likely duplicate (pg_trgm similarity).
NAME_SIMILARITY_THRESHOLD = 0.4
#: The thresholds the nearest names are looked for at, highest first; the last is
#: :data:`NAME_SIMILARITY_THRESHOLD`. Measured over 500 names among 669,000 keys
#: (bench/README.md): most names have ten look-alikes at 0.5, and a search at 0.5
#: costs half of one at 0.4; starting higher (0.7) paid a third search for most
#: names and raised the p99.
NAME_TIERS = (0.5, NAME_SIMILARITY_THRESHOLD)
#: How many likely duplicates a search returns at most.
MAX_SIMILAR = 10
#: How many of the nearest name keys one search sorts out (more only when their
#: records are not the caller's).
KEYS_PER_SEARCH = 50


def set_similarity_threshold(session: Session, threshold: float) -> None:
    """``%`` compares with ``pg_trgm.similarity_threshold``: set it for this transaction."""
    session.execute(
        sa.text("SELECT set_config('pg_trgm.similarity_threshold', :t, true)"),
        {"t": str(threshold)},
    )


@dataclass(frozen=True)
class Allowed:
    """Which records a search may return: those ``caller`` may read (``owner`` and
    ``team`` are the records' columns), except ``exclude_id``. ``entity`` names the
    entity whose read scope applies (None: the default rights); ``shares`` is the
    entity's table of record shares (with ``record_id``, ``user_id``, ``team_id``),
    whose records shared with the caller are readable too."""

    caller: Actor
    record_id: Any
    owner: Any
    team: Any
    exclude_id: str | None = None
    entity: str | None = None
    shares: Any = None

    def conditions(self) -> list[Any]:
        shared = None
        if self.shares is not None:
            shared = shared_with(self.caller, self.shares, self.record_id)
        scope = self.caller.read_scope(self.entity)
        found = [readable_by(self.caller, self.owner, self.team, scope, shared)]
        if self.exclude_id is not None:
            found.append(self.record_id != self.exclude_id)
        return found

    def params(self) -> dict[str, Any]:
        """The bind values of :func:`allowed_sql`."""
        caller = self.caller
        scope = caller.read_scope(self.entity)
        team = caller.team_id if is_uuid(caller.team_id) else None
        return {
            "is_admin": scope == "all",
            "me": caller.id if is_uuid(caller.id) else None,
            "my_team": team if scope == "team" else None,
            "share_team": team,
            "exclude": self.exclude_id,
        }


def shared_with(caller: Actor, shares: Any, record_id: Any, *, edit: bool = False) -> Any:
    """The SQL condition "this record is shared with the caller" (``edit``: for editing)
    over the shares table ``shares`` (columns ``record_id``, ``user_id``, ``team_id``,
    ``access``)."""
    me = caller.id if is_uuid(caller.id) else None
    team = caller.team_id if is_uuid(caller.team_id) else None
    who = [shares.c.user_id == me] if me else []
    if team:
        who.append(shares.c.team_id == team)
    if not who:
        return sa.false()
    where = [shares.c.record_id == record_id, sa.or_(*who)]
    if edit:
        where.append(shares.c.access == "edit")
    return sa.exists().where(*where)


def allowed_sql(
    alias: str, record_id: Any, owner: Any, team: Any, shares: str | None = None
) -> str:
    """:class:`Allowed` as SQL text on the table ``alias`` — :func:`readable_by` and the
    exclusion — for statements made once (:meth:`Allowed.params` gives the values).
    ``shares``: the full name of the entity's shares table, whose shares with the
    caller make a record readable too."""
    shared = ""
    if shares is not None:
        shared = (
            f" OR EXISTS (SELECT 1 FROM {shares} AS s WHERE s.record_id = {alias}.{record_id.name}"
            " AND (s.user_id = CAST(:me AS uuid) OR s.team_id = CAST(:share_team AS uuid)))"
        )
    return (
        f"(:is_admin OR ({alias}.{owner.name} IS NULL AND {alias}.{team.name} IS NULL)"
        f" OR {alias}.{owner.name} = CAST(:me AS uuid)"
        f" OR {alias}.{team.name} = CAST(:my_team AS uuid){shared})"
        f" AND {alias}.{record_id.name} IS DISTINCT FROM CAST(:exclude AS uuid)"
    )


def nearest_ids_by_name_key(
    session: Session,
    *,
    key_column: Any,
    record_key: Any,
    name: str,
    allowed: Allowed,
    index: Any = None,
) -> list[str]:
    """Ids of the :data:`MAX_SIMILAR` records with the names nearest to ``name``
    (similarity ≥ :data:`NAME_SIMILARITY_THRESHOLD`) among those ``allowed``.

    ``key_column`` is the distinct keys' column (trigram-indexed), ``record_key`` the
    records' name key column (indexed with their id). With a built ``index``
    (:class:`~services.platform.name_index.NameKeyIndex` of that table) the keys that
    pass come from memory, already sorted, and the records of the nearest
    :data:`KEYS_PER_SEARCH` are read in one prepared statement; otherwise, at each
    threshold one trigram search sorts the keys that pass it. Either way the records
    are read in that order until ten are found; keys whose records the caller may not
    read make it read on, four times further each round.
    """
    record_id = allowed.record_id
    if isinstance(index, NameKeyIndex) and index.ready:
        found = index.nearest(session, name, NAME_SIMILARITY_THRESHOLD)
        if found is not None:
            seqs, similarities = found
            if not seqs:
                return []
            ids = [
                row.id
                for row in session.execute(
                    _nearest_records_statement(
                        key_column,
                        record_key,
                        record_id,
                        allowed.owner,
                        allowed.team,
                        None if allowed.shares is None else allowed.shares.fullname,
                    ),
                    {
                        **allowed.params(),
                        "seqs": seqs[:KEYS_PER_SEARCH],
                        "similarities": similarities[:KEYS_PER_SEARCH],
                        "limit": MAX_SIMILAR,
                    },
                )
            ]
            if len(ids) >= MAX_SIMILAR or len(seqs) <= KEYS_PER_SEARCH:
                return ids

            # More keys pass than the first statement looked at, and too few of the
            # nearest were readable: read on through the general loop.
            def remembered(want: int) -> Any:
                # The index's keys, best first: their text from the table by seq.
                given = sa.select(
                    sa.func.unnest(sa.literal(seqs[:want], ARRAY(sa.BigInteger))).label("seq"),
                    sa.func.unnest(sa.literal(similarities[:want], ARRAY(sa.REAL))).label(
                        "similarity"
                    ),
                ).subquery("given")
                key_table = key_column.table
                return (
                    sa.select(
                        key_column.label("key"),
                        (-given.c.similarity).label("distance"),
                        sa.literal(len(seqs)).label("passing"),
                    )
                    .join_from(given, key_table, key_table.c.seq == given.c.seq)
                    .subquery("found")
                )

            return _records_of_keys(
                session, remembered, record_id, record_key, allowed.conditions()
            )

    conditions = allowed.conditions()

    def searched(want: int) -> Any:
        # The keys passing the current threshold, nearest first, from the trigram index.
        return (
            sa.select(
                key_column.label("key"),
                key_column.op("<->")(name).label("distance"),
                sa.func.count().over().label("passing"),
            )
            .where(key_column.op("%")(name))
            .order_by("distance", key_column)
            .limit(want)
            .subquery("found")
        )

    ids: list[str] = []
    for threshold in NAME_TIERS:
        set_similarity_threshold(session, threshold)
        ids = _records_of_keys(session, searched, record_id, record_key, conditions)
        if len(ids) >= MAX_SIMILAR:
            break
    return ids


@functools.cache
def _nearest_records_statement(
    key_column: Any, record_key: Any, record_id: Any, owner: Any, team: Any, shares: str | None
) -> sa.TextualSelect:
    """The first :data:`MAX_SIMILAR` allowed records of the given keys (``:seqs`` with
    their ``:similarities``, best first), in the order :func:`_records_of_keys` reads
    them: by similarity, key, id. Made once per table; no SQL is built per call."""
    keys, records = key_column.table.fullname, record_key.table.fullname
    return sa.text(
        "SELECT r.id FROM unnest(CAST(:seqs AS bigint[]), CAST(:similarities AS real[]))"
        f" AS g(seq, similarity) JOIN {keys} AS k ON k.seq = g.seq"
        f" CROSS JOIN LATERAL (SELECT x.{record_id.name} AS id FROM {records} AS x"
        f"  WHERE x.{record_key.name} = k.{key_column.name}"
        f"  AND {allowed_sql('x', record_id, owner, team, shares)}"
        f"  ORDER BY x.{record_id.name} LIMIT :limit) AS r"
        f" ORDER BY g.similarity DESC, k.{key_column.name}, r.id LIMIT :limit"
    ).columns(sa.column("id", record_id.type))


def _records_of_keys(
    session: Session, found: Any, record_id: Any, record_key: Any, conditions: list[Any]
) -> list[str]:
    """The first :data:`MAX_SIMILAR` allowed records of the nearest keys.

    ``found(want)`` gives the ``want`` nearest keys as a subquery ``(key, distance,
    passing)`` — ``passing``: how many keys pass in all. Each key's records are read
    (lateral, through ``(name_key, id)``) only until ``limit`` rows are out; a key with
    no allowed record still yields one row, so fewer rows than ``limit`` means every
    one of the ``want`` keys was looked at. Keys whose records the caller may not read
    make it read on, four times further each round, until no key is left.
    """
    want, limit = KEYS_PER_SEARCH, MAX_SIMILAR
    while True:
        keys = found(want)
        records = (
            sa.select(record_id.label("id"))
            .where(record_key == keys.c.key, *conditions)
            .order_by(record_id)
            .limit(MAX_SIMILAR)
            .lateral("records")
        )
        rows = session.execute(
            sa.select(keys.c.passing, records.c.id)
            .select_from(keys.outerjoin(records, sa.true()))
            .order_by(keys.c.distance, keys.c.key, records.c.id)
            .limit(limit)
        ).all()
        ids = [row.id for row in rows if row.id is not None][:MAX_SIMILAR]
        looked_at_all = len(rows) < limit
        passing = rows[0].passing if rows else 0
        if len(ids) >= MAX_SIMILAR or (looked_at_all and passing <= want):
            return ids
        if looked_at_all:
            want *= 4
        limit = want + MAX_SIMILAR


def nearest_ids_by_name(
    session: Session, *, record_id: Any, name_column: Any, name: str, conditions: list[Any]
) -> list[str]:
    """Ids of the :data:`MAX_SIMILAR` allowed records whose ``name_column`` is nearest
    to ``name`` (≥ :data:`NAME_SIMILARITY_THRESHOLD`), searched in the records' own
    trigram index, from the top threshold down — for tables without name keys."""
    nearest = (
        sa.select(record_id)
        .where(name_column.op("%")(name), *conditions)
        .order_by(name_column.op("<->")(name))
        .limit(MAX_SIMILAR)
    )
    ids: list[str] = []
    for threshold in NAME_TIERS:
        set_similarity_threshold(session, threshold)
        ids = list(session.execute(nearest).scalars())
        if len(ids) >= MAX_SIMILAR:
            break
    return ids
