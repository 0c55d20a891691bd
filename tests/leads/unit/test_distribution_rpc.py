"""Distribution's entrypoints with their dependencies replaced (``worker_factory``):
managers change the rules, the first matching rule picks the owner, assignments by hand
follow the rights, and each assignment is logged, scored, announced and committed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from services.leads import scoring_store, store
from services.leads.distribution import DistributionRpc
from services.leads.models import Assignment, DistributionRule
from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .doubles import (
    ADMIN,
    LEAD_ID,
    MANAGER,
    REP,
    REP_B,
    RULE_ID,
    TEAM_A,
    TEAM_B,
    WHEN,
    Result,
    answer,
    emitted,
    event,
    lead,
    scoring_rule_row,
)

OWNER_1 = "0190e1a4-1d2b-7c3d-8e4f-000000000101"
OWNER_2 = "0190e1a4-1d2b-7c3d-8e4f-000000000102"


@pytest.fixture
def service():
    return worker_factory(DistributionRpc)


def rule(**fields):
    return SimpleNamespace(
        **{
            "id": RULE_ID,
            "name": "Web leads",
            "position": 0,
            "is_active": True,
            "need_type": None,
            "source": None,
            "region": None,
            "team_id": None,
            "strategy": "round_robin",
            "owner_ids": [OWNER_1, OWNER_2],
            "fixed_owner_id": None,
            "last_index": 0,
            "version": 2,
            "created_at": WHEN,
            "updated_at": WHEN,
            **fields,
        }
    )


def is_rules_query(statement) -> bool:
    return "distribution_rules" in str(statement)


def added(db, model):
    return [call.args[0] for call in db.add.call_args_list if isinstance(call.args[0], model)]


# --- rules -----------------------------------------------------------------------------


def test_only_managers_change_rules_and_bad_rules_touch_nothing(service):
    with pytest.raises(PermissionDenied):
        service.create_distribution_rule({"name": "x", "strategy": "fixed_owner"}, actor=REP)
    with pytest.raises(ValidationFailed) as exc:
        service.create_distribution_rule({"name": "x", "strategy": "round_robin"}, actor=MANAGER)
    assert exc.value.errors == [
        {"field": "owner_ids", "message": "round_robin needs at least one owner to choose from"}
    ]
    assert service.db.method_calls == []


def test_a_new_rule_goes_last_and_is_announced(service):
    answer(service.db, (lambda s: "max(" in str(s), Result(one=4)))
    result = service.create_distribution_rule(
        {"name": " Web ", "strategy": "fixed_owner", "fixed_owner_id": OWNER_1.upper()},
        actor=MANAGER,
    )
    written = added(service.db, DistributionRule)[0]
    assert (written.position, written.last_index, written.version) == (5, -1, 1)
    assert (written.name, written.fixed_owner_id, written.is_active) == ("Web", OWNER_1, True)
    assert written.owner_ids == [] and written.source is None
    assert event(service.db, "distribution_rule_created") == result
    service.db.commit.assert_called_once()


def test_the_first_rule_of_an_empty_list_is_at_position_0(service):
    answer(service.db)
    service.create_distribution_rule(
        {"name": "All", "strategy": "fixed_owner", "fixed_owner_id": OWNER_1}, actor=MANAGER
    )
    assert added(service.db, DistributionRule)[0].position == 0


def test_a_rule_at_a_taken_position_is_a_conflict(service):
    from sqlalchemy.exc import IntegrityError

    service.db.flush.side_effect = IntegrityError("INSERT", {}, Exception("unique"))
    answer(service.db)
    with pytest.raises(Conflict) as exc:
        service.create_distribution_rule(
            {"name": "x", "strategy": "fixed_owner", "fixed_owner_id": OWNER_1, "position": 3},
            actor=MANAGER,
        )
    assert exc.value.errors == [{"field": "position", "message": "3 is taken"}]
    service.db.emit.assert_not_called()


def test_new_owners_start_the_turn_afresh(service):
    stored = rule(last_index=1)
    answer(service.db, (is_rules_query, Result(one=stored)))
    result = service.update_distribution_rule(
        RULE_ID, {"owner_ids": [OWNER_2]}, actor=MANAGER, expected_version=2
    )
    assert (stored.owner_ids, stored.last_index, stored.version) == ([OWNER_2], -1, 3)
    assert event(service.db, "distribution_rule_updated")["changed_fields"] == ["owner_ids"]
    assert result["last_index"] == -1


def test_an_update_that_changes_nothing_is_silent(service):
    stored = rule()
    answer(service.db, (is_rules_query, Result(one=stored)))
    service.update_distribution_rule(RULE_ID, {"name": "Web leads"}, actor=MANAGER)
    assert stored.version == 2
    service.db.emit.assert_not_called()
    service.db.commit.assert_called_once()


def test_a_stale_rule_version_and_a_missing_rule_are_refused(service):
    answer(service.db, (is_rules_query, Result(one=rule())))
    with pytest.raises(Conflict):
        service.delete_distribution_rule(RULE_ID, actor=MANAGER, expected_version=1)
    answer(service.db)
    with pytest.raises(NotFound) as exc:
        service.get_distribution_rule(RULE_ID, actor=REP)
    assert exc.value.message == "No such distribution rule"
    assert exc.value.errors == [{"field": "rule_id", "message": "no such rule"}]
    service.db.delete.assert_not_called()


# --- assigning -------------------------------------------------------------------------


def test_a_rep_may_not_hand_on_a_lead_of_someone_else(service):
    answer(service.db, (store._LEAD_FOR_UPDATE, Result(one=lead(owner_id=REP_B["id"]))))
    with pytest.raises((PermissionDenied, NotFound)):
        service.assign_lead(LEAD_ID, {"owner_id": OWNER_1}, actor=REP)
    service.db.emit.assert_not_called()


def test_assigning_a_lead_to_its_owner_changes_nothing(service):
    stored = lead(owner_id=OWNER_1)
    answer(service.db, (store._LEAD_FOR_UPDATE, Result(one=stored)))
    result = service.assign_lead(LEAD_ID, {"owner_id": OWNER_1}, actor=MANAGER)
    assert result["version"] == 3
    service.db.emit.assert_not_called()
    service.db.commit.assert_called_once()


def test_an_assignment_by_hand_is_logged_scored_and_announced(service):
    stored = lead(stage="distribution", team_id=None, owner_id=None)
    owned = scoring_rule_row(field="owner_id", operator="is_set", points=20)
    answer(
        service.db,
        (store._LEAD_FOR_UPDATE, Result(one=stored)),
        (scoring_store._ACTIVE_RULES, Result(rows=[owned])),
    )
    service.assign_lead(LEAD_ID, {"owner_id": OWNER_1}, actor=MANAGER, expected_version=3)
    log = added(service.db, Assignment)[0]
    assert (log.owner_id, log.previous_owner_id, log.rule_id, log.assigned_by) == (
        OWNER_1,
        None,
        None,
        MANAGER["id"],
    )
    # a lead without a team joins the assigning manager's; distribution moves on
    assert (stored.owner_id, stored.team_id, stored.stage) == (OWNER_1, TEAM_A, "handoff")
    assert emitted(service.db) == ["lead_stage_changed", "lead_assigned"]
    sent = event(service.db, "lead_assigned")
    assert sent["changed_fields"] == ["owner_id", "team_id", "stage", "score", "score_reasons"]
    assert (sent["score"], sent["previous_owner_id"], sent["strategy"]) == (20, None, None)
    service.db.commit.assert_called_once()


def test_the_rules_choose_the_next_owner_in_turn(service):
    stored = lead(owner_id=None, team_id=TEAM_B)
    chosen = rule(last_index=0, team_id=TEAM_B)
    answer(
        service.db,
        (store._LEAD_FOR_UPDATE, Result(one=stored)),
        (is_rules_query, Result(one=chosen, rows=[chosen])),
    )
    service.assign_lead(LEAD_ID, {}, actor=ADMIN)
    assert stored.owner_id == OWNER_2 and chosen.last_index == 1
    sent = event(service.db, "lead_assigned")
    assert (sent["rule_id"], sent["strategy"]) == (RULE_ID, "round_robin")


def test_no_matching_rule_is_said_on_the_owner(service):
    answer(service.db, (store._LEAD_FOR_UPDATE, Result(one=lead(source="fair"))))
    with pytest.raises(ValidationFailed) as exc:
        service.assign_lead(LEAD_ID, None, actor=REP)
    assert exc.value.errors[0]["field"] == "owner_id"
    assert "source fair" in exc.value.errors[0]["message"]
    service.db.emit.assert_not_called()


def test_distributing_needs_a_manager_and_a_sane_limit(service):
    with pytest.raises(PermissionDenied):
        service.distribute_unassigned(actor=REP)
    with pytest.raises(ValidationFailed):
        service.distribute_unassigned(actor=MANAGER, limit=0)
    assert service.db.method_calls == []


def test_distributing_counts_what_it_assigned_skipped_and_could_not_match(service):
    free = lead(id="l-free", owner_id=None, source="web")
    taken = lead(id="l-taken", owner_id=OWNER_1, source="web")
    fair = lead(id="l-fair", owner_id=None, source="fair")
    chosen = rule(strategy="fixed_owner", fixed_owner_id=OWNER_2, source="Web")
    locked = {"l-free": free, "l-taken": taken, "l-fair": fair}

    def one(statement):
        lock = getattr(statement, "_for_update_arg", None)
        return lock is not None and lock.skip_locked

    answer(
        service.db,
        (lambda s: "leads.leads.owner_id IS NULL" in str(s), Result(rows=list(locked))),
        (is_rules_query, Result(one=chosen, rows=[chosen])),
    )
    execute = service.db.execute.side_effect

    def with_locks(statement, *args):
        if one(statement):
            lead_id = statement.compile().params["id_1"]
            return Result(one=locked[lead_id])
        return execute(statement, *args)

    service.db.execute.side_effect = with_locks
    counts = service.distribute_unassigned(actor=ADMIN, limit=10)
    assert counts == {"assigned": 1, "unmatched": 1, "skipped": 1}
    assert (free.owner_id, fair.owner_id) == (OWNER_2, None)
    assert emitted(service.db) == ["lead_assigned"]
    # the list of ids, then each lead in its own transaction
    assert service.db.commit.call_count == 4
