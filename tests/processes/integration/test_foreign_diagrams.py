"""The engine over diagrams nobody in Osprey wrote (SpiffWorkflow's own tests, the
bpmn-js examples): each is refused with a reason, or runs to its end, or stops at a
failed step, or waits — never a crash — and the outcome of each is the recorded one."""

from __future__ import annotations

import json

import pytest

from services.processes.definition_parsing import DefinitionRefused, parse_bpmn

from .foreign import FOREIGN, survey


@pytest.fixture(scope="module")
def outcomes() -> dict[str, tuple[str, str]]:
    return survey()


def test_every_foreign_diagram_has_its_recorded_outcome(outcomes):
    expected = json.loads((FOREIGN / "expected.json").read_text())
    assert set(outcomes) == set(expected)
    changed = {
        name: (expected[name], got) for name, got in outcomes.items() if got[0] != expected[name]
    }
    assert not changed, changed
    kinds = [kind for kind, _ in outcomes.values()]
    # a fair share parse and run: not an engine that only refuses
    assert kinds.count("completed") >= 20 and kinds.count("refused") <= len(kinds) // 2


def test_a_refusal_always_says_why(outcomes):
    for name, (kind, detail) in outcomes.items():
        if kind in ("refused", "failed"):
            assert detail.strip(), name


def test_a_refused_script_names_its_element_and_line():
    with pytest.raises(DefinitionRefused) as refused:
        parse_bpmn((FOREIGN / "spiffworkflow" / "bpmn__ScriptTest.bpmn").read_bytes())
    assert refused.value.element == "bpmn:scriptTask"
    assert refused.value.element_id and refused.value.line and refused.value.line > 1
    assert "defining functions is not allowed" in refused.value.message


def test_known_shapes_run(outcomes):
    # parallel and exclusive gateways, boundary events, event subprocesses, nested
    # parallel tokens: SpiffWorkflow's own examples go through our sandbox to the end
    for name in (
        "spiffworkflow/bpmn__Approvals.bpmn",
        "spiffworkflow/bpmn__ParallelOrder.bpmn",
        "spiffworkflow/bpmn__boundary_event_split.bpmn",
        "spiffworkflow/bpmn__event-subprocess.bpmn",
        "spiffworkflow/camunda__token_trial_nested_parallel.bpmn",
        "bpmn-io/embedding_src_diagrams_first.bpmn",
    ):
        assert outcomes[name][0] == "completed", (name, outcomes[name])
    assert outcomes["spiffworkflow/bpmn__timer.bpmn"] == ("waits", "timer")
