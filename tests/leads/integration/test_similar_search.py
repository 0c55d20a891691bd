"""The similar-leads search over distinct name keys finds what a full scan finds.

The search compares a contact name with the distinct name keys (``leads.name_key``: the
name's lower-cased words, distinct and sorted) and takes the nearest keys' readable
leads, from a high similarity threshold down. These tests hold it to the rule it
replaces: the ten readable leads with the highest pg_trgm similarity ≥ 0.4, found by
comparing the name with every lead.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from services.leads.service import LeadsService
from services.platform.ids import new_id
from services.sales.service import SalesService
from tests.support.name_index import wait_for_name_indexes

from .test_duplicates import REP_A, REP_B, call


@pytest.fixture(params=["in-memory index", "trigram index"])
def both(request, container_factory, service_config):
    """Leads searching names in its in-memory index (built before the test starts), and
    again with that index off (the table's trigram index): both hold."""
    in_memory = request.param == "in-memory index"
    sales = container_factory(SalesService, service_config)
    sales.start()
    leads = container_factory(LeadsService, {**service_config, "NAME_INDEX": in_memory})
    leads.start()
    if in_memory:
        wait_for_name_indexes(leads)
    return leads, sales


ADMIN = {"id": new_id(), "email": "root@osprey.test", "roles": ["admin"], "team_id": None}


def insert_leads(engine: sa.Engine, names: list[tuple[str | None, dict]]) -> None:
    """Leads written straight to the table in one statement (as an import would)."""
    now = datetime.now(UTC).isoformat()
    rows = [
        {"id": new_id(), "name": name, "owner": owner["id"], "team": owner["team_id"], "at": now}
        for name, owner in names
    ]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO leads.leads (id, contact_name, owner_id, team_id, created_at,"
                " updated_at, created_by) SELECT r.id, r.name, r.owner, r.team, r.at, r.at,"
                " r.owner FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(id uuid,"
                " name text, owner uuid, team uuid, at timestamptz)"
            ),
            {"rows": json.dumps(rows)},
        )


def full_scan(engine: sa.Engine, name: str, reader: dict) -> list[float]:
    """The similarities of the ten best readable leads, comparing with every one."""
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
                    "SELECT similarity(contact_name, :name) AS s FROM leads.leads"
                    f" WHERE similarity(contact_name, :name) >= 0.4 {readable}"
                    " ORDER BY s DESC LIMIT 10"
                ),
                {"name": name, "team": reader["team_id"], "me": reader["id"]},
            ).scalars()
        ]


def checked(leads: Any, name: str, reader: dict) -> list[dict[str, Any]]:
    return call(leads, "check_lead_duplicates", {"contact_name": name}, actor=reader)


def test_the_check_finds_the_full_scans_best_ten(both, db_engine):
    leads, _sales = both
    twins = ["Katarina Olsen", "Olsen Katarina", "KATARINA OLSEN", "Katarina Olson"]
    typos = ["Katarna Olsen", "Katharina Olsen", "Katarina Olsenn", "Katrina Olsen"]
    farther = ["K. Olsen", "Katarina", "Kat Olsen", "Katarina Olsen-Berg", "Karina Olsson"]
    crowd = [(n, REP_B) for n in twins * 4 + typos * 3]
    crowd += [(n, REP_A) for n in farther + ["Petter Dass", "Zoë Müller", "Müller Zoe", None]]
    insert_leads(db_engine, crowd)
    for reader in (REP_A, REP_B, ADMIN):
        for name in ("Katarina Olsen", "Zoe Muller", "Kat Olsson", "Olsen"):
            scores = [c["score"] for c in checked(leads, name, reader)]
            assert scores == full_scan(db_engine, name, reader), (reader["email"], name)
    assert [c["score"] for c in checked(leads, "katarina  olsen!", ADMIN)] == [1.0] * 10
    assert 1.0 not in [c["score"] for c in checked(leads, "Katarina Olsen", REP_A)]


def test_each_write_keeps_the_search_right(both, db_engine):
    leads, _sales = both
    first = call(leads, "create_lead", {"contact_name": "Bjørg Haugland"}, actor=REP_A)
    assert first["similar"] == []
    second = call(leads, "create_lead", {"contact_name": "Bjorg Haugland"}, actor=REP_A)
    assert [c["record"]["id"] for c in second["similar"]] == [first["id"]]

    # Renamed: found by the new name, no more by the old one.
    call(leads, "update_lead", second["id"], {"contact_name": "Sverre Fjeld"}, actor=REP_A)
    assert [c["record"]["id"] for c in checked(leads, "Bjorg Haugland", REP_A)] == [first["id"]]
    assert [c["record"]["id"] for c in checked(leads, "Sverre Fjelde", REP_A)] == [second["id"]]

    # Merged: the merged lead is gone from the search, the kept one stays.
    third = call(leads, "create_lead", {"contact_name": "Sverre Fjelde"}, actor=REP_A)
    assert [c["record"]["id"] for c in third["similar"]] == [second["id"]]
    kept = call(leads, "merge_leads", third["id"], [second["id"]], actor=REP_A)
    assert [c["record"]["id"] for c in checked(leads, "Sverre Fjelde", REP_A)] == [kept["id"]]

    # Deleted: gone; its key may stay, it brings no lead.
    call(leads, "delete_lead", kept["id"], actor=REP_A)
    assert checked(leads, "Sverre Fjelde", REP_A) == []
    with db_engine.connect() as conn:
        missing = conn.execute(
            sa.text(
                "SELECT count(*) FROM leads.leads l WHERE NOT EXISTS (SELECT 1 FROM"
                " leads.lead_name_keys k WHERE k.key = l.name_key)"
            )
        ).scalar_one()
    assert missing == 0


def test_more_than_ten_unreadable_keys_before_the_readable_ones(both, db_engine):
    leads, _sales = both
    near = [(f"Leopoldine Wrangelsen {n}", REP_B) for n in range(60)]
    insert_leads(db_engine, near + [("Leopoldine Wrangelsen Haugen Li", REP_A)])
    found = checked(leads, "Leopoldine Wrangelsen", REP_A)
    assert [c["record"]["contact_name"] for c in found] == ["Leopoldine Wrangelsen Haugen Li"]
    assert [c["score"] for c in found] == full_scan(db_engine, "Leopoldine Wrangelsen", REP_A)
