"""The sales parts' entrypoints with their dependencies replaced (Nameko's ``worker_factory``).

The database is a mock: each test states what an entrypoint does with it — input
checked before anything is read, the right store step called, the event written into
the outbox, the commit — and which error it raises. Where a store step reads rows, it
is replaced by one that hands the entrypoint a real (unsaved) record.
"""

from __future__ import annotations

from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
from nameko.testing.services import worker_factory

from services.platform.access import Actor
from services.platform.errors import (
    Conflict,
    DuplicatesFound,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
)
from services.sales import (
    accounts_store,
    activities_store,
    duplicates_store,
    forecasts_store,
    stages_store,
    store,
)
from services.sales.accounts import AccountsRpc
from services.sales.activities import ActivitiesRpc
from services.sales.contacts import ContactsRpc
from services.sales.domain import ACCOUNT, ACTIVITY, OPPORTUNITY
from services.sales.forecasts import ForecastsRpc
from services.sales.lead_links import LeadLinksHandlers
from services.sales.merges import MergesRpc
from services.sales.models import Account, Activity, ForecastPlan, Opportunity, metadata
from services.sales.opportunities import OpportunitiesRpc
from services.sales.pipeline import PipelineRpc
from services.sales.service import SalesService
from services.sales.stages import StagesRpc
from services.sales.tactics import TacticsRpc

TEAM = "0196f5c4-0000-7000-8000-0000000000f1"
OTHER_TEAM = "0196f5c4-0000-7000-8000-0000000000f2"
REP = {"id": "0196f5c4-0000-7000-8000-00000000000a", "roles": ["sales_rep"], "team_id": TEAM}
MANAGER = {
    "id": "0196f5c4-0000-7000-8000-00000000000b",
    "roles": ["sales_manager"],
    "team_id": TEAM,
}
ADMIN = {"id": "0196f5c4-0000-7000-8000-00000000000c", "roles": ["admin"], "team_id": None}
ACCOUNT_ID = "0196f5c4-0000-7000-8000-0000000000a1"
LEAD = "0196f5c4-0000-7000-8000-0000000000b1"


def emitted(service) -> list[tuple[str, dict]]:
    """The events the entrypoint wrote into the outbox, in order."""
    return [(c.args[0], c.args[1]) for c in service.db.emit.call_args_list]


def record(model, entity, **data):
    """A record as the database would hand it back (not saved anywhere)."""
    values = store.new_values(entity, dict(data), Actor.from_dict(REP))
    values.pop("participants", None)  # rows of their own
    return model(**values)


def stage(name, position, probability, final=False, successful=False, stage_id=None):
    return SimpleNamespace(
        id=stage_id or f"0196f5c4-0000-7000-8000-{position:012d}",
        name=name,
        position=position,
        probability=probability,
        is_final=final,
        is_successful=successful,
        version=1,
    )


PIPELINE = [
    stage("Qualification", 10, 10),
    stage("Proposal", 30, 50),
    stage("Won", 90, 100, final=True, successful=True),
    stage("Lost", 100, 0, final=True),
]


def test_the_service_is_the_parts_and_each_part_stands_alone():
    parts = (AccountsRpc, ContactsRpc, MergesRpc, OpportunitiesRpc, StagesRpc, TacticsRpc)
    parts += (PipelineRpc, ActivitiesRpc, ForecastsRpc, LeadLinksHandlers)
    for part in parts:
        assert issubclass(SalesService, part)
        # A part's only base is the one that declares the providers: no part on a part.
        assert [b.__name__ for b in part.__bases__] == ["SalesBase"]
        # Nameko swaps every provider for a stand-in: a part needs nothing else to run.
        worker = worker_factory(part)
        assert worker.db is not None and worker.name == "sales"


# --- accounts ------------------------------------------------------------------------------


def test_bad_account_data_is_refused_before_the_database():
    service = worker_factory(AccountsRpc)
    with pytest.raises(ValidationFailed) as exc:
        service.create_account({"name": "Acme", "colour": "red", "version": 2}, actor=REP)
    assert {e["field"] for e in exc.value.errors} == {"colour", "version"}
    with pytest.raises(ValidationFailed) as exc:
        service.create_account({"name": " "}, actor=REP)
    assert exc.value.errors == [{"field": "name", "message": "is required"}]
    with pytest.raises(ValidationFailed) as exc:
        service.create_account({"name": "Acme"}, actor=REP, allow_duplicates="yes")
    assert exc.value.errors == [{"field": "allow_duplicates", "message": "must be true or false"}]
    with pytest.raises(PermissionDenied):
        service.create_account({"name": "Acme", "team_id": OTHER_TEAM}, actor=REP)
    with pytest.raises(Unauthenticated):
        service.create_account({"name": "Acme"}, actor=None)
    assert service.db.method_calls == []


def test_creating_an_account_adds_it_emits_account_created_and_commits():
    service = worker_factory(AccountsRpc)
    result = service.create_account({"name": " Acme "}, actor=REP, allow_duplicates=True)
    added = service.db.add.call_args.args[0]
    assert isinstance(added, Account) and added.name == "Acme"
    assert (added.owner_id, added.team_id, added.version) == (REP["id"], TEAM, 1)
    assert emitted(service) == [("account_created", result)]
    assert result["name"] == "Acme" and result["id"] == added.id
    service.db.commit.assert_called_once_with()


def test_an_account_like_an_existing_one_is_refused_and_nothing_is_written(monkeypatch):
    service = worker_factory(AccountsRpc)
    twin = {"record": {"id": ACCOUNT_ID, "name": "Acme"}, "score": 1.0, "reasons": ["email"]}
    search = MagicMock(return_value=[twin])
    monkeypatch.setattr(duplicates_store, "account_candidates", search)
    with pytest.raises(DuplicatesFound) as exc:
        service.create_account({"name": "Acme", "email": "a@acme.io"}, actor=REP)
    assert exc.value.candidates == [twin]
    assert search.call_args.args[1]["email"] == "a@acme.io"
    service.db.add.assert_not_called()
    service.db.emit.assert_not_called()
    service.db.rollback.assert_called_once_with()  # nothing written, nor a key claimed


def test_an_account_change_emits_the_changed_fields_with_a_new_version(monkeypatch):
    service = worker_factory(AccountsRpc)
    account = record(Account, ACCOUNT, name="Acme")
    lock = MagicMock(return_value=account)
    monkeypatch.setattr(store, "lock", lock)
    result = service.update_account(
        account.id, {"name": "Acme Ltd", "industry": None}, actor=REP, expected_version=1
    )
    assert lock.call_args.args[2:] == (account.id, Actor.from_dict(REP), 1)
    assert (result["name"], result["version"]) == ("Acme Ltd", 2)
    assert emitted(service) == [("account_updated", {**result, "changed_fields": ["name"]})]
    service.db.commit.assert_called_once_with()


def test_an_account_change_that_changes_nothing_emits_nothing(monkeypatch):
    service = worker_factory(AccountsRpc)
    account = record(Account, ACCOUNT, name="Acme")
    monkeypatch.setattr(store, "lock", MagicMock(return_value=account))
    result = service.update_account(account.id, {"name": "Acme"}, actor=REP)
    assert result["version"] == 1 and account.version == 1
    service.db.emit.assert_not_called()
    # The commit ends the transaction that held the row lock.
    service.db.commit.assert_called_once_with()


def test_an_account_cannot_be_its_own_parent_nor_move_team_unless_admin(monkeypatch):
    service = worker_factory(AccountsRpc)
    account = record(Account, ACCOUNT, name="Acme")
    monkeypatch.setattr(store, "lock", MagicMock(return_value=account))
    with pytest.raises(ValidationFailed) as exc:
        service.update_account(account.id, {"parent_id": account.id}, actor=REP)
    assert exc.value.errors[0]["field"] == "parent_id"
    with pytest.raises(PermissionDenied):
        service.update_account(account.id, {"team_id": OTHER_TEAM}, actor=REP)
    service.db.emit.assert_not_called()
    service.db.commit.assert_not_called()


def test_an_account_still_in_use_is_not_deleted(monkeypatch):
    service = worker_factory(AccountsRpc)
    account = record(Account, ACCOUNT, name="Acme")
    monkeypatch.setattr(store, "lock", MagicMock(return_value=account))
    service.db.execute.return_value.scalar_one.return_value = 1  # a child or a contact
    with pytest.raises(Conflict):
        service.delete_account(account.id, actor=REP)
    service.db.delete.assert_not_called()
    service.db.commit.assert_not_called()

    service.db.execute.return_value.scalar_one.return_value = 0
    service.delete_account(account.id, actor=REP)
    service.db.delete.assert_called_once_with(account)
    assert [name for name, _ in emitted(service)] == ["account_deleted"]
    assert emitted(service)[0][1]["id"] == account.id
    service.db.commit.assert_called_once_with()


def test_an_account_links_to_a_parent_that_exists(monkeypatch):
    service = worker_factory(AccountsRpc)
    service.db.execute.return_value.scalar_one_or_none.return_value = None  # no such row
    with pytest.raises(ValidationFailed) as exc:
        service.create_account({"name": "Acme", "parent_id": ACCOUNT_ID}, actor=REP)
    assert exc.value.errors == [{"field": "parent_id", "message": "no such account"}]
    service.db.add.assert_not_called()
    check = MagicMock()
    monkeypatch.setattr(accounts_store, "check_links", check)
    service.create_account({"name": "Acme"}, actor=REP, allow_duplicates=True)
    assert check.call_args.args[1]["name"] == "Acme"


# --- contacts and merges -------------------------------------------------------------------


def test_a_career_is_checked_before_the_contact_is_read():
    service = worker_factory(ContactsRpc)
    with pytest.raises(ValidationFailed) as exc:
        service.add_career(ACCOUNT_ID, {"account_id": "acme", "end_date": "2020"}, actor=REP)
    assert {e["field"] for e in exc.value.errors} == {"account_id", "end_date"}
    assert service.db.method_calls == []


def test_a_merge_of_a_record_with_itself_is_refused_before_the_database():
    service = worker_factory(MergesRpc)
    for merge in (service.merge_contacts, service.merge_accounts):
        with pytest.raises(ValidationFailed) as exc:
            merge(ACCOUNT_ID, ACCOUNT_ID.upper(), actor=REP)
        assert exc.value.errors[0]["field"] == "merged_id"
        with pytest.raises(ValidationFailed):
            merge(ACCOUNT_ID, "acme", actor=REP)
    assert service.db.method_calls == []


# --- opportunities -------------------------------------------------------------------------


def test_a_deal_starts_in_the_first_open_stage_with_its_probability(monkeypatch):
    service = worker_factory(OpportunitiesRpc)
    monkeypatch.setattr(stages_store, "all_stages", MagicMock(return_value=PIPELINE))
    line = {"product_id": ACCOUNT_ID, "quantity": "2", "price": "10.005"}
    with pytest.raises(ValidationFailed):  # a price with three decimals
        service.create_opportunity({"title": "Fleet", "lines": [line]}, actor=REP)
    line["price"] = "10.25"
    result = service.create_opportunity(
        {"title": "Fleet", "lines": [line], "currency": "EUR"}, actor=REP
    )
    assert result["stage_id"] == PIPELINE[0].id and result["probability"] == 10
    assert (result["amount"], result["status"]) == ("20.50", "open")
    added = [c.args[0] for c in service.db.add.call_args_list]
    assert isinstance(added[0], Opportunity)
    assert (added[1].stage_id, added[1].opportunity_id) == (PIPELINE[0].id, result["id"])
    assert emitted(service) == [("opportunity_created", result)]
    service.db.commit.assert_called_once_with()


def test_a_deal_made_from_a_lead_is_made_once(monkeypatch):
    service = worker_factory(OpportunitiesRpc)
    existing = record(Opportunity, OPPORTUNITY, title="Fleet", lead_id=LEAD)
    service.db.execute.return_value.scalar_one_or_none.return_value = existing
    stages = MagicMock(return_value=PIPELINE)
    monkeypatch.setattr(stages_store, "all_stages", stages)
    result = service.create_opportunity({"title": "Again", "lead_id": LEAD}, actor=REP)
    assert result["id"] == existing.id and result["title"] == "Fleet"
    stages.assert_not_called()
    service.db.add.assert_not_called()
    service.db.emit.assert_not_called()
    service.db.commit.assert_called_once_with()


def test_a_deal_changes_stage_only_by_moving():
    service = worker_factory(OpportunitiesRpc)
    with pytest.raises(ValidationFailed) as exc:
        service.update_opportunity(ACCOUNT_ID, {"stage_id": PIPELINE[1].id}, actor=REP)
    assert exc.value.errors[0]["field"] == "stage_id"
    with pytest.raises(ValidationFailed):
        service.move_opportunity(ACCOUNT_ID, "proposal", actor=REP)
    assert service.db.method_calls == []


def won_deal_setup(monkeypatch, service):
    deal = record(Opportunity, OPPORTUNITY, title="Fleet", amount=None)
    deal.stage_id, deal.status, deal.probability = PIPELINE[1].id, "open", 50
    deal.stage_entered_at = deal.created_at
    monkeypatch.setattr(stages_store, "all_stages", MagicMock(return_value=PIPELINE))
    monkeypatch.setattr(store, "lock", MagicMock(return_value=deal))
    return deal


def test_winning_a_deal_emits_the_stage_change_and_the_win(monkeypatch):
    service = worker_factory(OpportunitiesRpc)
    deal = won_deal_setup(monkeypatch, service)
    result = service.win_opportunity(deal.id, actor=REP, expected_version=1)
    assert (result["status"], result["probability"], result["stage_id"]) == (
        "won",
        100,
        PIPELINE[2].id,
    )
    names = [name for name, _ in emitted(service)]
    assert names == ["opportunity_stage_changed", "opportunity_won"]
    change = emitted(service)[0][1]
    assert (change["from_stage_id"], change["to_stage_id"]) == (PIPELINE[1].id, PIPELINE[2].id)
    assert change["opportunity"] == result and change["skipped_stage_ids"] == []
    service.db.commit.assert_called_once_with()


def test_losing_a_deal_needs_a_reason(monkeypatch):
    service = worker_factory(OpportunitiesRpc)
    deal = won_deal_setup(monkeypatch, service)
    with pytest.raises(ValidationFailed) as exc:
        service.lose_opportunity(deal.id, "  ", actor=REP)
    assert exc.value.errors[0]["field"] == "reason"
    service.db.emit.assert_not_called()
    service.db.commit.assert_not_called()
    result = service.lose_opportunity(deal.id, " Too dear ", actor=REP)
    assert (result["status"], result["lost_reason"]) == ("lost", "Too dear")
    assert emitted(service)[-1] == ("opportunity_lost", {**result, "reason": "Too dear"})


def test_stages_are_changed_by_administrators_only():
    service = worker_factory(StagesRpc)
    with pytest.raises(PermissionDenied):
        service.create_opportunity_stage({"name": "Demo", "position": 15}, actor=REP)
    with pytest.raises(PermissionDenied):
        service.delete_opportunity_stage(PIPELINE[0].id, actor=MANAGER)
    with pytest.raises(ValidationFailed) as exc:
        service.create_opportunity_stage({"name": "Demo", "is_successful": True}, actor=ADMIN)
    assert {e["field"] for e in exc.value.errors} == {"position", "probability", "is_successful"}
    assert service.db.method_calls == []


def test_a_stage_change_that_changes_nothing_emits_nothing(monkeypatch):
    service = worker_factory(StagesRpc)
    proposal = stage("Proposal", 30, 50)
    monkeypatch.setattr(stages_store, "lock_stage", MagicMock(return_value=proposal))
    result = service.update_opportunity_stage(proposal.id, {"name": "Proposal"}, actor=ADMIN)
    assert result["version"] == 1
    service.db.emit.assert_not_called()
    service.db.commit.assert_called_once_with()


def test_tactics_and_the_board_check_their_input_first():
    tactics = worker_factory(TacticsRpc)
    with pytest.raises(ValidationFailed) as exc:
        tactics.add_tactic(ACCOUNT_ID, {"kind": "hope", "text": ""}, actor=REP)
    assert {e["field"] for e in exc.value.errors} == {"kind", "text"}
    with pytest.raises(ValidationFailed):
        tactics.add_competitor(ACCOUNT_ID, {"account_id": "acme"}, actor=REP)
    assert tactics.db.method_calls == []
    board = worker_factory(PipelineRpc)
    with pytest.raises(ValidationFailed) as exc:
        board.pipeline({"per_stage": 0, "owner_id": "me"}, actor=REP)
    assert {e["field"] for e in exc.value.errors} == {"per_stage", "owner_id"}
    assert board.db.method_calls == []


# --- activities ----------------------------------------------------------------------------


def test_an_activity_names_every_field_at_fault_before_the_database():
    service = worker_factory(ActivitiesRpc)
    with pytest.raises(ValidationFailed) as exc:
        service.create_activity(
            {"type": "lunch", "title": "Call", "participants": [{"type": "user", "id": "7"}]},
            actor=REP,
        )
    assert {e["field"] for e in exc.value.errors} == {"type", "participants[0].id"}
    with pytest.raises(ValidationFailed):
        service.list_my_activities({"sort": "title"}, actor=REP)
    with pytest.raises(ValidationFailed):
        service.complete_activity(ACCOUNT_ID, {"result": "ok", "mood": "good"}, actor=REP)
    assert service.db.method_calls == []


def test_an_activity_gets_its_defaults_and_emits_activity_created():
    service = worker_factory(ActivitiesRpc)
    result = service.create_activity({"type": "call", "title": "Call Ann"}, actor=REP)
    assert (result["status"], result["priority"], result["completed_at"]) == (
        "not_started",
        "normal",
        None,
    )
    assert isinstance(service.db.add.call_args.args[0], Activity)
    assert emitted(service) == [("activity_created", result)]
    service.db.commit.assert_called_once_with()


def test_completing_an_activity_sets_its_result_and_a_done_one_is_a_conflict(monkeypatch):
    service = worker_factory(ActivitiesRpc)
    activity = record(Activity, ACTIVITY, type="task", title="Send offer")
    activity.status, activity.priority = "in_progress", "high"
    monkeypatch.setattr(activities_store, "lock", MagicMock(return_value=activity))
    result = service.complete_activity(activity.id, {"result": " Sent "}, actor=REP)
    assert (result["status"], result["result"], result["version"]) == ("completed", "Sent", 2)
    assert result["completed_at"] is not None
    assert emitted(service) == [("activity_completed", result)]
    service.db.commit.assert_called_once_with()
    with pytest.raises(Conflict):
        service.complete_activity(activity.id, None, actor=REP)
    assert len(emitted(service)) == 1


# --- forecasts and lead links --------------------------------------------------------------


def test_only_planners_set_plans_and_only_the_amount_changes():
    service = worker_factory(ForecastsRpc)
    plan = {
        "owner_id": REP["id"],
        "period_kind": "month",
        "period_start": "2026-03-01",
        "amount": "100",
        "currency": "EUR",
    }
    with pytest.raises(PermissionDenied):
        service.create_forecast_plan(plan, actor=REP)
    with pytest.raises(PermissionDenied):
        service.create_forecast_plan(
            {**plan, "owner_id": None, "team_id": OTHER_TEAM}, actor=MANAGER
        )
    with pytest.raises(ValidationFailed) as exc:
        service.update_forecast_plan(ACCOUNT_ID, {"currency": "USD"}, actor=MANAGER)
    assert exc.value.errors[0]["field"] == "currency"
    assert service.db.method_calls == []


def test_a_plan_is_stored_emitted_and_returned_with_its_figures(monkeypatch):
    service = worker_factory(ForecastsRpc)
    figures = MagicMock(
        side_effect=lambda db, plans: [{"id": p.id, "fact_amount": "0.00"} for p in plans]
    )
    monkeypatch.setattr(forecasts_store, "with_figures", figures)
    plan = {
        "team_id": TEAM,
        "period_kind": "quarter",
        "period_start": "2026-04-01",
        "amount": "100",
        "currency": "eur",
    }
    result = service.create_forecast_plan(plan, actor=MANAGER)
    added = service.db.add.call_args.args[0]
    assert isinstance(added, ForecastPlan) and (added.currency, added.team_id) == ("EUR", TEAM)
    assert result == {"id": added.id, "fact_amount": "0.00"}
    [(name, event)] = emitted(service)
    assert name == "forecast_plan_created"
    assert (event["period_end"], event["plan_amount"]) == ("2026-06-30", "100.00")
    service.db.commit.assert_called_once_with()


def test_merged_leads_move_their_activities_and_deals_to_the_kept_lead(monkeypatch):
    service = worker_factory(LeadLinksHandlers)
    # The claim of the event (services.platform.idempotency) finds it new.
    service.db.processed_events = metadata.tables["sales.processed_events"]
    service.db.execute.return_value.first.return_value = ("claimed",)
    activities, deals = MagicMock(), MagicMock()
    monkeypatch.setattr(activities_store, "move_lead_activities", activities)
    monkeypatch.setattr("services.sales.opportunities_store.move_lead_deals", deals)
    event = {"id": ACCOUNT_ID, "data": {"id": LEAD, "merged_ids": [TEAM, "junk"]}}
    service.handle_leads_merged(event)
    activities.assert_called_once_with(service.db, LEAD, [TEAM])
    deals.assert_called_once_with(service.db, LEAD, [TEAM])
    service.db.commit.assert_called_once_with()
