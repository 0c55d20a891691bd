"""Scoring's entrypoints with their dependencies replaced (``worker_factory``): managers
change the rules, every change is announced so every lead is scored again, and a lead's
score is explained as stored."""

from __future__ import annotations

import pytest
from nameko.testing.services import worker_factory

from services.leads import scoring, scoring_store, store
from services.leads.models import ScoringRule, metadata
from services.leads.scoring import ScoringRpc
from services.platform import idempotency
from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .doubles import (
    LEAD_ID,
    MANAGER,
    REP,
    RULE_ID,
    Result,
    answer,
    emitted,
    event,
    lead,
    scoring_rule_row,
)


@pytest.fixture
def service():
    worker = worker_factory(ScoringRpc)
    worker.db.processed_events = metadata.tables["leads.processed_events"]
    return worker


def is_rule_query(statement) -> bool:
    return "scoring_rules" in str(statement)


def test_only_managers_change_scoring_rules(service):
    rule = {"name": "Web", "field": "source", "operator": "equals", "value": "web", "points": 5}
    with pytest.raises(PermissionDenied) as exc:
        service.create_scoring_rule(rule, actor=REP)
    assert exc.value.errors == [
        {"field": "actor", "message": "only a manager may change scoring rules"}
    ]
    with pytest.raises(PermissionDenied):
        service.delete_scoring_rule(RULE_ID, actor=REP)
    assert service.db.method_calls == []


def test_a_bad_rule_is_refused_before_the_database(service):
    with pytest.raises(ValidationFailed) as exc:
        service.create_scoring_rule({"name": "x", "field": "source"}, actor=MANAGER)
    assert {e["field"] for e in exc.value.errors} == {"operator", "points"}
    assert service.db.method_calls == []


def test_a_new_rule_is_announced_and_every_lead_scored_again(service):
    result = service.create_scoring_rule(
        {"name": "Web", "field": "source", "operator": "equals", "value": " web ", "points": 5},
        actor=MANAGER,
    )
    written = service.db.add.call_args.args[0]
    assert isinstance(written, ScoringRule)
    assert (written.value, written.is_active, written.version) == ("web", True, 1)
    assert emitted(service.db) == ["scoring_rule_created", "scoring_rules_changed"]
    assert event(service.db, "scoring_rules_changed") == {
        "change": "created",
        "rule_id": written.id,
    }
    assert result["id"] == written.id and result["points"] == 5
    service.db.commit.assert_called_once()


def test_an_update_is_checked_against_the_stored_rule(service):
    stored = scoring_rule_row(field="source", operator="equals", value="web", version=2)
    answer(service.db, (is_rule_query, Result(one=stored)))
    with pytest.raises(ValidationFailed) as exc:
        service.update_scoring_rule(RULE_ID, {"operator": "in"}, actor=MANAGER)
    assert exc.value.errors[0]["field"] == "value"
    service.update_scoring_rule(RULE_ID, {"points": 9}, actor=MANAGER, expected_version=2)
    assert (stored.points, stored.version) == (9, 3)
    assert event(service.db, "scoring_rule_updated")["changed_fields"] == ["points"]
    assert event(service.db, "scoring_rules_changed")["change"] == "updated"


def test_an_update_that_changes_nothing_announces_nothing(service):
    answer(service.db, (is_rule_query, Result(one=scoring_rule_row())))
    service.update_scoring_rule(RULE_ID, {"points": 30}, actor=MANAGER)
    service.db.emit.assert_not_called()
    service.db.commit.assert_called_once()


def test_stale_and_missing_rules(service):
    answer(service.db, (is_rule_query, Result(one=scoring_rule_row())))
    with pytest.raises(Conflict) as exc:
        service.delete_scoring_rule(RULE_ID, actor=MANAGER, expected_version=7)
    assert exc.value.message == "The rule was changed meanwhile (version 1, not 7)"
    answer(service.db)
    with pytest.raises(NotFound) as exc:
        service.get_scoring_rule(RULE_ID, actor=REP)
    assert exc.value.message == "No such scoring rule"
    assert exc.value.errors == [{"field": "rule_id", "message": "no such rule"}]
    service.db.delete.assert_not_called()


def test_a_deleted_rule_is_announced_with_its_last_state(service):
    stored = scoring_rule_row()
    answer(service.db, (is_rule_query, Result(one=stored)))
    service.delete_scoring_rule(RULE_ID, actor=MANAGER, expected_version=1)
    service.db.delete.assert_called_once_with(stored)
    assert event(service.db, "scoring_rule_deleted")["name"] == "Has an email"
    assert event(service.db, "scoring_rules_changed") == {"change": "deleted", "rule_id": RULE_ID}


def test_a_score_is_explained_as_stored(service):
    reasons = [{"rule_id": RULE_ID, "name": "Has an email", "points": 30}]
    answer(service.db, (store._LEAD_BY_ID, Result(one=lead(score=30, score_reasons=reasons))))
    assert service.explain_score(LEAD_ID, actor=REP) == {
        "lead_id": LEAD_ID,
        "score": 30,
        "reasons": reasons,
    }


def test_a_finished_recompute_is_not_run_again(service, monkeypatch):
    answer(service.db, (lambda s: "processed_events" in str(s), Result(rows=[("e1",)])))
    monkeypatch.setattr(scoring_store, "rescore_all", lambda db: pytest.fail("ran again"))
    service.handle_scoring_rules_changed({"id": "e1"})
    service.db.emit.assert_not_called()


def test_a_recompute_announces_what_it_did(service, monkeypatch):
    answer(service.db)
    monkeypatch.setattr(scoring_store, "rescore_all", lambda db: (7, 2))
    monkeypatch.setattr(idempotency, "claim_event", lambda db, event_id, handler: True)
    service.handle_scoring_rules_changed({"id": "e1", "actor": MANAGER})
    assert event(service.db, "lead_scores_recomputed") == {
        "scanned": 7,
        "changed": 2,
        "rules_event_id": "e1",
    }
    assert scoring._FINISH_HANDLER == "services.leads.scoring.ScoringRpc._finish_rescore"
