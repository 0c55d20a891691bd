"""The similar-contacts search over distinct name keys finds what a full scan finds.

The search compares a name with the distinct name keys (``sales.name_key``: a name's
lower-cased words, distinct and sorted) and takes the nearest keys' readable contacts,
from a high similarity threshold down. These tests hold it to the rule it replaces:
the ten readable contacts with the highest pg_trgm similarity ≥ 0.4, found by
comparing the name with every contact.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from services.platform.ids import new_id
from services.sales.service import SalesService
from tests.support.name_index import wait_for_name_indexes

from .test_sales_service import (
    ADMIN,
    REP_A,
    REP_B,
    call,
    contact,
)


@pytest.fixture(params=["in-memory index", "trigram index"])
def sales(request, container_factory, service_config):
    """The sales service searching names in its in-memory index (built before the test
    starts), and again with that index off (the table's trigram index): both hold."""
    in_memory = request.param == "in-memory index"
    container = container_factory(SalesService, {**service_config, "NAME_INDEX": in_memory})
    container.start()
    if in_memory:
        wait_for_name_indexes(container)
    return container


# Names as people type them: typos, swapped first and last names, initials, accents,
# punctuation, a repeated word, one word, three words, digits.
ODD_NAMES = [
    "Zoë Müller",
    "ZOË MÜLLER",
    "Müller, Zoë",
    "Jean-Luc O'Brien",
    "O'Brien Jean Luc",
    "Anna Anna",
    "Anna",
    "J. R. R. Tolkien",
    "Ola Nordmann 2",
    "  Ida   Berg  ",
    "Åsa Øberg",
    "李 小龙",
    "---",
]


def insert_contacts(engine: sa.Engine, names: list[tuple[str, dict]]) -> list[str]:
    """Contacts written straight to the table in one statement (as an import would)."""
    now = datetime.now(UTC)
    rows = [
        {
            "id": new_id(),
            "name": name,
            "owner": owner["id"],
            "team": owner["team_id"],
            "now": now,
        }
        for name, owner in names
    ]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO sales.contacts (id, full_name, owner_id, team_id, created_at,"
                " updated_at, created_by) SELECT r.id, r.name, r.owner, r.team, r.now, r.now,"
                " r.owner FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(id uuid,"
                " name text, owner uuid, team uuid, now timestamptz)"
            ),
            {"rows": json.dumps(rows, default=str)},
        )
    return [r["id"] for r in rows]


def full_scan(engine: sa.Engine, name: str, reader: dict, exclude_id: str) -> list[float]:
    """The similarities of the ten best readable contacts, comparing with every one."""
    readable = (
        ""
        if "admin" in reader["roles"]
        else "AND (team_id = :team OR owner_id = :me OR (owner_id IS NULL AND team_id IS NULL))"
    )
    with engine.connect() as conn:
        return [
            round(float(s), 4)
            for s in conn.execute(
                sa.text(
                    "SELECT similarity(full_name, :name) AS s FROM sales.contacts"
                    " WHERE similarity(full_name, :name) >= 0.4 AND id <> :ex "
                    f"{readable} ORDER BY s DESC LIMIT 10"
                ),
                {"name": name, "team": reader["team_id"], "me": reader["id"], "ex": exclude_id},
            ).scalars()
        ]


def lookalike(container: Any, actor: dict, full_name: str) -> dict:
    return call(container, "create_contact", {"full_name": full_name}, actor, True)


def found_scores(container: Any, contact_id: str, reader: dict) -> list[float]:
    return [c["score"] for c in call(container, "similar_contacts", contact_id, actor=reader)]


def test_a_name_key_has_exactly_the_trigrams_of_its_name(db_engine):
    with db_engine.connect() as conn:
        for name in ODD_NAMES:
            same = conn.execute(
                sa.text(
                    "SELECT show_trgm(:n) = show_trgm(sales.name_key(:n)),"
                    " similarity(:n, 'zoe muller anna obrien') ="
                    " similarity(sales.name_key(:n), 'zoe muller anna obrien')"
                ),
                {"n": name},
            ).one()
            assert same == (True, True), name
        keys = [
            conn.execute(sa.text("SELECT sales.name_key(:n)"), {"n": n}).scalar_one()
            for n in ("Zoë Müller", "ZOË MÜLLER", "Müller, Zoë")
        ]
    assert keys == ["müller zoë"] * 3  # one key for the same words in any order and case


def test_the_search_finds_the_full_scans_best_ten(sales, db_engine):
    # A crowd of like names: exact twins, typos, swapped names, initials, longer and
    # shorter ones, most of them another team's, so the readable ten lie deeper.
    base = ["Katarina Olsen", "Katarina Olsen", "Olsen Katarina", "Katarina Olson"]
    typos = ["Katarna Olsen", "Katharina Olsen", "Katarina Olsenn", "Katrina Olsen"]
    farther = ["K. Olsen", "Katarina", "Kat Olsen", "Katarina Olsen-Berg", "Karina Olsson"]
    unlike = ["Petter Dass", "Kari Nordmann", "Oline Kat", "Olga Sen"]
    crowd = [(n, REP_B) for n in base * 4 + typos * 3]
    crowd += [(n, REP_A) for n in farther + unlike + ODD_NAMES]
    insert_contacts(db_engine, crowd)
    probe = lookalike(sales, REP_A, "Katarina Olsen")
    far = lookalike(sales, REP_A, "Zoe Muller")

    for reader in (REP_A, ADMIN):
        for record in (probe, far):
            expected = full_scan(db_engine, record["full_name"], reader, record["id"])
            assert found_scores(sales, record["id"], reader) == expected, reader["email"]
    # Bob's team holds more than ten twins; Ann reads none of them.
    assert found_scores(sales, probe["id"], ADMIN)[:3] == [1.0, 1.0, 1.0]
    assert 1.0 not in found_scores(sales, probe["id"], REP_A)
    assert len(found_scores(sales, probe["id"], REP_A)) == len(
        full_scan(db_engine, "Katarina Olsen", REP_A, probe["id"])
    )


def test_each_write_keeps_the_search_right(sales, db_engine):
    ann = contact(sales, REP_A, full_name="Bjørg Haugland")
    assert call(sales, "similar_contacts", ann["id"], actor=REP_A) == []

    # Created, then renamed: found by the new name, no more by the old one.
    other = lookalike(sales, REP_A, "Bjorg Haugland")
    assert [c["record"]["id"] for c in call(sales, "similar_contacts", ann["id"], actor=REP_A)] == [
        other["id"]
    ]
    call(sales, "update_contact", other["id"], {"full_name": "Sverre Fjeld"}, actor=REP_A)
    assert call(sales, "similar_contacts", ann["id"], actor=REP_A) == []
    third = lookalike(sales, REP_A, "Sverre Fjelde")
    found = call(sales, "similar_contacts", third["id"], actor=REP_A)
    assert [c["record"]["id"] for c in found] == [other["id"]]

    # Merged: the merged one is gone from the search, the kept one stays.
    call(sales, "merge_contacts", third["id"], other["id"], actor=REP_A)
    assert call(sales, "similar_contacts", third["id"], actor=REP_A) == []
    # Deleted: gone too; its key may stay, it brings no contact.
    twin = lookalike(sales, REP_A, "Sverre Fjelde")
    assert [
        c["record"]["id"] for c in call(sales, "similar_contacts", third["id"], actor=REP_A)
    ] == [twin["id"]]
    call(sales, "delete_contact", twin["id"], actor=REP_A)
    assert call(sales, "similar_contacts", third["id"], actor=REP_A) == []
    with db_engine.connect() as conn:
        missing = conn.execute(
            sa.text(
                "SELECT count(*) FROM sales.contacts c WHERE NOT EXISTS (SELECT 1 FROM"
                " sales.contact_name_keys k WHERE k.key = c.name_key)"
            )
        ).scalar_one()
    assert missing == 0


@pytest.mark.parametrize("reader", [REP_A, REP_B])
def test_more_than_ten_unreadable_keys_before_the_readable_ones(sales, db_engine, reader):
    # Sixty distinct near names the reader may not read, nearer than the readable one.
    owner = REP_B if reader is REP_A else REP_A
    near = [(f"Leopoldine Wrangelsen {n}", owner) for n in range(60)]
    insert_contacts(db_engine, near + [("Leopoldine Wrangelsen Haugen Li", reader)])
    probe = lookalike(sales, reader, "Leopoldine Wrangelsen")
    found = call(sales, "similar_contacts", probe["id"], actor=reader)
    assert [c["record"]["full_name"] for c in found] == ["Leopoldine Wrangelsen Haugen Li"]
    assert [c["score"] for c in found] == full_scan(
        db_engine, "Leopoldine Wrangelsen", reader, probe["id"]
    )
