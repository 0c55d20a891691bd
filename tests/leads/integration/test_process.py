"""The lead process with the real sales service beside it: qualify, hand off, convert."""

from __future__ import annotations

import time
from typing import Any

import pytest
import sqlalchemy as sa
from nameko.testing.services import entrypoint_hook

from services.leads.service import LeadsService
from services.platform.errors import (
    Conflict,
    DuplicatesFound,
    PermissionDenied,
    ValidationFailed,
)
from services.platform.ids import new_id
from services.sales.service import SalesService

TEAM_A = new_id()


def person(email: str, role: str, team: str | None) -> dict[str, Any]:
    return {"id": new_id(), "email": email, "roles": [role], "team_id": team}


REP_A = person("ann@osprey.test", "sales_rep", TEAM_A)
MANAGER_A = person("max@osprey.test", "sales_manager", TEAM_A)


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


def outbox(engine: sa.Engine, schema: str) -> list[str]:
    with engine.connect() as conn:
        return list(
            conn.execute(sa.text(f"SELECT type FROM {schema}.outbox ORDER BY id")).scalars()
        )


def wait_for(check, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def new_lead(leads, **data: Any) -> dict:
    values = {
        "contact_name": "Vera Quist",
        "account_name": "Quist Boats",
        "email": "vera@quist-boats.example",
        "phone": "+47 900 11 222",
        "need_type": "software",
        **data,
    }
    return call(leads, "create_lead", values, actor=REP_A)


def test_qualify_creates_contact_and_account_from_the_lead(both, db_engine):
    leads, sales = both
    lead = new_lead(leads)
    qualified = call(leads, "qualify_lead", lead["id"], {"contact": {}, "account": {}}, actor=REP_A)
    assert qualified["stage"] == "handoff"  # it has an owner, so distribution is skipped
    contact = call(sales, "get_contact", qualified["contact_id"], actor=REP_A)
    account = call(sales, "get_account", qualified["account_id"], actor=REP_A)
    assert contact["full_name"] == "Vera Quist"
    assert contact["emails"][0]["email"] == "vera@quist-boats.example"
    assert contact["account_id"] == account["id"] and account["name"] == "Quist Boats"
    history = call(leads, "lead_history", lead["id"], actor=REP_A)
    assert [(h["from_stage"], h["to_stage"], h["action"]) for h in history] == [
        (None, "qualification", "create"),
        ("qualification", "handoff", "qualify"),
    ]
    assert outbox(db_engine, "leads")[-2:] == ["lead_stage_changed", "lead_qualified"]


def test_an_unowned_lead_goes_to_distribution(both):
    leads, _sales = both
    lead = new_lead(leads, owner_id=None, email="solo@quist.example", contact_name="Solo Person")
    # Nobody owns it, so the team's manager qualifies it.
    qualified = call(leads, "qualify_lead", lead["id"], {"contact": {}}, actor=MANAGER_A)
    assert (qualified["stage"], qualified["account_id"]) == ("distribution", None)


def test_qualify_offers_duplicates_and_creates_nothing(both, db_engine):
    leads, sales = both
    existing = call(
        sales,
        "create_contact",
        {"full_name": "Vera Quist", "emails": [{"email": "vera@quist-boats.example"}]},
        actor=REP_A,
    )
    lead = new_lead(leads)
    with pytest.raises(DuplicatesFound) as exc:
        call(leads, "qualify_lead", lead["id"], {"contact": {}, "account": {}}, actor=REP_A)
    contacts = [c for c in exc.value.candidates if c["entity"] == "contact"]
    assert contacts[0]["record"]["id"] == existing["id"]
    assert "email" in contacts[0]["reasons"]
    assert scalar(db_engine, "SELECT count(*) FROM sales.contacts") == 1
    assert scalar(db_engine, "SELECT count(*) FROM sales.accounts") == 0
    assert call(leads, "get_lead", lead["id"], actor=REP_A)["stage"] == "qualification"

    # Picking the existing contact is the usual answer...
    picked = call(
        leads,
        "qualify_lead",
        lead["id"],
        {"contact_id": existing["id"]},
        actor=REP_A,
    )
    assert picked["contact_id"] == existing["id"]
    # ...and creating anyway is the deliberate one.
    other = new_lead(leads)
    forced = call(
        leads,
        "qualify_lead",
        other["id"],
        {"contact": {}, "allow_duplicates": True},
        actor=REP_A,
    )
    assert forced["contact_id"] not in (None, existing["id"])


def test_qualify_checks_its_input(both):
    leads, _sales = both
    lead = new_lead(leads, need_type=None)
    with pytest.raises(ValidationFailed) as exc:
        call(leads, "qualify_lead", lead["id"], {"colour": 1}, actor=REP_A)
    assert {e["field"] for e in exc.value.errors} == {"colour", "contact_id"}
    with pytest.raises(ValidationFailed) as exc:
        call(leads, "qualify_lead", lead["id"], {"contact_id": new_id()}, actor=REP_A)
    assert {e["field"] for e in exc.value.errors} == {"need_type"}
    with pytest.raises(ValidationFailed) as exc:
        call(
            leads,
            "qualify_lead",
            lead["id"],
            {"contact_id": new_id(), "need_type": "support"},
            actor=REP_A,
        )
    assert {e["field"] for e in exc.value.errors} == {"contact_id"}


def test_handoff_creates_one_opportunity_and_the_lead_converts(both, db_engine):
    leads, sales = both
    lead = new_lead(leads)
    with pytest.raises(ValidationFailed) as exc:
        call(leads, "handoff_lead", lead["id"], {}, actor=REP_A)
    assert {e["field"] for e in exc.value.errors} == {"contact_id"}
    call(leads, "qualify_lead", lead["id"], {"contact": {}, "account": {}}, actor=REP_A)
    handed = call(
        leads,
        "handoff_lead",
        lead["id"],
        {"budget": "25000", "currency": "EUR"},
        actor=REP_A,
    )
    assert handed["stage"] in ("awaiting_sale", "converted")
    opportunity = call(sales, "get_opportunity", handed["opportunity_id"], actor=REP_A)
    assert opportunity["lead_id"] == lead["id"]
    assert opportunity["contact_id"] == handed["contact_id"]
    assert opportunity["owner_id"] == REP_A["id"] and opportunity["budget"] == "25000.00"

    # The sales service announces the deal; the lead converts.
    converted = wait_for(
        lambda: (
            scalar(db_engine, "SELECT stage FROM leads.leads WHERE id = :i", i=lead["id"])
            == "converted"
        )
    )
    assert converted
    again = call(leads, "handoff_lead", lead["id"], {}, actor=REP_A)
    assert again["opportunity_id"] == handed["opportunity_id"]
    assert scalar(db_engine, "SELECT count(*) FROM sales.opportunities") == 1
    assert "lead_converted" in outbox(db_engine, "leads")
    history = call(leads, "lead_history", lead["id"], actor=REP_A)
    assert [h["action"] for h in history] == ["create", "qualify", "handoff", "convert"]

    # Converted is read-only until a manager reopens it.
    with pytest.raises(Conflict):
        call(leads, "update_lead", lead["id"], {"notes": "late note"}, actor=REP_A)
    with pytest.raises(PermissionDenied):
        call(leads, "reopen_lead", lead["id"], actor=REP_A)
    reopened = call(leads, "reopen_lead", lead["id"], actor=MANAGER_A)
    assert reopened["stage"] == "qualification"
    with pytest.raises(Conflict):
        call(leads, "reopen_lead", lead["id"], actor=MANAGER_A)


def test_a_retried_handoff_finds_the_deal_the_first_attempt_made(both, db_engine):
    leads, sales = both
    lead = new_lead(leads)
    call(leads, "qualify_lead", lead["id"], {"contact": {}}, actor=REP_A)
    # The first attempt reached sales, but its answer was lost before the lead saved it.
    first = call(
        sales,
        "create_opportunity",
        {"title": "From the lost attempt", "lead_id": lead["id"]},
        actor=REP_A,
    )
    handed = call(leads, "handoff_lead", lead["id"], {}, actor=REP_A)
    assert handed["opportunity_id"] == first["id"]
    assert scalar(db_engine, "SELECT count(*) FROM sales.opportunities") == 1


def test_stages_may_be_skipped_and_gone_back_by_hand_and_are_logged(both):
    leads, _sales = both
    lead = new_lead(leads)
    call(leads, "update_lead", lead["id"], {"stage": "handoff"}, actor=REP_A)
    call(leads, "update_lead", lead["id"], {"stage": "nurturing"}, actor=REP_A)
    back = call(leads, "update_lead", lead["id"], {"stage": "qualification"}, actor=REP_A)
    assert back["stage"] == "qualification"
    history = call(leads, "lead_history", lead["id"], actor=REP_A)
    assert [(h["from_stage"], h["to_stage"]) for h in history][1:] == [
        ("qualification", "handoff"),
        ("handoff", "nurturing"),
        ("nurturing", "qualification"),
    ]
    assert all(h["changed_by"] == REP_A["id"] for h in history)
    with pytest.raises(ValidationFailed):
        call(leads, "update_lead", lead["id"], {"stage": "converted"}, actor=REP_A)
