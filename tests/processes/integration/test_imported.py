"""Leads created in bulk (``leads_imported``) start the shipped "Lead management"
process each, as a created lead does — through the broker from the real leads
service; with nothing bound to ``lead_created`` the event is acknowledged untouched."""

from __future__ import annotations

import time

from .conftest import ADMIN, REP, call, rows, wait_for


def instances(engine) -> list:
    return rows(engine, "SELECT record_id FROM processes.instances WHERE record_type = 'lead'")


def claims(engine) -> int:
    return rows(
        engine,
        "SELECT count(*) AS n FROM processes.processed_events"
        " WHERE handler LIKE '%handle_leads_imported'",
    )[0].n


def test_each_imported_lead_starts_the_lead_process(processes, crm, db_engine):
    leads = crm["leads"]
    # nothing deployed yet: nothing starts, nothing is claimed
    call(leads, "create_leads_in_bulk", [{"contact_name": "Before"}], REP)
    time.sleep(2)  # delivered and acknowledged meanwhile
    assert instances(db_engine) == [] and claims(db_engine) == 0

    call(processes, "ensure_shipped_process_definitions", actor=ADMIN)
    rows_in = [{"contact_name": f"Imported {n}", "email": f"i{n}@firma.test"} for n in range(3)]
    answer = call(leads, "create_leads_in_bulk", rows_in, REP)
    ids = {r["lead_id"] for r in answer["rows"]}
    started = wait_for(
        lambda: (found := {str(r.record_id) for r in instances(db_engine)}) >= ids and found,
        timeout=60,
        what="a process per imported lead",
    )
    assert started == ids and claims(db_engine) == 1


def open_about(engine, ids: set[str]) -> set[str]:
    found = rows(
        engine,
        "SELECT record_id FROM processes.instances WHERE record_type = 'lead'"
        " AND status IN ('running', 'waiting', 'failed')",
    )
    return {str(r.record_id) for r in found} & ids


def test_the_processes_of_bulk_deleted_leads_are_cancelled(processes, crm, db_engine):
    leads = crm["leads"]
    # with no instance about them, the deletion is acknowledged untouched
    lone = call(leads, "create_leads_in_bulk", [{"contact_name": "Lone"}], REP)
    call(leads, "delete_leads_in_bulk", [lone["rows"][0]["lead_id"]], REP)
    time.sleep(2)
    assert (
        rows(
            db_engine,
            "SELECT count(*) AS n FROM processes.processed_events"
            " WHERE handler LIKE '%handle_leads_deleted'",
        )[0].n
        == 0
    )

    call(processes, "ensure_shipped_process_definitions", actor=ADMIN)
    made = call(leads, "create_leads_in_bulk", [{"contact_name": f"P {n}"} for n in range(4)], REP)
    ids = {r["lead_id"] for r in made["rows"]}
    wait_for(lambda: open_about(db_engine, ids) == ids, timeout=60, what="their processes")
    kept = sorted(ids)[0]
    call(leads, "delete_leads_in_bulk", sorted(ids - {kept}), REP)
    wait_for(lambda: open_about(db_engine, ids) == {kept}, timeout=60, what="cancelled")
    ended = rows(
        db_engine,
        "SELECT status FROM processes.instances WHERE record_type = 'lead'"
        " AND record_id = ANY(:ids)",
        ids=sorted(ids - {kept}),
    )
    assert {r.status for r in ended} == {"cancelled"}
