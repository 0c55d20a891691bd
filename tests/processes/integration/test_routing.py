"""Inclusive gateways, a call activity and an embedded subprocess run through the
service (issue 17, point 4), on a diagram of this project."""

from __future__ import annotations

import pytest

from .conftest import ADMIN, REP, call, fixture_xml


@pytest.fixture
def route_and_call(processes) -> str:
    definition = call(
        processes, "create_process_definition", fixture_xml("route_and_call.bpmn"), actor=ADMIN
    )
    call(processes, "deploy_process_definition", definition["id"], actor=ADMIN)
    return definition["id"]


def run(processes, definition_id: str, data: dict) -> dict:
    started = call(
        processes,
        "start_process_instance",
        {"definition_id": definition_id, "data": data},
        actor=REP,
    )
    return call(processes, "get_process_instance", started["id"], actor=REP)


def checks(instance: dict) -> set[str]:
    data = instance["data"]
    return {name for name in ("budget_checked", "export_checked", "unchecked") if data.get(name)}


@pytest.mark.parametrize(
    ("budget", "country", "expected", "offer"),
    [
        (20000, "FR", {"budget_checked", "export_checked"}, 18000),  # both branches, joined
        (20000, "DE", {"budget_checked"}, 18000),
        (5049, "FR", {"export_checked"}, 5000),
        (5051, "DE", {"unchecked"}, 5100),  # neither: the default flow
    ],
)
def test_an_inclusive_gateway_takes_every_true_branch_then_calls_and_rounds(
    processes, route_and_call, budget, country, expected, offer
):
    instance = run(processes, route_and_call, {"budget": budget, "country": country})
    assert instance["state"] == "completed", instance.get("error")
    assert checks(instance) == expected
    # the called process priced it (its variables come back), the subprocess rounded it
    assert instance["data"]["offer"] == offer
    assert instance["data"]["price"] == (budget * 0.9 if budget > 10000 else budget)
