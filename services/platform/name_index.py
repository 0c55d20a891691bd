"""An in-memory trigram index of a table of name keys, for the duplicate search.

PostgreSQL's trigram index answers ``key % name`` by counting, per key, how many of the
name's trigrams it holds — but it cannot know each key's own trigram count, so at a
million records it lets through thousands of keys that merely contain a common word
("walter") and rechecks each one in the table: 10–35 ms a search (bench/README.md).
This index holds, per trigram, the positions of the keys that have it (numpy arrays,
~40 MB for 670,000 keys) and each key's trigram count, so one search counts the shared
trigrams of every key in a single pass and computes pg_trgm's similarity exactly —
``count / (n + m - count)`` in single precision, as pg_trgm does — in about a
millisecond. Its answers are the same keys, with the same similarities, as
``key % name`` (tests/platform/test_name_index.py).

It stays current without polling the table:

* every key row has a ``seq`` (an identity column); the trigger that adds keys
  (``platform.migration_ops.create_name_key_table``) sends their seqs on a
  ``LISTEN``/``NOTIFY`` channel named after the table when its transaction commits —
  or ``rebuild`` when one statement added more than :data:`NOTIFY_LIMIT` keys (a bulk
  load);
* :class:`NameIndexes` (a Nameko dependency) listens on a connection of its own,
  builds each index after ``LISTEN`` (so nothing committed in between is missed),
  applies notified keys, rebuilds on ``rebuild`` and after a lost connection;
* a search first reads the keys with a seq above the highest it knows (one indexed
  query, usually empty), so a caller finds the name it has just written.

Until an index is built (a new process, a bulk load) the search falls back to the
table's trigram index (:mod:`services.platform.similar`): slower, never wrong.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import select
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import sqlalchemy as sa
from nameko.extensions import DependencyProvider
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from services.platform.rpc import rpc

from .access import Actor
from .db import create_db_engine
from .errors import EXPECTED

log = logging.getLogger(__name__)

#: One statement adding more keys than this sends ``rebuild`` instead of their seqs.
NOTIFY_LIMIT = 500
#: A search that finds more unknown keys than this asks for a rebuild and falls back.
CATCH_UP_LIMIT = 1000
#: How long the listener waits for a notification before checking it should stop.
LISTEN_WAIT_SECONDS = 1.0


def channel_name(table: str) -> str:
    """The NOTIFY channel of a name-key table: ``sales.contact_name_keys`` →
    ``sales_contact_name_keys``."""
    return table.replace(".", "_")


@dataclass(frozen=True)
class _State:
    # position → seq (int64) and → the key's number of distinct trigrams (int16), each
    # the first ``size`` slots of a buffer that may have room past them: a key is
    # appended in place (a state's slots never change once it is made; only the state
    # after it uses the room), and the buffers grow by half when full.
    seq_buffer: np.ndarray
    count_buffer: np.ndarray
    size: int
    postings: dict[str, np.ndarray]  # trigram → positions of the keys holding it (int32)
    # the same for the keys added since the last merge into ``postings``, so adding one
    # copies this small dictionary, not the built one; merged once it holds a quarter
    # as many trigrams (one pass, once in many keys)
    recent: dict[str, np.ndarray]
    base: int  # how many positions came from the last build (their seqs ascend)
    # seqs added since that build: one set shared by the states after a build, grown
    # in place (a seq known to a later state is known, whichever state is asked)
    added: set[int]
    high: int  # the highest seq known
    built_at: float

    @property
    def seqs(self) -> np.ndarray:
        return self.seq_buffer[: self.size]

    @property
    def counts(self) -> np.ndarray:
        return self.count_buffer[: self.size]

    def knows(self, seq: int) -> bool:
        if seq in self.added:
            return True
        base = self.seq_buffer[: self.base]
        at = int(np.searchsorted(base, seq))
        return at < self.base and int(base[at]) == seq


@dataclass
class NameKeyIndex:
    """The index of one table of name keys (``<schema>.<table>`` with ``key`` text and
    ``seq`` bigint columns)."""

    table: str
    state: _State | None = None
    stale: bool = False
    build_seconds: float | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    _during_build: list[tuple[int, list[str]]] | None = None
    rebuild_wanted: threading.Event = field(default_factory=threading.Event)

    @property
    def ready(self) -> bool:
        return self.state is not None and not self.stale

    @property
    def channel(self) -> str:
        return channel_name(self.table)

    def status(self) -> dict[str, Any]:
        state = self.state
        return {
            "table": self.table,
            "ready": self.ready,
            "keys": state.size if state else 0,
            "high_seq": state.high if state else None,
            "built_at": state.built_at if state else None,
            "build_seconds": self.build_seconds,
        }

    # --- building and keeping current --------------------------------------------------

    def build(self, engine: Engine) -> None:
        """Read the whole table in one snapshot and replace the index with it."""
        started = time.perf_counter()
        with self.lock:
            self._during_build = []
        try:
            with engine.connect() as conn:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    seqs_raw, counts_raw = conn.execute(
                        sa.text(
                            "SELECT string_agg(int8send(seq), ''::bytea ORDER BY seq),"
                            " string_agg(int2send(cardinality(show_trgm(key))::int2), ''::bytea"
                            f" ORDER BY seq) FROM {self.table}"
                        )
                    ).one()
                    rows = conn.execute(
                        sa.text(
                            "WITH k AS (SELECT (row_number() OVER (ORDER BY seq) - 1)::int AS pos,"
                            f" key FROM {self.table})"
                            " SELECT g, string_agg(int4send(pos), ''::bytea ORDER BY pos)"
                            " FROM k, unnest(show_trgm(key)) AS g GROUP BY g"
                        )
                    ).all()
            seqs = _array(seqs_raw, ">i8", np.int64)
            postings = {gram: _array(raw, ">i4", np.int32) for gram, raw in rows}
            state = _State(
                seq_buffer=seqs,
                count_buffer=_array(counts_raw, ">i2", np.int16),
                size=len(seqs),
                postings=postings,
                recent={},
                base=len(seqs),
                added=set(),
                high=int(seqs[-1]) if len(seqs) else 0,
                built_at=time.time(),
            )
            with self.lock:
                late = [row for row in self._during_build or [] if not state.knows(row[0])]
                self.state = _with_keys(state, late)
                self.stale = False
                self._during_build = None
        except BaseException:
            with self.lock:
                self._during_build = None
            raise
        self.build_seconds = round(time.perf_counter() - started, 3)
        size = self.state.size if self.state else 0
        log.info("name index %s built: %d keys in %.1f s", self.table, size, self.build_seconds)

    def add(self, rows: list[tuple[int, list[str]]]) -> None:
        """Add keys ``(seq, trigrams)`` the index does not know yet."""
        with self.lock:
            if self._during_build is not None:
                self._during_build.extend(rows)
            if self.state is not None:
                fresh = [row for row in rows if not self.state.knows(row[0])]
                if fresh:
                    self.state = _with_keys(self.state, fresh)

    def add_seqs(self, session: Session | sa.Connection, seqs: list[int]) -> None:
        """Add the keys with these seqs (from a notification)."""
        rows = session.execute(
            sa.text(f"SELECT seq, show_trgm(key) FROM {self.table} WHERE seq = ANY(:seqs)"),
            {"seqs": seqs},
        ).all()
        self.add([(int(seq), list(grams)) for seq, grams in rows])

    def knows(self, seq: int) -> bool:
        state = self.state
        return state is not None and state.knows(seq)

    def nearest(
        self, session: Session, name: str, threshold: float
    ) -> tuple[list[int], list[float]] | None:
        """The seqs and similarities of every key whose similarity to ``name`` is at
        least ``threshold``, best first, after reading the keys added since the index
        last heard (one round trip for both: the name's trigrams, the table's highest
        seq, the newer keys); None when the index cannot answer (not built, or too far
        behind — it is then rebuilt, and the caller falls back)."""
        state = self.state
        if state is None:
            return None
        trigrams, highest, fresh = session.execute(
            self._nearest_statement,
            {"name": name, "known": state.high, "limit": CATCH_UP_LIMIT + 1},
        ).one()
        if highest is not None and highest > state.high and not self._add_fresh(fresh or []):
            return None
        return self.search(list(trigrams), threshold)

    @functools.cached_property
    def _nearest_statement(self) -> sa.TextClause:
        return sa.text(
            "SELECT show_trgm(:name),"
            f" (SELECT max(seq) FROM {self.table}),"
            " (SELECT json_agg(json_build_array(k.seq, show_trgm(k.key)) ORDER BY k.seq)"
            f"  FROM (SELECT seq, key FROM {self.table} WHERE seq > :known"
            "  ORDER BY seq LIMIT :limit) AS k)"
        )

    def catch_up(self, session: Session, highest: int | None) -> bool:
        """Read the keys above the highest seq known, if ``highest`` (the table's
        highest seq now) says there are any. False when there are too many: the index
        is then marked stale until rebuilt, and the caller falls back."""
        state = self.state
        if state is None or highest is None or highest <= state.high:
            return state is not None
        rows = session.execute(
            sa.text(
                f"SELECT seq, show_trgm(key) FROM {self.table} WHERE seq > :high"
                " ORDER BY seq LIMIT :limit"
            ),
            {"high": state.high, "limit": CATCH_UP_LIMIT + 1},
        ).all()
        return self._add_fresh(rows)

    def _add_fresh(self, rows: Any) -> bool:
        """Add the keys read past the highest seq known; with more than
        :data:`CATCH_UP_LIMIT` of them, mark the index stale for a rebuild instead."""
        if len(rows) > CATCH_UP_LIMIT:
            self.stale = True
            self.rebuild_wanted.set()
            return False
        self.add([(int(seq), list(grams)) for seq, grams in rows])
        return True

    # --- searching ---------------------------------------------------------------------

    def search(self, trigrams: list[str], threshold: float) -> tuple[list[int], list[float]]:
        """The seqs of the keys whose pg_trgm similarity to a name with these
        (distinct) trigrams is ≥ ``threshold``, most similar first, with their
        similarities."""
        state = self.state
        if state is None:
            raise RuntimeError(f"the name index of {self.table} is not built")
        n = len(trigrams)
        lists = [state.postings[g] for g in trigrams if g in state.postings]
        lists += [state.recent[g] for g in trigrams if g in state.recent]
        if not n or not lists or not state.size:
            return [], []
        shared = np.bincount(np.concatenate(lists), minlength=state.size)
        # sim = c / (n + m - c) ≥ t needs c ≥ t·n (m ≥ c): only those are computed.
        at_least = max(1, math.ceil(threshold * n - 1e-9))
        candidates = np.flatnonzero(shared >= at_least)
        if not len(candidates):
            return [], []
        common = shared[candidates].astype(np.float32)
        union = np.float32(n) + state.counts[candidates].astype(np.float32) - common
        similarity = common / union  # single precision, as pg_trgm computes it
        passing = similarity.astype(np.float64) >= threshold
        candidates, similarity = candidates[passing], similarity[passing]
        order = np.argsort(-similarity, kind="stable")
        # tolist() makes the Python numbers in one pass (a common name passes thousands)
        return state.seqs[candidates[order]].tolist(), similarity[order].tolist()


def _array(raw: Any, wire: str, dtype: Any) -> np.ndarray:
    if raw is None:
        return np.zeros(0, dtype=dtype)
    return np.frombuffer(bytes(raw), dtype=wire).astype(dtype)


def _with_keys(state: _State, rows: list[tuple[int, list[str]]]) -> _State:
    """The state after ``state`` with keys added at new positions. Copy on write where
    it matters: a search running on the old state keeps it whole (its slots and
    dictionaries are never changed), while adding a key costs about its own size, not
    the index's."""
    if not rows:
        return state
    seen: set[int] = set()
    unique = []
    for seq, grams in rows:
        if seq not in seen:
            seen.add(seq)
            unique.append((seq, sorted(set(grams))))
    state.added.update(seq for seq, _grams in unique)
    start, size = state.size, state.size + len(unique)
    seq_buffer, count_buffer = state.seq_buffer, state.count_buffer
    if size > len(seq_buffer):
        capacity = max(size, len(seq_buffer) + len(seq_buffer) // 2, 1024)
        seq_buffer = np.resize(seq_buffer[:start], capacity)
        count_buffer = np.resize(count_buffer[:start], capacity)
    seqs = [seq for seq, _grams in unique]
    seq_buffer[start:size] = seqs
    count_buffer[start:size] = [len(grams) for _seq, grams in unique]

    grown: dict[str, list[int]] = {}
    for offset, (_seq, grams) in enumerate(unique):
        for gram in grams:
            grown.setdefault(gram, []).append(start + offset)
    postings, recent = state.postings, dict(state.recent)
    for gram, positions in grown.items():
        added = np.asarray(positions, dtype=np.int32)
        old = recent.get(gram)
        recent[gram] = added if old is None else np.concatenate([old, added])
    if len(recent) * 4 > len(postings):
        postings = dict(postings)
        for gram, positions in recent.items():
            old = postings.get(gram)
            postings[gram] = positions if old is None else np.concatenate([old, positions])
        recent = {}
    return _State(
        seq_buffer=seq_buffer,
        count_buffer=count_buffer,
        size=size,
        postings=postings,
        recent=recent,
        base=state.base,
        added=state.added,
        high=max(state.high, *seqs),
        built_at=state.built_at,
    )


class NameIndexes(DependencyProvider):
    """Keeps an in-memory :class:`NameKeyIndex` of each given table current in every
    service process, and injects them (``self.name_indexes.get(table)``).

    Config: ``DATABASE_URL``; ``NAME_INDEX`` (default on; off leaves the search on the
    table's trigram index).
    """

    def __init__(self, *tables: str):
        self.tables = tables
        self.indexes: dict[str, NameKeyIndex] = {}
        self.engine: Engine | None = None
        self.running = False
        self.connection: Any = None

    def setup(self) -> None:
        config = self.container.config
        if not config.get("NAME_INDEX", True):
            return
        self.engine = create_db_engine(config["DATABASE_URL"], pool_size=2, max_overflow=2)
        self.indexes = {table: NameKeyIndex(table) for table in self.tables}

    def start(self) -> None:
        if self.engine is None:
            return
        self.running = True
        self.container.spawn_managed_thread(self._listen, identifier="name_index_listener")

    def stop(self) -> None:
        self.running = False
        for index in self.indexes.values():
            index.rebuild_wanted.set()
        if self.engine is not None:
            self.engine.dispose()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> dict[str, NameKeyIndex]:
        return self.indexes

    def _listen(self) -> None:
        """LISTEN, build every index, then apply what is notified; start over (and
        rebuild) whenever the connection is lost."""
        assert self.engine is not None
        by_channel = {index.channel: index for index in self.indexes.values()}
        while self.running:
            raw = None
            try:
                raw = self.engine.raw_connection()
                raw.dbapi_connection.autocommit = True
                connection = raw.dbapi_connection
                with connection.cursor() as cur:
                    for channel in by_channel:
                        cur.execute(f'LISTEN "{channel}"')
                for index in self.indexes.values():
                    index.build(self.engine)
                while self.running:
                    for index in self.indexes.values():
                        if index.rebuild_wanted.is_set() and self.running:
                            index.rebuild_wanted.clear()
                            index.build(self.engine)
                    readable, _, _ = select.select([connection], [], [], LISTEN_WAIT_SECONDS)
                    if not readable:
                        continue
                    connection.poll()
                    notified: dict[str, list[str]] = {}
                    while connection.notifies:
                        note = connection.notifies.pop(0)
                        notified.setdefault(note.channel, []).append(note.payload)
                    for channel, payloads in notified.items():
                        index = by_channel.get(channel)
                        if index is None:
                            continue
                        if "rebuild" in payloads:
                            index.build(self.engine)
                            continue
                        # A search may have read them already (NameKeyIndex.nearest).
                        seqs = [
                            seq
                            for seq in (int(s) for p in payloads for s in p.split(",") if s)
                            if not index.knows(seq)
                        ]
                        if seqs:
                            with self.engine.connect() as conn:
                                index.add_seqs(conn, seqs)
            except Exception:  # noqa: BLE001 - keep listening; the search falls back meanwhile
                if self.running:
                    log.exception("name index listener failed; starting over")
                    for index in self.indexes.values():
                        index.stale = True
                    time.sleep(2)
            finally:
                if raw is not None:
                    with contextlib.suppress(Exception):
                        raw.close()


class NameIndexStatusRpc:
    """``name_index_status``: for a service part whose base has ``name_indexes``."""

    name_indexes: dict[str, NameKeyIndex]

    @rpc(expected_exceptions=EXPECTED)
    def name_index_status(self, actor: dict[str, Any]) -> list[dict[str, Any]]:
        """The state of each in-memory name index of this process (administrators):
        ``[{table, ready, keys, high_seq, built_at, build_seconds}]``; an empty list
        when the index is off (``NAME_INDEX``)."""
        Actor.from_dict(actor).require_admin()
        return [index.status() for index in self.name_indexes.values()]
