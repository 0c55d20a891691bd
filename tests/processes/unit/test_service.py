"""The entrypoints under Nameko's worker_factory: each checks its caller and its input
before it touches the database, and commits only after its change."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from services.platform.errors import Conflict, PermissionDenied, ValidationFailed
from services.processes import calls, instances, steps, store
from services.processes.engine import Engine
from services.processes.service import ProcessesService

DIAGRAMS = Path(__file__).resolve().parents[3] / "services" / "processes" / "diagrams"
ADMIN = {"id": "0190a3c5-0000-7000-8000-00000000000a", "roles": ["admin"]}
REP = {"id": "0190a3c5-0000-7000-8000-00000000000b", "roles": ["sales_rep"]}


@pytest.fixture
def service():
    return worker_factory(ProcessesService, engine=Engine())


def test_the_designer_gets_the_catalogue_without_the_database(service):
    found = service.list_process_actions(actor=REP)
    assert "create_record" in {a["name"] for a in found["actions"]}
    service.db.execute.assert_not_called()


def test_a_diagram_is_checked_before_anything_is_written(service):
    lead = (DIAGRAMS / "lead_management.bpmn").read_text()
    assert service.validate_process_definition(lead, actor=REP)["valid"] is True
    with pytest.raises(PermissionDenied):
        service.create_process_definition(lead, actor=REP)
    with pytest.raises(ValidationFailed) as refused:
        service.create_process_definition(lead.replace("lead = record", "import os"), actor=ADMIN)
    assert refused.value.errors[0]["element_id"] == "Task_prepare"
    service.db.execute.assert_not_called()
    service.db.commit.assert_not_called()


def test_a_rep_cannot_repair_or_design(service):
    with pytest.raises(PermissionDenied):
        service.retry_process_instance("0190a3c5-0000-7000-8000-000000000001", actor=REP)
    with pytest.raises(PermissionDenied):
        service.cancel_process_instance("0190a3c5-0000-7000-8000-000000000001", actor=REP)
    with pytest.raises(PermissionDenied):
        service.deploy_process_definition("0190a3c5-0000-7000-8000-000000000001", actor=REP)
    service.db.execute.assert_not_called()


def test_a_start_by_hand_is_checked_first(service):
    with pytest.raises(ValidationFailed):
        service.start_process_instance({"record_type": "lead"}, actor=REP)
    service.db.execute.assert_not_called()


def test_someone_elses_task_is_refused_and_nothing_is_committed(service, monkeypatch):
    task = SimpleNamespace(
        id="t", assignee_id=ADMIN["id"], candidate_role=None, version=1, state="open", form=[]
    )
    monkeypatch.setattr(store, "process_task", lambda db, task_id, for_update=False: task)
    with pytest.raises(PermissionDenied):
        service.complete_process_task("t", {}, actor=REP)
    done = SimpleNamespace(**{**task.__dict__, "assignee_id": REP["id"], "state": "completed"})
    monkeypatch.setattr(store, "process_task", lambda db, task_id, for_update=False: done)
    with pytest.raises(Conflict):
        service.complete_process_task("t", {}, actor=REP)
    service.db.commit.assert_not_called()


def test_a_cancel_commits_its_step_before_it_sends_the_calls(service, monkeypatch):
    happened = []
    monkeypatch.setattr(
        steps,
        "cancel_instance",
        lambda db, engine, instance_id, actor, reason: (
            happened.append(("cancel", reason)) or ["key-1"]
        ),
    )
    monkeypatch.setattr(
        calls,
        "dispatch",
        lambda db, engine, outbound, keys: happened.append(
            ("send", keys, sorted(outbound.proxies))
        ),
    )
    monkeypatch.setattr(store, "instance", lambda db, instance_id, **kwargs: {"id": instance_id})
    monkeypatch.setattr(instances, "dump_instance", lambda row: row)
    service.db.commit.side_effect = lambda: happened.append("commit")
    found = service.cancel_process_instance("i1", actor=ADMIN, reason="duplicate")
    assert found == {"id": "i1"}
    assert happened == [
        ("cancel", "duplicate"),
        "commit",
        ("send", ["key-1"], ["feed", "leads", "mail", "orders", "sales"]),
    ]


def bookkeeping(operation: str, params: dict) -> SimpleNamespace:
    return SimpleNamespace(operation=operation, params=params, key="i:t:action")


def test_a_call_to_a_service_that_is_not_installed_fails_its_step():
    outbound = calls.Outbound(action_timeout=1.0, webhooks=None, proxies={"sales": None})
    sent = calls.send_call(
        outbound, bookkeeping("create_record", {"entity": "lead", "data": {}}), {"id": "p"}
    )
    assert sent == (
        False,
        {"type": "Unavailable", "message": "the leads service is not installed", "errors": []},
    )


def test_an_action_that_cannot_be_built_fails_its_step_unsent():
    outbound = calls.Outbound(action_timeout=1.0, webhooks=None, proxies={})
    assert calls.send_call(outbound, bookkeeping("launch_rocket", {}), {}) == (
        False,
        {"type": "ValidationFailed", "message": "unknown action 'launch_rocket'", "errors": []},
    )
