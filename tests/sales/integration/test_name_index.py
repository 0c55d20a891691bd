"""The in-memory name index answers exactly as pg_trgm does, and stays current.

services/platform/name_index.py keeps, in each sales process, the trigrams of every
contact name key; these tests hold it to ``key % name`` on the table itself, and check
that it learns every key that commits — in order, out of order, in bulk, and across a
lost connection — with the real database and its LISTEN/NOTIFY.
"""

from __future__ import annotations

import random
import time
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from bench.names import NameMix, misspell
from services.platform.name_index import CATCH_UP_LIMIT, NameKeyIndex
from services.platform.similar import NAME_SIMILARITY_THRESHOLD
from services.sales.service import SalesService
from tests.support.name_index import name_indexes, wait_for_name_indexes

from .test_sales_service import REP_A
from .test_similar_search import ODD_NAMES, insert_contacts

TABLE = "sales.contact_name_keys"


@pytest.fixture
def sales(container_factory, service_config):
    container = container_factory(SalesService, service_config)
    container.start()
    wait_for_name_indexes(container)
    return container


def index_of(container: Any) -> NameKeyIndex:
    return name_indexes(container).indexes[TABLE]


def seq_of(engine: sa.Engine, name: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text(f"SELECT seq FROM {TABLE} WHERE key = sales.name_key(:n)"), {"n": name}
        ).scalar_one()


def wait_until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.02)


def in_memory(engine: sa.Engine, index: NameKeyIndex, name: str) -> list[tuple[str, float]]:
    with Session(engine) as session:
        trigrams = session.execute(sa.select(sa.func.show_trgm(name))).scalar_one()
        seqs, similarities = index.search(list(trigrams), NAME_SIMILARITY_THRESHOLD)
        keys = dict(
            session.execute(
                sa.text(f"SELECT seq, key FROM {TABLE} WHERE seq = ANY(:s)"), {"s": seqs}
            ).all()
        )
    return sorted((keys[s], np.float32(sim)) for s, sim in zip(seqs, similarities, strict=True))


def in_table(engine: sa.Engine, name: str) -> list[tuple[str, float]]:
    with engine.begin() as conn:
        conn.execute(sa.text("SELECT set_config('pg_trgm.similarity_threshold', '0.4', true)"))
        rows = conn.execute(
            sa.text(f"SELECT key, similarity(key, :n) FROM {TABLE} WHERE key % :n"), {"n": name}
        ).all()
    # pg_trgm's similarity is a float4: compared as one (its text form is the shortest
    # that reads back as the same float4).
    return sorted((key, np.float32(sim)) for key, sim in rows)


def test_the_index_finds_what_pg_trgm_finds_with_the_same_similarities(sales, db_engine):
    # Three thousand names of the benchmarks' long-tailed mix, typos of some, odd ones;
    # one statement, so the trigger asks the index to rebuild.
    rng = random.Random(3)
    firsts, lasts = NameMix(rng).draw(rng, 3000)
    names = [f"{f} {last}" for f, last in zip(firsts, lasts, strict=True)]
    names += [misspell(rng, n) for n in names[:300]] + ODD_NAMES
    insert_contacts(db_engine, [(n, REP_A) for n in names])
    index = index_of(sales)
    highest = seq_of(db_engine, names[-2])
    wait_until(lambda: index.ready and index.state.knows(highest))

    probes = rng.sample(names, 150) + ["Katarina Olsen", "Zoe Muller", "Anna", "x", "---"]
    for probe in probes:
        assert in_memory(db_engine, index, probe) == in_table(db_engine, probe), probe


def test_a_key_committed_out_of_order_reaches_the_index(sales, db_engine):
    index = index_of(sales)
    early = db_engine.connect()
    transaction = early.begin()
    # The first transaction takes its seq, then waits while a second one commits.
    early.execute(
        sa.text(
            "INSERT INTO sales.contacts (id, full_name, owner_id, created_at, updated_at,"
            " created_by) VALUES (gen_random_uuid(), 'Aurelio Zanzibarro', :o, now(), now(), :o)"
        ),
        {"o": REP_A["id"]},
    )
    insert_contacts(db_engine, [("Bartholomeus Quixotte", REP_A)])
    later = seq_of(db_engine, "Bartholomeus Quixotte")
    # A search reads what committed above the highest seq it knew...
    with Session(db_engine) as session:
        assert index.catch_up(session, later)
    assert index.state.knows(later)
    transaction.commit()
    early.close()
    # ...and the earlier seq, committed after, comes by its notification.
    earlier = seq_of(db_engine, "Aurelio Zanzibarro")
    assert earlier < later
    wait_until(lambda: index.state.knows(earlier), timeout=5)
    assert [k for k, _ in in_memory(db_engine, index, "Aurelio Zanzibaro")] == [
        "aurelio zanzibarro"
    ]


def test_too_many_unknown_keys_make_a_search_fall_back_until_rebuilt(db_engine):
    index = NameKeyIndex(TABLE)
    index.build(db_engine)
    insert_contacts(
        db_engine, [(f"Ottilie Brennecke {n}", REP_A) for n in range(CATCH_UP_LIMIT + 1)]
    )
    with Session(db_engine) as session:
        highest = session.execute(sa.text(f"SELECT max(seq) FROM {TABLE}")).scalar_one()
        assert not index.catch_up(session, highest)
    assert not index.ready and index.rebuild_wanted.is_set()
    index.build(db_engine)
    assert index.ready and index.state.knows(highest)


def test_after_a_lost_connection_the_index_is_rebuilt_with_what_came_meanwhile(sales, db_engine):
    index = index_of(sales)
    built = index.state.built_at
    with db_engine.begin() as conn:
        ended = (
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE query LIKE 'LISTEN%' AND datname = current_database()"
                )
            )
            .scalars()
            .all()
        )
    assert ended and all(ended)
    insert_contacts(db_engine, [("Wilhelmina Vanderbilt", REP_A)])
    seq = seq_of(db_engine, "Wilhelmina Vanderbilt")
    wait_until(lambda: index.ready and index.state.built_at > built, timeout=15)
    wait_until(lambda: index.state.knows(seq), timeout=5)
