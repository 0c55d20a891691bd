"""The lead process's entrypoints with their dependencies replaced (``worker_factory``):
qualifying asks sales for duplicates before it creates anything, disqualifying needs a
listed reason, reopening is for managers, a hand-off creates one deal, and sales' new
deal converts the lead."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from services.leads import store
from services.leads.process import ProcessRpc
from services.platform import idempotency
from services.platform.errors import (
    Conflict,
    DuplicatesFound,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)

from .doubles import (
    ACCOUNT_ID,
    CONTACT_ID,
    LEAD_ID,
    MANAGER,
    REP,
    Result,
    answer,
    emitted,
    event,
    lead,
)

OPPORTUNITY_ID = "0190e1a4-1d2b-7c3d-8e4f-0000000000aa"


@pytest.fixture
def service():
    return worker_factory(ProcessRpc)


REASONS = Result(
    rows=[
        SimpleNamespace(code="no_budget", is_active=True),
        SimpleNamespace(code="spam", is_active=False),
    ]
)


def stored(service, **fields):
    """The lead the worker loads under its row lock (and the disqualification reasons)."""
    record = lead(**fields)
    answer(
        service.db,
        (store._LEAD_FOR_UPDATE, Result(one=record)),
        (lambda s: "leads.lookups" in str(s), REASONS),
    )
    return record


# --- qualify ---------------------------------------------------------------------------


def test_qualifying_needs_a_contact_before_anything_is_loaded(service):
    with pytest.raises(ValidationFailed) as exc:
        service.qualify_lead(LEAD_ID, {"need_type": "CRM"}, actor=REP)
    assert exc.value.errors == [{"field": "contact_id", "message": "pick a contact or create one"}]
    assert service.db.method_calls == [] and service.sales.method_calls == []


def test_qualifying_needs_a_need(service):
    stored(service, need_type=None)
    with pytest.raises(ValidationFailed) as exc:
        service.qualify_lead(LEAD_ID, {"contact_id": CONTACT_ID}, actor=REP)
    assert exc.value.errors == [{"field": "need_type", "message": "say what the lead needs"}]
    assert service.sales.method_calls == []


def test_a_contact_sales_does_not_know_is_refused_on_its_field(service):
    stored(service, need_type="CRM")
    service.sales.get_contact.side_effect = NotFound("No such contact")
    with pytest.raises(ValidationFailed) as exc:
        service.qualify_lead(LEAD_ID, {"contact_id": CONTACT_ID}, actor=REP)
    assert exc.value.errors == [{"field": "contact_id", "message": "no such contact"}]
    service.db.commit.assert_not_called()


def test_look_alikes_in_sales_stop_the_qualification_before_anything_is_created(service):
    stored(service, need_type="CRM", account_name="Acme")
    service.sales.check_account_duplicates.return_value = [{"record": {"id": "a1"}}]
    service.sales.check_contact_duplicates.return_value = [{"record": {"id": "c1"}}]
    with pytest.raises(DuplicatesFound) as exc:
        service.qualify_lead(LEAD_ID, {"contact": {}, "account": {}}, actor=REP)
    assert [c["entity"] for c in exc.value.candidates] == ["account", "contact"]
    assert service.sales.create_account.called is False
    assert service.sales.create_contact.called is False
    service.db.commit.assert_not_called()


def test_qualifying_creates_the_account_then_its_contact_and_moves_the_lead_on(service):
    record = stored(service, need_type=None, account_name="Acme", email="ann@acme.io")
    service.sales.check_account_duplicates.return_value = []
    service.sales.check_contact_duplicates.return_value = []
    service.sales.create_account.return_value = {"id": ACCOUNT_ID}
    service.sales.create_contact.return_value = {"id": CONTACT_ID}
    result = service.qualify_lead(
        LEAD_ID, {"contact": {}, "account": {}, "need_type": " CRM "}, actor=REP
    )
    contact = service.sales.create_contact.call_args.args[0]
    assert contact["account_id"] == ACCOUNT_ID and contact["full_name"] == "Ann Lee"
    assert service.sales.create_account.call_args.args[0]["name"] == "Acme"
    assert (record.contact_id, record.account_id, record.need_type) == (
        CONTACT_ID,
        ACCOUNT_ID,
        "CRM",
    )
    assert result["stage"] == "handoff"  # it has an owner
    assert emitted(service.db) == ["lead_stage_changed", "lead_qualified"]
    assert event(service.db, "lead_qualified")["changed_fields"] == [
        "contact_id",
        "account_id",
        "need_type",
        "stage",
    ]
    service.db.commit.assert_called_once()


def test_an_unowned_lead_qualified_waits_for_distribution(service):
    stored(service, need_type="CRM", owner_id=None)
    result = service.qualify_lead(LEAD_ID, {"contact_id": CONTACT_ID}, actor=MANAGER)
    assert result["stage"] == "distribution"
    service.sales.get_contact.assert_called_once_with(CONTACT_ID, actor=MANAGER)


# --- disqualify and reopen -------------------------------------------------------------


def test_disqualifying_needs_a_reason_before_the_lead_is_loaded(service):
    with pytest.raises(ValidationFailed) as exc:
        service.disqualify_lead(LEAD_ID, "  ", actor=REP)
    assert exc.value.errors == [{"field": "reason", "message": "pick a disqualification reason"}]
    assert service.db.method_calls == []


def test_a_reason_must_be_an_active_one(service):
    stored(service)
    with pytest.raises(ValidationFailed) as exc:
        service.disqualify_lead(LEAD_ID, "bored", actor=REP)
    # only the active ones are offered
    assert exc.value.errors == [{"field": "reason", "message": "must be one of no_budget"}]


def test_disqualifying_closes_the_lead_with_its_reason(service):
    record = stored(service)
    service.disqualify_lead(LEAD_ID, " no_budget ", actor=REP)
    assert (record.stage, record.disqualification_reason) == ("disqualified", "no_budget")
    sent = event(service.db, "lead_disqualified")
    assert sent["reason"] == "no_budget"
    assert sent["changed_fields"] == ["stage", "disqualification_reason"]
    assert event(service.db, "lead_stage_changed")["reason"] == "no_budget"


def test_a_disqualified_lead_cannot_be_disqualified_again(service):
    stored(service, stage="disqualified")
    with pytest.raises(Conflict):
        service.disqualify_lead(LEAD_ID, "no_budget", actor=REP)


def test_only_managers_reopen_and_only_closed_leads(service):
    with pytest.raises(PermissionDenied):
        service.reopen_lead(LEAD_ID, actor=REP)
    assert service.db.method_calls == []
    stored(service, stage="handoff")
    with pytest.raises(Conflict):
        service.reopen_lead(LEAD_ID, actor=MANAGER)
    service.db.emit.assert_not_called()


def test_a_reopened_lead_goes_back_to_the_stage_asked(service):
    record = stored(service, stage="converted")
    service.reopen_lead(LEAD_ID, actor=MANAGER, stage="nurturing")
    assert record.stage == "nurturing"
    assert event(service.db, "lead_reopened")["changed_fields"] == ["stage"]


# --- hand-off --------------------------------------------------------------------------


def test_a_lead_is_handed_off_once(service):
    stored(service, opportunity_id=OPPORTUNITY_ID)
    result = service.handoff_lead(LEAD_ID, None, actor=REP)
    assert result["opportunity_id"] == OPPORTUNITY_ID
    assert service.sales.method_calls == []
    service.db.emit.assert_not_called()
    service.db.commit.assert_called_once()


def test_a_hand_off_needs_a_contact_and_an_owner(service):
    stored(service, owner_id=None, team_id=None)
    with pytest.raises(ValidationFailed) as exc:
        service.handoff_lead(LEAD_ID, {}, actor=MANAGER)
    assert {e["field"] for e in exc.value.errors} == {"contact_id", "owner_id"}
    assert service.sales.method_calls == []


def test_handing_off_asks_sales_for_the_deal_and_waits_for_it(service):
    record = stored(service, contact_id=CONTACT_ID, need_type="CRM", account_name="Acme")
    service.sales.create_opportunity.return_value = {"id": OPPORTUNITY_ID}
    service.handoff_lead(LEAD_ID, {"amount": "100.00", "currency": None}, actor=REP)
    deal = service.sales.create_opportunity.call_args.args[0]
    assert deal["title"] == "CRM: Acme" and deal["lead_id"] == LEAD_ID
    assert deal["amount"] == "100.00" and "currency" not in deal
    assert (record.stage, record.opportunity_id) == ("awaiting_sale", OPPORTUNITY_ID)
    assert event(service.db, "lead_handed_off")["opportunity"] == {"id": OPPORTUNITY_ID}


# --- conversion on sales' word ---------------------------------------------------------


@pytest.fixture
def claimed(monkeypatch):
    """Every event is seen for the first time (the claim is the database's)."""
    monkeypatch.setattr(idempotency, "claim_event", lambda db, event_id, handler: True)


def test_sales_new_deal_converts_its_lead(service, claimed):
    record = lead(stage="awaiting_sale")
    answer(service.db, (lambda s: "FOR UPDATE" in str(s), Result(one=record)))
    service.handle_opportunity_created(
        {"id": "e1", "actor": MANAGER, "data": {"id": OPPORTUNITY_ID, "lead_id": LEAD_ID}}
    )
    assert (record.stage, record.opportunity_id) == ("converted", OPPORTUNITY_ID)
    converted = event(service.db, "lead_converted")
    assert converted["changed_fields"] == ["stage", "opportunity_id"]
    assert converted["opportunity_id"] == OPPORTUNITY_ID
    service.db.commit.assert_called_once()


def test_a_deal_made_without_a_lead_only_claims_the_event(service, claimed):
    service.handle_opportunity_created({"id": "e2", "data": {"id": OPPORTUNITY_ID}})
    service.db.execute.assert_not_called()
    service.db.emit.assert_not_called()
    service.db.commit.assert_called_once()
