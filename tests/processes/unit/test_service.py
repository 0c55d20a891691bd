"""The entrypoints under Nameko's worker_factory: each checks its caller and its input
before it touches the database, and commits only after its change."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from nameko.testing.services import worker_factory

from services.platform.errors import Conflict, PermissionDenied, ValidationFailed
from services.processes import store
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
