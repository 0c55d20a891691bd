"""Leads created in bulk (``leads_imported``, a thousand leads an event) reach the trail
as every create does: one ``created`` entry per lead, source ``import``, the fields it
set as its changes — through the broker from the real leads service."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.platform.ids import new_id

from .conftest import ANN, call, wait_for
from .test_trail import trail

KEEP = ("action", "version", "changes", "old_known", "source")


def imported_envelopes(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text("SELECT envelope FROM leads.outbox WHERE type = 'leads_imported'")
            ).scalars()
        )


def entries_of(engine: sa.Engine, event: str) -> int:
    with engine.connect() as conn:
        return conn.execute(
            sa.text("SELECT count(*) FROM audit.entries WHERE event = :e"), {"e": event}
        ).scalar_one()


def test_every_lead_of_a_bulk_create_is_in_the_trail(audit, leads, db_engine):
    single = call(
        leads,
        "import_leads",
        [{"contact_name": "One By One", "email": "one@firma.test", "source": "fair"}],
        actor=ANN,
    )["rows"][0]["lead_id"]
    rows = [
        {"contact_name": f"Bulk {n}", "email": f"b{n}@firma.test", "source": "fair"}
        for n in range(1200)
    ]
    answer = call(leads, "create_leads_in_bulk", rows, ANN)
    ids = [r["lead_id"] for r in answer["rows"]]
    wait_for(lambda: entries_of(db_engine, "leads_imported") == 1200, what="1,200 entries")

    (first,) = trail(audit, ids[0])
    (one,) = trail(audit, single)
    # the same entry a create through import_leads makes, but for the name and email
    assert {k: first[k] for k in KEEP} == {
        **{k: one[k] for k in KEEP},
        "changes": {
            **one["changes"],
            "contact_name": [None, "Bulk 0"],
            "email": [None, "b0@firma.test"],
        },
    }
    assert first["source"] == "import" and first["actor"]["id"] == ANN["id"]
    assert set(first["changes"]) == {
        "contact_name",
        "email",
        "source",
        "stage",
        "owner_id",
        "team_id",
    }
    (last,) = trail(audit, ids[-1])
    assert last["changes"]["contact_name"] == [None, "Bulk 1199"]


def test_a_redelivered_batch_and_a_change_seen_first(audit, leads, db_engine):
    answer = call(leads, "create_leads_in_bulk", [{"contact_name": "Early"}], ANN)
    lead_id = answer["rows"][0]["lead_id"]
    wait_for(lambda: trail(audit, lead_id), what="the created entry")
    (envelope,) = imported_envelopes(db_engine)
    call(leads, "update_lead", lead_id, {"phone": "+79011112233"}, actor=ANN)
    wait_for(lambda: len(trail(audit, lead_id)) == 2, what="the change's entry")
    before = [{k: e[k] for k in KEEP} for e in trail(audit, lead_id)]

    # the change is kept before the batch arrives: its old values are not known, until
    # the created state comes and they are computed again
    with db_engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM audit.entries WHERE record_id = :r"), {"r": lead_id})
        conn.execute(sa.text("DELETE FROM audit.processed_events"))
    update = [e for e in _lead_updates(db_engine) if e["data"]["id"] == lead_id][0]
    call(audit, "handle_leads_lead_updated", update)
    assert trail(audit, lead_id)[0]["old_known"] is False
    call(audit, "handle_leads_leads_imported", envelope)
    call(audit, "handle_leads_leads_imported", envelope)  # the same event again
    call(audit, "handle_leads_leads_imported", {**envelope, "id": new_id()})  # a copy
    after = [{k: e[k] for k in KEEP} for e in trail(audit, lead_id)]
    assert after == before
    assert after[0]["changes"] == {"phone": [None, "+79011112233"]} and after[0]["old_known"]


def _lead_updates(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return list(
            conn.execute(
                sa.text("SELECT envelope FROM leads.outbox WHERE type = 'lead_updated'")
            ).scalars()
        )


def test_every_lead_of_a_bulk_delete_ends_its_trail(audit, leads, db_engine):
    single = call(leads, "create_lead", {"contact_name": "Alone", "source": "fair"}, ANN)
    rows = [{"contact_name": f"Doomed {n}", "source": "fair"} for n in range(1100)]
    ids = [r["lead_id"] for r in call(leads, "create_leads_in_bulk", rows, ANN)["rows"]]
    wait_for(lambda: entries_of(db_engine, "leads_imported") == 1100, what="1,100 entries")
    call(leads, "delete_lead", single["id"], actor=ANN)

    assert call(leads, "delete_leads_in_bulk", ids, ANN)["deleted"] == 1100
    wait_for(lambda: entries_of(db_engine, "leads_deleted") == 1100, what="1,100 ends")
    wait_for(lambda: len(trail(audit, single["id"])) == 2, what="the single delete's end")
    (alone,) = [e for e in trail(audit, single["id"]) if e["action"] == "deleted"]
    created, deleted = sorted(trail(audit, ids[7]), key=lambda e: e["action"])
    # the same end a delete of one lead makes: its last state, no changes
    assert {k: deleted[k] for k in KEEP} == {k: alone[k] for k in KEEP}
    assert deleted["action"] == "deleted" and deleted["changes"] == {}
    assert created["action"] == "created"

    # the event again, or a copy, adds nothing
    with db_engine.connect() as conn:
        envelope = conn.execute(
            sa.text("SELECT envelope FROM leads.outbox WHERE type = 'leads_deleted' LIMIT 1")
        ).scalar_one()
    call(audit, "handle_leads_leads_deleted", envelope)
    call(audit, "handle_leads_leads_deleted", {**envelope, "id": new_id()})
    assert entries_of(db_engine, "leads_deleted") == 1100
