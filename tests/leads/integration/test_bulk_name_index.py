"""Leads created in bulk are found by the look-alike search at once and ever after: the
in-memory name index takes a batch's thousands of keys in one step (a trigram's new
positions grouped together, not a key at a time), and a search never misses a lead a
full scan finds — right after each batch (the search reads what the index has not
heard of yet) and once the index has caught up."""

from __future__ import annotations

import random
import time

import sqlalchemy as sa

from tests.support.name_index import name_indexes

from .test_duplicates import REP_A, call
from .test_similar_search import both, checked, full_scan  # noqa: F401

FIRST = ["Katarina", "Olga", "Pyotr", "Anna", "Bjørg", "Zoë", "Ivan", "Maria", "Jean", "Li"]
LAST = ["Olsen", "Petrova", "Smirnov", "Haugland", "Müller", "Dupont", "Wang", "Kuznetsova"]


def names(rng: random.Random, count: int) -> list[str]:
    """A long tail: common words and rare made-up ones, as bench/names.py draws them."""
    out = []
    for _ in range(count):
        rare = "".join(rng.choice("bcdfghklmnprstvz") + rng.choice("aeiouy") for _ in range(3))
        out.append(f"{rng.choice(FIRST)} {rng.choice(LAST)}{'' if rng.random() < 0.6 else rare}")
    return out


def test_bulk_created_leads_are_found_as_a_full_scan_finds_them(both, db_engine):  # noqa: F811
    leads, _sales = both
    rng = random.Random(16)
    made: list[str] = []
    for _batch in range(3):
        batch = names(rng, 1500)
        rows = [{"contact_name": name} for name in batch]
        answer = call(leads, "create_leads_in_bulk", rows, REP_A, match_on=[])
        assert answer["created"] == 1500
        made += batch
        # at once: the batch's keys are read by the search if the index has not heard yet
        for probe in rng.sample(made, 8) + ["Katarina Olsen", "Olga Petrov"]:
            scores = [c["score"] for c in checked(leads, probe, REP_A)]
            assert scores == full_scan(db_engine, probe, REP_A), probe
    provider = name_indexes(leads) if leads.config.get("NAME_INDEX", True) else None
    if provider is not None:
        (index,) = provider.indexes.values()
        with db_engine.connect() as conn:
            highest = conn.execute(sa.text("SELECT max(seq) FROM leads.lead_name_keys")).scalar()
        deadline = time.monotonic() + 20
        while (index.status()["high_seq"] or 0) < highest and time.monotonic() < deadline:
            time.sleep(0.05)
        assert index.ready and index.status()["high_seq"] == highest
    for probe in rng.sample(made, 15):
        scores = [c["score"] for c in checked(leads, probe, REP_A)]
        assert scores == full_scan(db_engine, probe, REP_A), probe
