"""A start on a timer date, a start on a cycle (across a restart of the service), a
webhook action with its idempotency key, and moving a running instance to a new
version when its tasks match."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from services.platform.errors import ValidationFailed

from .conftest import ADMIN, REP, call, fixture_xml, rows, wait_for

START_ON_DATE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="t">
  <bpmn:process id="on_a_date" name="On a date" isExecutable="true">
    <bpmn:startEvent id="When">
      <bpmn:timerEventDefinition id="T">
        <bpmn:timeDate>'{when}'</bpmn:timeDate>
      </bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="When" targetRef="Hook" />
    <bpmn:serviceTask id="Hook" name="Tell the partner">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="call_webhook" resultVariable="answer">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="url" type="str" value="'{url}'" />
            <spiffworkflow:parameter id="body" type="dict" value="{{'hello': 'partner'}}" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="F2" sourceRef="Hook" targetRef="Done" />
    <bpmn:endEvent id="Done" />
  </bpmn:process>
</bpmn:definitions>
"""


@pytest.fixture
def partner():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"key": self.headers.get("Idempotency-Key"), "body": json.loads(body)})
            payload = b'{"ok": true}'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


def test_a_timer_date_starts_the_process_and_a_webhook_carries_its_key(processes, partner):
    url, received = partner
    when = (datetime.now(UTC) + timedelta(seconds=2)).isoformat()
    xml = START_ON_DATE.format(when=when, url=url)
    definition = call(processes, "create_process_definition", xml, actor=ADMIN)
    call(processes, "deploy_process_definition", definition["id"], actor=ADMIN)
    (waiting,) = call(
        processes,
        "list_process_instances",
        {"filter": {"definition_id": [definition["id"]]}},
        actor=ADMIN,
    )["items"]
    assert waiting["state"] == "waiting" and waiting["next_due_at"]

    def done() -> dict | None:
        found = call(processes, "get_process_instance", waiting["id"], actor=ADMIN)
        return found if found["state"] in ("completed", "failed") else None

    finished = wait_for(done, timeout=30, what="the dated start and its webhook")
    assert finished["state"] == "completed", finished["error"]
    assert finished["data"]["answer"] == {"status": 200, "body": {"ok": True}}
    (hit,) = received
    assert hit["body"] == {"hello": "partner"}
    assert hit["key"] == finished["calls"][0]["key"] and hit["key"].startswith(waiting["id"])


def test_an_instance_moves_to_a_version_whose_tasks_match(processes):
    timer = fixture_xml("timer_then_post.bpmn")
    definition = call(processes, "create_process_definition", timer, actor=ADMIN)
    call(processes, "deploy_process_definition", definition["id"], actor=ADMIN)
    started = call(
        processes,
        "start_process_instance",
        {"definition_id": definition["id"], "data": {"delay": "PT1H"}},
        actor=REP,
    )
    # version 2 changes the script after the timer: the waiting timer is the same
    call(
        processes,
        "save_process_definition_version",
        definition["id"],
        timer.replace("woke_at = now()", "woke_at = now()\nmoved = True"),
        actor=ADMIN,
    )
    moved = call(processes, "migrate_process_instance", started["id"], 2, actor=ADMIN)
    assert moved["version"] == 2 and moved["state"] == "waiting"
    assert moved["next_due_at"] == started["next_due_at"]
    # version 3 has no "Wait" element: the instance cannot move there
    renamed = (
        timer.replace('id="Wait"', 'id="Pause"')
        .replace('targetRef="Wait"', 'targetRef="Pause"')
        .replace('sourceRef="Wait"', 'sourceRef="Pause"')
    )
    call(processes, "save_process_definition_version", definition["id"], renamed, actor=ADMIN)
    with pytest.raises(ValidationFailed) as refused:
        call(processes, "migrate_process_instance", started["id"], 3, actor=ADMIN)
    assert "Wait" in refused.value.message
    assert call(processes, "get_process_instance", started["id"], actor=ADMIN)["version"] == 2
    kinds = [
        e["kind"]
        for e in call(processes, "get_process_instance", started["id"], actor=ADMIN)["log"]
    ]
    assert kinds.count("migrated") == 1


START_ON_A_CYCLE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="D" targetNamespace="t">
  <bpmn:process id="on_a_cycle" name="On a cycle" isExecutable="true">
    <bpmn:startEvent id="Tick">
      <bpmn:timerEventDefinition id="T">
        <bpmn:timeCycle>'R3/PT2S'</bpmn:timeCycle>
      </bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="F1" sourceRef="Tick" targetRef="Hook" />
    <bpmn:serviceTask id="Hook" name="Tell the partner">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="call_webhook" resultVariable="answer">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="url" type="str" value="'{url}'" />
            <spiffworkflow:parameter id="body" type="dict" value="{{'tick': str(now())}}" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="F2" sourceRef="Hook" targetRef="Done" />
    <bpmn:endEvent id="Done" />
  </bpmn:process>
</bpmn:definitions>
"""


def test_a_cycle_start_runs_on_each_cycle_until_its_count_across_a_restart(
    container_factory, config, partner, db_engine
):
    """``R3/PT2S``: deploying starts one instance that runs its path every two seconds,
    three times, then completes. The service stops after the first run and starts
    again only once the second was due: the late cycle runs when it comes back, and no
    run is lost or made twice."""
    from services.processes.service import ProcessesService

    url, received = partner
    first = container_factory(ProcessesService, config)
    first.start()
    definition = call(
        first, "create_process_definition", START_ON_A_CYCLE.format(url=url), actor=ADMIN
    )
    call(first, "deploy_process_definition", definition["id"], actor=ADMIN)
    (waiting,) = call(
        first,
        "list_process_instances",
        {"filter": {"definition_id": [definition["id"]]}},
        actor=ADMIN,
    )["items"]
    assert waiting["state"] == "waiting" and waiting["next_due_at"]

    def instance() -> dict:
        (row,) = rows(
            db_engine,
            "SELECT status, next_due_at FROM processes.instances WHERE definition_id = :d",
            d=definition["id"],
        )
        return row

    wait_for(lambda: len(received) == 1, timeout=30, what="the first cycle")
    # the first run's call is answered and its instance waits for the next cycle
    wait_for(
        lambda: instance().status == "waiting" and instance().next_due_at,
        what="the instance to wait for its second cycle",
    )
    first.stop()
    due = instance().next_due_at
    wait_for(lambda: datetime.now(UTC) > due + timedelta(seconds=1), what="the second cycle")
    assert len(received) == 1  # nobody ran it while the service was down

    second = container_factory(ProcessesService, config)
    second.start()

    def finished() -> dict | None:
        found = call(second, "get_process_instance", waiting["id"], actor=ADMIN)
        return found if found["state"] in ("completed", "failed") else None

    done = wait_for(finished, timeout=60, what="the three cycles")
    assert done["state"] == "completed", done["error"]
    keys = [hit["key"] for hit in received]
    assert len(keys) == 3 and len(set(keys)) == 3, keys
    assert all(k.startswith(waiting["id"]) for k in keys)
    assert sorted(keys) == sorted(c["key"] for c in done["calls"])
    kinds = [e["kind"] for e in done["log"]]
    assert kinds.count("timer_fired") == 3 and kinds.count("action_done") == 3
    assert instances_of(second, definition["id"]) == 1


def instances_of(processes, definition_id: str) -> int:
    return len(
        call(
            processes,
            "list_process_instances",
            {"filter": {"definition_id": [definition_id]}},
            actor=ADMIN,
        )["items"]
    )
