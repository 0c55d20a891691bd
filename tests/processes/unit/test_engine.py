"""The engine adapter on the shipped diagrams, without a database: where an instance
stands, what it asks for, and that its saved state comes back whole."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from services.processes.definition_parsing import DefinitionRefused, parse_bpmn
from services.processes.engine import Engine

DIAGRAMS = Path(__file__).resolve().parents[3] / "services" / "processes" / "diagrams"


@pytest.fixture(scope="module")
def lead_spec() -> str:
    return parse_bpmn((DIAGRAMS / "lead_management.bpmn").read_bytes()).spec


def shuffled(state: dict) -> dict:
    """The state with its tasks in another order, as PostgreSQL's JSONB may give it back."""
    items = list(state["tasks"].items())
    random.Random(7).shuffle(items)
    return {**json.loads(json.dumps(state)), "tasks": dict(items)}


def test_the_shipped_diagrams_parse_with_their_starts():
    lead = parse_bpmn((DIAGRAMS / "lead_management.bpmn").read_bytes())
    deal = parse_bpmn((DIAGRAMS / "opportunity_management.bpmn").read_bytes())
    assert [(t["kind"], t["name"]) for t in lead.triggers] == [("signal", "lead_created")]
    assert [(t["kind"], t["name"]) for t in deal.triggers] == [("signal", "opportunity_created")]
    assert {t["name"] for t in lead.summary["user_tasks"]} == {"Qualify the lead"}


def test_a_lead_waits_for_its_qualification_with_an_escalation_timer(lead_spec):
    engine = Engine()
    record = {"id": "L1", "stage": "qualification", "owner_id": "U1", "contact_id": None}
    workflow = engine.new_workflow(lead_spec, {"record": record})
    assert engine.run(workflow) is None
    assert engine.snapshot(workflow).waiting_for == ["signal:lead_created"]
    engine.send_signal(workflow, "lead_created", {"record": record})
    assert engine.run(workflow) is None
    snapshot = engine.snapshot(workflow)
    assert snapshot.status == "waiting" and snapshot.next_due_at is not None
    (task,) = snapshot.user_tasks
    assert (
        task["name"] == "Qualify the lead"
        and task["properties"]["assignee"] == "record.get('owner_id')"
    )

    # saved, shuffled (JSONB), loaded: the task's data is whole
    loaded = engine.load(lead_spec, shuffled(engine.dump(workflow)))
    (again,) = engine.snapshot(loaded).user_tasks
    assert again["task_id"] == task["task_id"] and again["data"]["qualified"] is True

    engine.complete_task(loaded, task["task_id"], {"qualified": False, "reason": "no_budget"})
    assert engine.run(loaded) is None
    (call,) = engine.snapshot(loaded).calls
    assert call["operation"] == "disqualify_lead" and call["params"] == {
        "lead_id": "L1",
        "reason": "no_budget",
    }
    assert engine.snapshot(loaded).status == "running"
    engine.complete_task(loaded, call["task_id"], {"result": {"id": "L1", "stage": "disqualified"}})
    assert engine.run(loaded) is None
    done = engine.snapshot(loaded)
    assert done.status == "completed" and done.data["lead"]["stage"] == "disqualified"


def test_a_failing_condition_fails_its_gateway_with_the_reason(lead_spec):
    engine = Engine()
    workflow = engine.new_workflow(lead_spec, {"record": {"id": "L1"}})
    engine.run(workflow)
    engine.send_signal(workflow, "lead_created", {})
    engine.run(workflow)
    (task,) = engine.snapshot(workflow).user_tasks
    workflow.get_task_from_id(__import__("uuid").UUID(task["task_id"])).data.pop("qualified")
    engine.complete_task(workflow, task["task_id"], {})
    failure = engine.run(workflow)
    assert failure is not None and failure.element_id == "Gateway_qualified"
    assert "qualified" in failure.message
    assert engine.snapshot(workflow, failure).status == "failed"


def test_a_document_type_declaration_is_refused():
    xml = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e "boom">]><x>&e;</x>'
    with pytest.raises(DefinitionRefused):
        parse_bpmn(xml)
