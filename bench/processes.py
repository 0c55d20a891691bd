"""Benchmark: business processes with every service running.

Starts every service and the gateway as processes against a fresh database
(``OSPREY_BENCH_DATABASE_URL``, default ``.../osprey_bench``) and measures:

1. instances started per second through ``POST /process-instances`` with 1 and 4
   clients: each start runs the instance until it waits for a person — a script, a CRM
   action (``read_record``: an RPC to the leads service, its answer a step of its own)
   and a user task whose activity is created in sales — before the answer comes back;
2. instances advanced per second: those user tasks completed through
   ``POST /process-tasks/{id}/complete`` (each completes its instance), 1 and 4 clients;
3. the lateness of ``OSPREY_BENCH_TIMERS`` waiting timers (default 10,000) due over
   ``OSPREY_BENCH_TIMER_WINDOW`` seconds (default 120): one instance waiting on a timer
   is started through the API, then copied with its SpiffWorkflow state into that many
   instances, each timer due at its own time; lateness is the time from a timer's due
   time to the log entry of its firing, p50/p99/max, with
   ``OSPREY_BENCH_PROCESS_REPLICAS`` processes replicas (default 1).

Target for 3: p99 under 2 s (SpiffArena's users report minutes to hours).
Run: ``.venv/bin/python bench/processes.py``; writes ``bench/results/processes.json``.
"""

from __future__ import annotations

import copy
import json
import os
import platform
import sys
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from bench.seed import fresh_database  # noqa: E402
from services.platform.db import create_db_engine  # noqa: E402
from services.platform.registry import SERVICES  # noqa: E402
from tests.support.stack import Stack, service_command  # noqa: E402

DB = os.environ.get(
    "OSPREY_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/osprey_bench"
)
#: ``OSPREY_BENCH_PROCESS_INSTANCES=0`` skips parts 1 and 2 (only the timers).
FLOW_INSTANCES = int(os.environ.get("OSPREY_BENCH_PROCESS_INSTANCES", "200"))
TIMERS = int(os.environ.get("OSPREY_BENCH_TIMERS", "10000"))
TIMER_WINDOW = float(os.environ.get("OSPREY_BENCH_TIMER_WINDOW", "120"))
#: processes replicas (more than one share the timers through FOR UPDATE SKIP LOCKED)
REPLICAS = int(os.environ.get("OSPREY_BENCH_PROCESS_REPLICAS", "1"))

FLOW = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core"
  id="Definitions_bench" targetNamespace="https://osprey.dev/bench">
  <bpmn:process id="bench_flow" name="Bench flow" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Prepare" />
    <bpmn:scriptTask id="Prepare" name="Prepare">
      <bpmn:script>checks = [n * 2 for n in range(10)]</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Prepare" targetRef="Read" />
    <bpmn:serviceTask id="Read" name="Read the lead">
      <bpmn:extensionElements>
        <spiffworkflow:serviceTaskOperator id="read_record" resultVariable="lead">
          <spiffworkflow:parameters>
            <spiffworkflow:parameter id="entity" type="str" value="'lead'" />
            <spiffworkflow:parameter id="id" type="str" value="record['id']" />
          </spiffworkflow:parameters>
        </spiffworkflow:serviceTaskOperator>
      </bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Read" targetRef="Confirm" />
    <bpmn:userTask id="Confirm" name="Confirm">
      <bpmn:extensionElements>
        <spiffworkflow:properties>
          <spiffworkflow:property name="assignee" value="started_by" />
          <spiffworkflow:property name="form" value="ok:boolean" />
        </spiffworkflow:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:sequenceFlow id="Flow_4" sourceRef="Confirm" targetRef="Route" />
    <bpmn:exclusiveGateway id="Route" default="Flow_6" />
    <bpmn:sequenceFlow id="Flow_5" sourceRef="Route" targetRef="Yes">
      <bpmn:conditionExpression>ok and lead['id'] == record['id']</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="Flow_6" sourceRef="Route" targetRef="No" />
    <bpmn:endEvent id="Yes" />
    <bpmn:endEvent id="No" />
  </bpmn:process>
</bpmn:definitions>
"""

TIMER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  id="Definitions_bench_timer" targetNamespace="https://osprey.dev/bench">
  <bpmn:process id="bench_timer" name="Bench timer" isExecutable="true">
    <bpmn:startEvent id="StartEvent_1" />
    <bpmn:sequenceFlow id="Flow_1" sourceRef="StartEvent_1" targetRef="Wait" />
    <bpmn:intermediateCatchEvent id="Wait" name="Wait">
      <bpmn:timerEventDefinition id="TimerDef_wait">
        <bpmn:timeDuration>'PT1H'</bpmn:timeDuration>
      </bpmn:timerEventDefinition>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="Flow_2" sourceRef="Wait" targetRef="Note" />
    <bpmn:scriptTask id="Note" name="Note">
      <bpmn:script>woke_at = now()</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="Flow_3" sourceRef="Note" targetRef="EndEvent_1" />
    <bpmn:endEvent id="EndEvent_1" />
  </bpmn:process>
</bpmn:definitions>
"""


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile, 0 < q <= 1."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def deploy(client: httpx.Client, xml: str) -> str:
    created = client.post(
        "/api/v1/process-definitions", content=xml, headers={"Content-Type": "application/xml"}
    )
    created.raise_for_status()
    definition_id = created.json()["id"]
    client.post(f"/api/v1/process-definitions/{definition_id}/deploy", json={}).raise_for_status()
    return definition_id


def in_threads(clients: int, items: list[Any], work: Any) -> tuple[float, list[float]]:
    """Run ``work(client, item)`` over ``items`` split across ``clients`` threads;
    returns the wall time and each item's latency."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def worker(part: list[Any]) -> None:
        with httpx.Client(base_url=BASE, headers=HEADERS, timeout=60) as client:
            for item in part:
                started = time.perf_counter()
                response = work(client, item)
                elapsed = time.perf_counter() - started
                with lock:
                    latencies.append(elapsed)
                    if response.status_code >= 400:
                        errors.append(f"{response.status_code} {response.text[:200]}")

    parts = [items[n::clients] for n in range(clients)]
    threads = [threading.Thread(target=worker, args=(p,)) for p in parts]
    wall_started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - wall_started
    if errors:
        raise SystemExit(f"{len(errors)} failed requests, first: {errors[0]}")
    return wall, latencies


def flow(client: httpx.Client, definition_id: str, lead_id: str, clients: int) -> dict:
    """Start ``FLOW_INSTANCES`` instances, then complete their user tasks."""
    body = {"definition_id": definition_id, "record_type": "lead", "record_id": lead_id}
    started_ids: list[str] = []
    lock = threading.Lock()

    def start(c: httpx.Client, _n: int) -> httpx.Response:
        response = c.post("/api/v1/process-instances", json=body)
        if response.status_code == 201:
            with lock:
                started_ids.append(response.json()["id"])
        return response

    start_wall, start_lat = in_threads(clients, list(range(FLOW_INSTANCES)), start)
    # the user tasks' activities are made right after the start answered: wait for all
    deadline = time.monotonic() + 120
    tasks: list[dict] = []
    while time.monotonic() < deadline:
        tasks, cursor = [], None
        while True:
            params = {"filter[state]": "open", "filter[record_id]": lead_id, "limit": 500}
            if cursor:
                params["cursor"] = cursor
            page = client.get("/api/v1/process-tasks", params=params).json()
            tasks += page["items"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        mine = {t["instance_id"] for t in tasks}
        if set(started_ids) <= mine:
            break
        time.sleep(0.2)

    def complete(c: httpx.Client, task: dict) -> httpx.Response:
        return c.post(f"/api/v1/process-tasks/{task['id']}/complete", json={"data": {"ok": True}})

    ours = [t for t in tasks if t["instance_id"] in set(started_ids)]
    advance_wall, advance_lat = in_threads(clients, ours, complete)
    return {
        "clients": clients,
        "instances": len(started_ids),
        "started_per_s": round(len(started_ids) / start_wall, 1),
        "start_p50_ms": round(percentile(start_lat, 0.5) * 1000, 1),
        "start_p99_ms": round(percentile(start_lat, 0.99) * 1000, 1),
        "advanced_per_s": round(len(ours) / advance_wall, 1),
        "advance_p50_ms": round(percentile(advance_lat, 0.5) * 1000, 1),
        "advance_p99_ms": round(percentile(advance_lat, 0.99) * 1000, 1),
    }


def timers(client: httpx.Client, engine: sa.Engine, definition_id: str) -> dict:
    """Copy one waiting instance into ``TIMERS`` instances due over ``TIMER_WINDOW``."""
    first = client.post("/api/v1/process-instances", json={"definition_id": definition_id})
    first.raise_for_status()
    with engine.connect() as conn:
        row = (
            conn.execute(
                sa.text("SELECT * FROM processes.instances WHERE id = :i"),
                {"i": first.json()["id"]},
            )
            .mappings()
            .one()
        )
    timer_task = next(
        key for key, t in row["state"]["tasks"].items() if "event_value" in t["internal_data"]
    )
    # The copies are written with no due time (nothing claims them yet) and a timer
    # value already past, then given their due times in one statement: the service
    # wakes an instance by ``next_due_at`` and SpiffWorkflow then finds its timer due.
    past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
    state = copy.deepcopy(row["state"])
    state["tasks"][timer_task]["internal_data"]["event_value"] = past
    ids = [str(uuid.uuid4()) for _ in range(TIMERS)]
    base = {k: row[k] for k in row if k not in ("id", "state", "next_due_at")}
    rows = [{**base, "id": i, "state": state, "next_due_at": None} for i in ids]
    table = sa.Table("instances", sa.MetaData(schema="processes"), autoload_with=engine)
    written_at = time.monotonic()
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE processes.instances SET status = 'cancelled', next_due_at = NULL"
                " WHERE id = :i"
            ),
            {"i": row["id"]},
        )
        for chunk in range(0, len(rows), 1000):
            conn.execute(table.insert(), rows[chunk : chunk + 1000])
    write_seconds = time.monotonic() - written_at
    lead_in = 5.0
    start = datetime.now(UTC) + timedelta(seconds=lead_in)
    dues = [start + timedelta(seconds=TIMER_WINDOW * n / TIMERS) for n in range(TIMERS)]
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE processes.instances i SET next_due_at = d.due"
                " FROM unnest(CAST(:ids AS uuid[]), CAST(:dues AS timestamptz[])) AS d(id, due)"
                " WHERE i.id = d.id"
            ),
            {"ids": ids, "dues": dues},
        )
    deadline = time.monotonic() + lead_in + TIMER_WINDOW + 600
    while time.monotonic() < deadline:
        with engine.connect() as conn:
            left = conn.execute(
                sa.text("SELECT count(*) FROM processes.instances WHERE status = 'waiting'")
            ).scalar()
        if left == 0:
            break
        time.sleep(1)
    with engine.connect() as conn:
        fired = conn.execute(
            sa.text(
                "SELECT l.instance_id, l.at, (l.data->>'due_at')::timestamptz AS due"
                " FROM processes.process_log l WHERE l.kind = 'timer_fired'"
            )
        ).all()
        per_instance = conn.execute(
            sa.text(
                "SELECT max(n) FROM (SELECT count(*) AS n FROM processes.process_log"
                " WHERE kind = 'timer_fired' GROUP BY instance_id) c"
            )
        ).scalar()
        completed = conn.execute(
            sa.text("SELECT count(*) FROM processes.instances WHERE status = 'completed'")
        ).scalar()
    lateness = [(r.at - r.due).total_seconds() for r in fired]
    return {
        "timers": TIMERS,
        "window_s": TIMER_WINDOW,
        "due_per_s": round(TIMERS / TIMER_WINDOW, 1),
        "written_in_s": round(write_seconds, 1),
        "fired": len(fired),
        "completed": completed,
        "most_fired_for_one_instance": per_instance,
        "lateness_p50_s": round(percentile(lateness, 0.5), 3),
        "lateness_p99_s": round(percentile(lateness, 0.99), 3),
        "lateness_max_s": round(max(lateness), 3) if lateness else None,
        "target_p99_s": 2.0,
    }


BASE = ""
HEADERS: dict[str, str] = {}


def main() -> None:
    global BASE, HEADERS
    fresh_database(DB)
    results: dict[str, Any] = {
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}",
        "load_average_at_start": os.getloadavg()[0],
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    services = {info.name: service_command(info.name) for info in SERVICES}
    for n in range(2, REPLICAS + 1):
        services[f"processes-{n}"] = service_command("processes")
    results["processes_replicas"] = REPLICAS
    with Stack(DB, services=services, env={"OSPREY_LOG_LEVEL": "WARNING"}) as stack:
        BASE = stack.base_url
        login = httpx.post(f"{BASE}/api/v1/auth/login", json=stack.admin_credentials, timeout=30)
        login.raise_for_status()
        HEADERS = {"Authorization": f"Bearer {login.json()['token']}"}
        engine = create_db_engine(DB)
        with httpx.Client(base_url=BASE, headers=HEADERS, timeout=60) as client:
            lead = client.post("/api/v1/leads", json={"contact_name": "Bench Lead"})
            lead.raise_for_status()
            if FLOW_INSTANCES:
                flow_id = deploy(client, FLOW)
                results["flow"] = [
                    flow(client, flow_id, lead.json()["id"], clients) for clients in (1, 4)
                ]
                print(json.dumps(results["flow"], indent=2), flush=True)
            if TIMERS:
                results["timers"] = timers(client, engine, deploy(client, TIMER))
        engine.dispose()
    results["load_average_at_end"] = os.getloadavg()[0]
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "processes.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
