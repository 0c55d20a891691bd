"""The lead record's entrypoints with their dependencies replaced (``worker_factory``):
input is checked before the database, each change is written by its store statement,
announced and committed, and the caller's rights are enforced."""

from __future__ import annotations

from unittest.mock import ANY

import pytest
from nameko.testing.services import worker_factory

from services.leads import duplicates_store, scoring_store, store
from services.leads.leads import LeadsRpc
from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .doubles import (
    ADMIN,
    LEAD_ID,
    REP,
    REP_B,
    TEAM_A,
    TEAM_B,
    Result,
    answer,
    emitted,
    event,
    lead,
    scoring_rule_row,
)


@pytest.fixture
def service():
    return worker_factory(LeadsRpc)


# --- create ----------------------------------------------------------------------------


def test_bad_lead_data_is_refused_before_the_database(service):
    with pytest.raises(ValidationFailed) as exc:
        service.create_lead({"email": "not-an-email", "colour": "red"}, actor=REP)
    assert {e["field"] for e in exc.value.errors} == {"email", "colour"}
    assert service.db.method_calls == []


def test_a_lead_about_nobody_is_refused_before_the_database(service):
    with pytest.raises(ValidationFailed) as exc:
        service.create_lead({"source": "web"}, actor=REP)
    assert exc.value.errors[0]["field"] == "contact_name"
    assert service.db.method_calls == []


def test_a_rep_cannot_put_a_new_lead_in_another_team(service):
    with pytest.raises(PermissionDenied):
        service.create_lead({"contact_name": "Ann", "team_id": TEAM_B}, actor=REP)
    assert service.db.method_calls == []


def test_a_new_lead_is_one_insert_an_event_and_a_commit(service):
    executed = answer(service.db)
    result = service.create_lead({"account_name": " Acme "}, actor=REP)

    # the active rules, then the lead with its first stage change in one statement
    assert executed == [scoring_store._ACTIVE_RULES, store._INSERT_LEAD]
    params = service.db.execute.call_args_list[1].args[1]
    assert params["account_name"] == "Acme"
    assert params["stage"] == "qualification"
    assert params["owner_id"] == REP["id"] and params["team_id"] == TEAM_A
    assert params["created_by"] == REP["id"] and params["version"] == 1
    assert params["action"] == "create" and params["history_id"] != params["id"]
    assert params["score"] is None and params["score_reasons"] == []
    assert service.db.emit.call_args_list[0].args[:2] == ("lead_created", ANY)
    created = event(service.db, "lead_created")
    assert created["id"] == params["id"] and created["account_name"] == "Acme"
    assert created["created_at"].endswith("Z")
    # nothing with an email, phone or name to compare: no look-alike search
    assert result == {**created, "similar": []}
    names = [call[0] for call in service.db.mock_calls if call[0] in ("emit", "commit")]
    assert names == ["emit", "commit"]


def test_a_new_lead_is_scored_by_the_active_rules(service):
    answer(service.db, (scoring_store._ACTIVE_RULES, Result(rows=[scoring_rule_row()])))
    service.create_lead({"account_name": "Acme", "email": "ann@acme.io"}, actor=REP)
    params = service.db.execute.call_args_list[1].args[1]
    assert params["score"] == 30
    assert params["score_reasons"] == [
        {"rule_id": scoring_rule_row().id, "name": "Has an email", "points": 30}
    ]
    assert event(service.db, "lead_created")["score"] == 30


def test_an_explicit_null_owner_leaves_the_new_lead_unassigned(service):
    answer(service.db)
    result = service.create_lead({"account_name": "Acme", "owner_id": None}, actor=REP)
    assert result["owner_id"] is None and result["team_id"] == TEAM_A


def test_the_look_alikes_of_a_new_lead_come_back_with_it(service, monkeypatch):
    answer(service.db)
    asked = []

    def candidates(db, index, values, caller, exclude_id=None):
        asked.append((values["email"], caller.id, exclude_id))
        return [{"record": {"id": "older"}, "score": 1.0, "reasons": ["email"]}]

    monkeypatch.setattr(duplicates_store, "lead_candidates", candidates)
    result = service.create_lead({"email": "ann@acme.io"}, actor=REP)
    assert asked == [("ann@acme.io", REP["id"], result["id"])]
    assert result["similar"] == [{"record": {"id": "older"}, "score": 1.0, "reasons": ["email"]}]
    service.db.commit.assert_called_once()


# --- read ------------------------------------------------------------------------------


def test_a_lead_is_read_in_autocommit_by_its_id(service):
    service.db.read.return_value = [lead()]
    assert service.get_lead(LEAD_ID, actor=REP)["contact_name"] == "Ann Lee"
    service.db.read.assert_called_once_with(store._LEAD_ROW, {"lead_id": LEAD_ID})
    service.db.commit.assert_not_called()


def test_a_lead_of_another_team_reads_like_a_missing_one(service):
    # the lead, then no share of it with the caller
    service.db.read.side_effect = [[lead()], []]
    with pytest.raises(NotFound) as exc:
        service.get_lead(LEAD_ID, actor=REP_B)
    assert exc.value.errors == [{"field": "lead_id", "message": "no such lead"}]
    assert service.db.read.call_args.args[0] is store._SHARED


def test_an_id_that_is_no_uuid_names_no_lead_and_asks_nothing(service):
    with pytest.raises(NotFound):
        service.get_lead("42", actor=REP)
    assert service.db.method_calls == []


# --- update ----------------------------------------------------------------------------


def test_bad_changes_are_refused_before_the_lead_is_loaded(service):
    with pytest.raises(ValidationFailed):
        service.update_lead(LEAD_ID, {"stage": ""}, actor=REP)
    assert service.db.method_calls == []


def test_a_stale_version_changes_nothing(service):
    answer(service.db, (store._LEAD_FOR_UPDATE, Result(one=lead())))
    with pytest.raises(Conflict) as exc:
        service.update_lead(LEAD_ID, {"region": "North"}, actor=REP, expected_version=2)
    assert exc.value.errors == [{"field": "version", "message": "is 3, not 2"}]
    service.db.emit.assert_not_called()
    service.db.commit.assert_not_called()


def test_a_closed_lead_is_not_changed(service):
    answer(service.db, (store._LEAD_FOR_UPDATE, Result(one=lead(stage="converted"))))
    with pytest.raises(Conflict):
        service.update_lead(LEAD_ID, {"region": "North"}, actor=REP)
    service.db.emit.assert_not_called()


def test_a_rep_cannot_move_a_lead_to_another_team(service):
    answer(service.db, (store._LEAD_FOR_UPDATE, Result(one=lead())))
    with pytest.raises(PermissionDenied):
        service.update_lead(LEAD_ID, {"team_id": TEAM_B}, actor=REP)
    service.db.emit.assert_not_called()


def test_a_lead_is_closed_by_the_process_not_by_hand(service):
    answer(service.db, (store._LEAD_FOR_UPDATE, Result(one=lead())))
    with pytest.raises(ValidationFailed) as exc:
        service.update_lead(LEAD_ID, {"stage": "disqualified"}, actor=REP)
    assert exc.value.errors[0]["field"] == "stage"


def test_a_change_that_changes_nothing_keeps_the_version_and_is_silent(service):
    stored = lead(region="North")
    answer(service.db, (store._LEAD_FOR_UPDATE, Result(one=stored)))
    result = service.update_lead(LEAD_ID, {"region": "North"}, actor=REP, expected_version=3)
    assert result["version"] == 3 and stored.version == 3
    service.db.emit.assert_not_called()
    service.db.commit.assert_called_once()  # ends the transaction holding the row lock


def test_a_change_is_saved_scored_announced_and_committed(service):
    stored = lead()
    answer(
        service.db,
        (store._LEAD_FOR_UPDATE, Result(one=stored)),
        (scoring_store._ACTIVE_RULES, Result(rows=[scoring_rule_row()])),
    )
    result = service.update_lead(LEAD_ID, {"email": "Ann@Acme.io"}, actor=REP)
    assert stored.email == "ann@acme.io" and stored.version == 4
    assert stored.score == 30
    updated = event(service.db, "lead_updated")
    assert updated["changed_fields"] == ["email", "score", "score_reasons"]
    assert updated["version"] == 4
    assert result == {k: v for k, v in updated.items() if k != "changed_fields"}
    names = [call[0] for call in service.db.mock_calls if call[0] in ("flush", "emit", "commit")]
    assert names == ["flush", "emit", "commit"]


def test_a_stage_moved_by_hand_is_logged_and_announced(service):
    stored = lead()
    answer(service.db, (store._LEAD_FOR_UPDATE, Result(one=stored)))
    service.update_lead(LEAD_ID, {"stage": "nurturing"}, actor=REP)
    change = service.db.add.call_args.args[0]
    assert (change.from_stage, change.to_stage, change.action) == (
        "qualification",
        "nurturing",
        "manual",
    )
    assert emitted(service.db) == ["lead_stage_changed", "lead_updated"]
    moved = event(service.db, "lead_stage_changed")
    assert moved["from_stage"] == "qualification" and moved["lead"]["stage"] == "nurturing"


# --- delete and describe ---------------------------------------------------------------


def test_a_delete_announces_the_last_state(service):
    stored = lead()
    answer(service.db, (store._LEAD_FOR_UPDATE, Result(one=stored)))
    service.delete_lead(LEAD_ID, actor=REP, expected_version=3)
    service.db.delete.assert_called_once_with(stored)
    assert event(service.db, "lead_deleted")["id"] == LEAD_ID
    service.db.commit.assert_called_once()


def test_only_who_may_change_a_lead_deletes_it(service):
    answer(service.db, (store._LEAD_FOR_UPDATE, Result(one=lead(owner_id=None, team_id=TEAM_A))))
    service.db.scalar.return_value = False  # not shared with anybody
    with pytest.raises(NotFound):
        service.delete_lead(LEAD_ID, actor=REP_B)
    with pytest.raises(PermissionDenied):
        service.delete_lead(LEAD_ID, actor=REP)
    service.db.delete.assert_not_called()


def test_describing_leads_needs_no_caller(service):
    meta = service.describe_leads()
    assert meta["name"] == "leads" and meta["label_singular"] == "Lead"
    assert meta["required_one_of"] == ["contact_name", "account_name", "email", "phone"]
    service.describe_leads(actor=ADMIN)
    assert service.db.method_calls == []
