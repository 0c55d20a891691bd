"""Creating leads in bulk (``create_leads_in_bulk``): the same rules and rights as one
create, the duplicate check by email and phone set-based over the batch and the
existing leads, and one ``leads_imported`` per thousand leads instead of a
``lead_created`` each. With the real database and broker.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from services.leads.bulk_store import imported_leads
from services.platform.errors import PermissionDenied, ValidationFailed

from .test_access_rights import person as rights_person
from .test_duplicates import REP_A, REP_B, TEAM_A, both, call, scalar  # noqa: F401


def events(engine: sa.Engine, kind: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [
            row.envelope
            for row in conn.execute(
                sa.text("SELECT envelope FROM leads.outbox WHERE type = :t ORDER BY occurred_at"),
                {"t": kind},
            )
        ]


def test_a_batch_with_duplicates_inside_it_and_against_existing_leads(both, db_engine):  # noqa: F811
    leads, _sales = both
    existing = call(
        leads, "create_lead", {"contact_name": "Old One", "email": "old@firma.test"}, REP_A
    )
    other_team = call(
        leads, "create_lead", {"contact_name": "Bob's", "email": "bobs@firma.test"}, REP_B
    )
    rows = [
        {"contact_name": "Ann New", "email": "Ann@Firma.test", "phone": "+49 30 1234567"},
        {"contact_name": "Old Again", "email": "OLD@firma.test"},  # the existing lead's
        {"contact_name": "Ann Twice", "email": "ann@firma.test"},  # row 0's
        {"contact_name": "Broken", "email": "not an email"},
        "not a row",
        {"contact_name": "Bob's, not readable by Ann", "email": "bobs@firma.test"},
        {"contact_name": "Phone only", "phone": "+49301234567"},  # row 0's phone
        {"contact_name": "Closed", "stage": "converted"},
    ]
    answer = call(leads, "create_leads_in_bulk", rows, REP_A, match_on=["email", "phone"])

    statuses = [r["status"] for r in answer["rows"]]
    assert statuses == [
        "created", "matched", "matched", "failed", "failed", "created", "matched", "failed",
    ]  # fmt: skip
    assert (answer["created"], answer["matched"], answer["failed"]) == (2, 3, 3)
    first = answer["rows"][0]["lead_id"]
    assert answer["rows"][1] == {"status": "matched", "lead_id": existing["id"], "by": "email"}
    assert answer["rows"][2] == {"status": "matched", "lead_id": first, "by": "email"}
    assert answer["rows"][6] == {"status": "matched", "lead_id": first, "by": "phone"}
    assert answer["rows"][3]["errors"][0]["field"] == "email"
    assert answer["rows"][7]["errors"][0]["field"] == "stage"
    assert answer["rows"][5]["lead_id"] != other_team["id"]
    # written as a create writes: normalized, owned by the caller, scored, stage-logged
    lead = call(leads, "get_lead", first, REP_A)
    assert (lead["email"], lead["phone"]) == ("ann@firma.test", "+49301234567")
    assert (lead["owner_id"], lead["team_id"], lead["stage"]) == (
        REP_A["id"],
        TEAM_A,
        "qualification",
    )
    assert lead["version"] == 1 and lead["score_reasons"] == []
    history = scalar(
        db_engine,
        "SELECT count(*) FROM leads.lead_stage_history WHERE lead_id = :id AND action = 'create'",
        id=first,
    )
    assert history == 1
    # the name keys' trigger ran: the new names are found by the look-alike search
    similar = call(leads, "check_lead_duplicates", {"contact_name": "Ann New"}, REP_A)
    assert first in [s["record"]["id"] for s in similar]
    # one batch event with both leads, whole, marked as an import; no lead_created for them
    (event,) = events(db_engine, "leads_imported")
    assert event["actor"]["via"] == "import" and event["data"]["count"] == 2
    carried = imported_leads(event["data"])
    assert [c["id"] for c in carried] == [first, answer["rows"][5]["lead_id"]]
    assert carried[0] == lead
    assert len(events(db_engine, "lead_created")) == 2  # the two single creates only


def test_create_anyway_writes_the_duplicates(both):  # noqa: F811
    leads, _sales = both
    call(leads, "create_lead", {"contact_name": "Kept", "email": "kept@firma.test"}, REP_A)
    rows = [{"contact_name": "Again", "email": "kept@firma.test"}] * 2
    answer = call(leads, "create_leads_in_bulk", rows, REP_A, on_duplicate="create")
    assert [r["status"] for r in answer["rows"]] == ["created", "created"]


def test_rights_and_columns_are_those_of_a_single_create(both, db_engine):  # noqa: F811
    leads, _sales = both
    reader = rights_person("rita@osprey.test", TEAM_A, ops="r")
    with pytest.raises(PermissionDenied):
        call(leads, "create_leads_in_bulk", [{"contact_name": "No"}], reader)
    # a sales rep may not put a lead in another team; a row naming one fails alone
    rows = [{"contact_name": "Mine"}, {"contact_name": "Theirs", "team_id": REP_B["team_id"]}]
    answer = call(leads, "create_leads_in_bulk", rows, REP_A)
    assert [r["status"] for r in answer["rows"]] == ["created", "failed"]
    assert answer["rows"][1]["errors"][0]["field"] == "team_id"
    # columns read-only or hidden for the caller's roles are refused per row, as
    # create_lead refuses them
    limited = rights_person("lim@osprey.test", TEAM_A, read_only=("source",), hidden=("notes",))
    rows = [{"contact_name": "Ok"}, {"contact_name": "S", "source": "fair"},
            {"contact_name": "N", "notes": "secret"}]  # fmt: skip
    answer = call(leads, "create_leads_in_bulk", rows, limited)
    assert [r["status"] for r in answer["rows"]] == ["created", "failed", "failed"]
    assert answer["rows"][1]["errors"] == [
        {"field": "source", "message": "is read-only for your role"}
    ]
    assert answer["rows"][2]["errors"][0]["field"] == "notes"
    # a duplicate the caller may not read is no match: the row is created
    call(leads, "create_lead", {"contact_name": "B", "email": "b@firma.test"}, REP_B)
    answer = call(leads, "create_leads_in_bulk", [{"email": "b@firma.test"}], REP_A)
    assert answer["rows"][0]["status"] == "created"
    assert scalar(db_engine, "SELECT count(*) FROM leads.leads") == 4


@pytest.mark.parametrize(
    ("rows", "options", "field"),
    [
        ([], {}, "rows"),
        ({"contact_name": "x"}, {}, "rows"),
        ([{"contact_name": f"Lead {n}"} for n in range(5001)], {}, "rows"),
        ([{"contact_name": "Ada"}], {"match_on": ["name"]}, "match_on"),
        ([{"contact_name": "Ada"}], {"on_duplicate": "merge"}, "on_duplicate"),
    ],
)
def test_a_bad_batch_is_refused_whole(both, db_engine, rows, options, field):  # noqa: F811
    leads, _sales = both
    with pytest.raises(ValidationFailed) as refused:
        call(leads, "create_leads_in_bulk", rows, REP_A, **options)
    assert refused.value.errors[0]["field"] == field
    assert scalar(db_engine, "SELECT count(*) FROM leads.leads") == 0


def test_thousands_of_rows_in_events_of_a_thousand(both, db_engine):  # noqa: F811
    leads, _sales = both
    rows = [{"contact_name": f"Person {n}", "email": f"p{n}@bulk.test"} for n in range(2500)]
    answer = call(leads, "create_leads_in_bulk", rows, REP_A)
    assert answer["created"] == 2500
    counts = [e["data"]["count"] for e in events(db_engine, "leads_imported")]
    assert counts == [1000, 1000, 500]
    again = call(leads, "create_leads_in_bulk", rows[:10], REP_A)
    assert again["matched"] == 10
    assert scalar(db_engine, "SELECT count(*) FROM leads.leads") == 2500
