"""The processes service's event gate (services/processes/gate.py): a record's created
event reaches the service only while a deployed start is bound to it — bound before the
deployment commits, unbound once no deployed start names it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .conftest import ADMIN, DIAGRAMS, call


def bound(rabbit_manager: Any, vhost: str) -> set[str]:
    """The events the gated (created-event) handlers' queues are bound to."""
    out = set()
    for queue in rabbit_manager.get_queues(vhost):
        name = queue["name"]
        if "--processes.handle_" in name and name.endswith("_created"):
            for binding in rabbit_manager.get_queue_bindings(vhost, name):
                if binding["source"]:  # not the default exchange's
                    out.add(binding["routing_key"])
    return out


def test_a_created_event_is_bound_only_while_a_deployed_start_names_it(
    processes, rabbit_config, rabbit_manager, db_engine
):
    vhost = rabbit_config["vhost"]
    # started: nameko bound every handler; the gate's refresh unbinds what no start names
    assert bound(rabbit_manager, vhost) == {
        "lead_created", "account_created", "contact_created", "opportunity_created"
    }  # fmt: skip
    call(processes, "refresh_event_gate")
    assert bound(rabbit_manager, vhost) == set()

    lead_xml = (DIAGRAMS / "lead_management.bpmn").read_text(encoding="utf-8")
    lead = call(processes, "create_process_definition", lead_xml, actor=ADMIN)
    assert bound(rabbit_manager, vhost) == set()  # saved, not deployed
    call(processes, "deploy_process_definition", lead["id"], actor=ADMIN)
    assert bound(rabbit_manager, vhost) == {"lead_created"}

    deal_xml = (DIAGRAMS / "opportunity_management.bpmn").read_text(encoding="utf-8")
    deal = call(processes, "create_process_definition", deal_xml, actor=ADMIN)
    call(processes, "deploy_process_definition", deal["id"], actor=ADMIN)
    call(processes, "refresh_event_gate")
    assert bound(rabbit_manager, vhost) == {"lead_created", "opportunity_created"}

    # the lead process's start gone (as when a version without it is deployed)
    with db_engine.begin() as conn:
        conn.execute(
            sa.text("DELETE FROM processes.start_triggers WHERE definition_id = :id"),
            {"id": lead["id"]},
        )
    call(processes, "refresh_event_gate")
    assert bound(rabbit_manager, vhost) == {"opportunity_created"}
