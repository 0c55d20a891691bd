"""Similar leads and merging them, with the sales service following the merge."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from nameko.testing.services import entrypoint_hook

from services.leads.domain import merged_values, score_candidate
from services.leads.service import LeadsService
from services.platform.errors import Conflict, PermissionDenied, ValidationFailed
from services.platform.ids import new_id
from services.sales.service import SalesService

TEAM_A, TEAM_B = new_id(), new_id()


def person(email: str, role: str, team: str | None) -> dict[str, Any]:
    return {"id": new_id(), "email": email, "roles": [role], "team_id": team}


REP_A = person("ann@osprey.test", "sales_rep", TEAM_A)
REP_A2 = person("abe@osprey.test", "sales_rep", TEAM_A)
REP_B = person("bob@osprey.test", "sales_rep", TEAM_B)


@pytest.fixture
def both(container_factory, service_config):
    sales = container_factory(SalesService, service_config)
    sales.start()
    leads = container_factory(LeadsService, service_config)
    leads.start()
    return leads, sales


def call(container, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def scalar(engine: sa.Engine, sql: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def test_scoring_a_candidate_is_pure():
    new = {"email": "a@x.io", "phone": None, "contact_name": "Ann Lee"}
    assert score_candidate(new, {"email": "a@x.io"}, 0.2, 0.9) == {
        "score": 1.45,
        "reasons": ["email", "company"],
    }
    assert score_candidate(new, {"email": "b@x.io"}, 0.5, None) == {
        "score": 0.5,
        "reasons": ["name"],
    }
    # A like company alone is not a duplicate: many people work there.
    assert score_candidate(new, {"email": "b@x.io"}, 0.1, 1.0) is None
    assert merged_values(
        {"email": None, "phone": "+1", "notes": "", "stage": "handoff"},
        [{"email": "old@x.io", "notes": "first"}, {"email": "new@x.io", "stage": "nurturing"}],
    ) == {"email": "old@x.io", "notes": "first"}


def test_similar_leads_by_email_phone_and_name(both):
    leads, _sales = both
    first = call(
        leads,
        "create_lead",
        {
            "contact_name": "Margarethe Vollmer",
            "email": "mv@vollmer.example",
            "phone": "+49301234567",
        },
        actor=REP_A,
    )
    assert first["similar"] == []
    second = call(
        leads,
        "create_lead",
        {"contact_name": "Margarete Volmer", "account_name": "Vollmer GmbH"},
        actor=REP_A,
    )
    assert [c["record"]["id"] for c in second["similar"]] == [first["id"]]
    assert second["similar"][0]["reasons"] == ["name"]
    third = call(
        leads, "create_lead", {"contact_name": "M. V.", "phone": "+49 30 1234567"}, actor=REP_A
    )
    assert third["similar"][0]["reasons"][0] == "phone"
    similar = call(leads, "similar_leads", first["id"], actor=REP_A)
    assert {c["record"]["id"] for c in similar} == {second["id"], third["id"]}
    # Another team's leads are not offered, and their own look-alikes stay theirs.
    other = call(leads, "create_lead", {"email": "mv@vollmer.example"}, actor=REP_B)
    assert other["similar"] == []
    checked = call(leads, "check_lead_duplicates", {"email": "MV@vollmer.example"}, actor=REP_A)
    assert [c["record"]["id"] for c in checked] == [first["id"]]


def test_merge_keeps_the_oldest_fills_its_gaps_and_moves_everything(both, db_engine):
    leads, sales = both
    oldest = call(leads, "create_lead", {"contact_name": "Ola Nordmann"}, actor=REP_A)
    middle = call(
        leads,
        "create_lead",
        {"contact_name": "Ola Nordman", "email": "ola@nordmann.example", "notes": "met at fair"},
        actor=REP_A,
    )
    newest = call(
        leads,
        "create_lead",
        {"contact_name": "O. Nordmann", "email": "other@nordmann.example", "region": "West"},
        actor=REP_A,
    )
    # Make the creation order unambiguous.
    with db_engine.begin() as conn:
        for i, lead in enumerate((oldest, middle, newest)):
            conn.execute(
                sa.text("UPDATE leads.leads SET created_at = :t WHERE id = :id"),
                {"t": datetime.now(UTC) - timedelta(days=3 - i), "id": lead["id"]},
            )
    call(leads, "update_lead", newest["id"], {"stage": "nurturing"}, actor=REP_A)
    activity = call(
        sales,
        "create_activity",
        {"type": "call", "title": "Call Ola", "related_type": "lead", "related_id": newest["id"]},
        actor=REP_A,
    )

    kept = call(leads, "merge_leads", newest["id"], [middle["id"], oldest["id"]], actor=REP_A)
    assert kept["id"] == oldest["id"]
    assert kept["email"] == "ola@nordmann.example"  # from the older of the two
    assert (kept["notes"], kept["region"]) == ("met at fair", "West")
    assert scalar(db_engine, "SELECT count(*) FROM leads.leads") == 1
    merges = call(leads, "list_lead_merges", oldest["id"], actor=REP_A)
    assert {m["merged_id"] for m in merges} == {middle["id"], newest["id"]}
    history = call(leads, "lead_history", oldest["id"], actor=REP_A)
    assert ("qualification", "nurturing") in [(h["from_stage"], h["to_stage"]) for h in history]
    assert history[-1]["action"] == "merge"

    # The sales service moves the merged lead's activity to the kept lead.
    deadline = time.monotonic() + 15
    while (
        scalar(
            db_engine,
            "SELECT related_id::text FROM sales.activities WHERE id = :i",
            i=activity["id"],
        )
        != oldest["id"]
    ):
        assert time.monotonic() < deadline, "the activity did not follow the merge"
        time.sleep(0.1)


def test_merge_rules(both):
    leads, _sales = both
    mine = call(leads, "create_lead", {"contact_name": "Kari Holm"}, actor=REP_A)
    theirs = call(leads, "create_lead", {"contact_name": "Kari Holm"}, actor=REP_A2)
    with pytest.raises(PermissionDenied):
        call(leads, "merge_leads", mine["id"], [theirs["id"]], actor=REP_A)
    with pytest.raises(ValidationFailed):
        call(leads, "merge_leads", mine["id"], [mine["id"]], actor=REP_A)
    with pytest.raises(ValidationFailed):
        call(leads, "merge_leads", mine["id"], [], actor=REP_A)
    a = call(leads, "create_lead", {"contact_name": "Deal One"}, actor=REP_A)
    b = call(leads, "create_lead", {"contact_name": "Deal Two"}, actor=REP_A)
    call(leads, "update_lead", a["id"], {"opportunity_id": new_id()}, actor=REP_A)
    call(leads, "update_lead", b["id"], {"opportunity_id": new_id()}, actor=REP_A)
    with pytest.raises(Conflict):
        call(leads, "merge_leads", a["id"], [b["id"]], actor=REP_A)
