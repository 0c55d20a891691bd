"""Deleting leads in bulk (``delete_leads_in_bulk``, the rollback of an import): each
lead judged as ``delete_lead`` judges it, the allowed ones deleted in one statement with
their stage history, and one ``leads_deleted`` per thousand leads (their last states)
instead of a ``lead_deleted`` each. With the real database and broker.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from services.leads.bulk_store import batch_data, imported_leads
from services.platform.errors import PermissionDenied, ValidationFailed
from services.platform.ids import new_id

from .test_access_rights import person as rights_person
from .test_bulk_create import events
from .test_duplicates import REP_A, REP_A2, REP_B, TEAM_A, both, call, scalar  # noqa: F401


def test_each_lead_is_judged_and_the_allowed_ones_go_in_one_event(both, db_engine):  # noqa: F811
    leads, _sales = both
    mine = call(
        leads,
        "create_leads_in_bulk",
        [{"contact_name": f"Mine {n}", "email": f"m{n}@firma.test"} for n in range(1200)],
        REP_A,
        match_on=[],
    )
    ids = [row["lead_id"] for row in mine["rows"]]
    teammate = call(leads, "create_lead", {"contact_name": "Abe's"}, REP_A2)  # read, not mine
    other_team = call(leads, "create_lead", {"contact_name": "Bob's"}, REP_B)  # not readable
    call(leads, "update_lead", ids[0], {"contact_name": "Mine, renamed"}, REP_A)
    gone = new_id()
    asked = [*ids, teammate["id"], other_team["id"], gone, "not-an-id", ids[1].upper()]

    answer = call(leads, "delete_leads_in_bulk", asked, REP_A)

    assert answer["deleted"] == 1200
    assert answer["denied"] == [teammate["id"]]
    assert sorted(answer["missing"]) == sorted([other_team["id"], gone, "not-an-id"])
    assert scalar(db_engine, "SELECT count(*) FROM leads.leads") == 2
    # the stage history went with them
    assert (
        scalar(
            db_engine,
            "SELECT count(*) FROM leads.lead_stage_history WHERE lead_id = ANY(CAST(:i AS uuid[]))",
            i=ids,
        )
        == 0
    )
    assert events(db_engine, "lead_deleted") == []
    sent = events(db_engine, "leads_deleted")
    assert sorted(e["data"]["count"] for e in sent) == [200, 1000]
    assert sent[0]["actor"]["id"] == REP_A["id"]
    states = {lead["id"]: lead for e in sent for lead in imported_leads(e["data"])}
    assert set(states) == set(ids)
    # each lead's last state, as lead_deleted would carry it
    assert states[ids[0]]["contact_name"] == "Mine, renamed"
    assert states[ids[0]]["version"] == 2
    assert states[ids[5]]["email"] == "m5@firma.test"
    assert states[ids[5]]["owner_id"] == REP_A["id"]

    # again: nothing left to delete, nothing announced
    again = call(leads, "delete_leads_in_bulk", ids[:10], REP_A)
    assert again == {"deleted": 0, "missing": ids[:10], "denied": []}
    assert len(events(db_engine, "leads_deleted")) == 2


def test_refused_without_the_delete_right_or_with_a_bad_list(both, db_engine):  # noqa: F811
    leads, _sales = both
    lead = call(leads, "create_lead", {"contact_name": "Kept"}, REP_A)
    no_delete = rights_person("nodel@osprey.test", TEAM_A, ops="cru")
    with pytest.raises(PermissionDenied):
        call(leads, "delete_leads_in_bulk", [lead["id"]], no_delete)
    for bad in ([], "x", [lead["id"]] * 5001):
        with pytest.raises(ValidationFailed):
            call(leads, "delete_leads_in_bulk", bad, REP_A)
    assert scalar(db_engine, "SELECT count(*) FROM leads.leads") == 1


def test_batch_data_says_the_shared_values_once():
    states = [
        {"id": "a", "source": "fair", "owner_id": "u", "contact_name": "A"},
        {"id": "b", "source": "fair", "owner_id": "u", "contact_name": "B"},
    ]
    data = batch_data(states)
    assert data["defaults"] == {"source": "fair", "owner_id": "u"}
    assert data["leads"] == [{"id": "a", "contact_name": "A"}, {"id": "b", "contact_name": "B"}]
    assert imported_leads(data) == states
    # the id is never a default, even for one lead
    assert batch_data(states[:1])["leads"] == [{"id": "a"}]


def test_a_lead_shared_for_editing_is_still_not_deleted_by_the_share(both, db_engine):  # noqa: F811
    leads, _sales = both
    lead = call(leads, "create_lead", {"contact_name": "Shared"}, REP_B)
    call(leads, "share_lead", lead["id"], {"user_id": REP_A["id"], "access": "edit"}, REP_B)
    answer = call(leads, "delete_leads_in_bulk", [lead["id"]], REP_A)
    assert answer == {"deleted": 0, "missing": [], "denied": [lead["id"]]}
    with db_engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM leads.leads")).scalar_one() == 1
