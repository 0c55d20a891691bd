"""Processes with every service running as its own process, through the HTTP API:
the shipped Lead management process from a new lead to a deal, and a timer that fires
across a restart of the processes service."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from services.platform.testing import fresh_migrated_database, sibling_database_url
from tests.support.stack import Stack

from .conftest import fixture_xml, wait_for


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(fresh_migrated_database(sibling_database_url("processes_stack"))) as running:
        yield running


@pytest.fixture(scope="module")
def admin(stack: Stack) -> Iterator[httpx.Client]:
    token = httpx.post(
        f"{stack.base_url}/api/v1/auth/login", json=stack.admin_credentials, timeout=15
    ).json()["token"]
    with httpx.Client(
        base_url=stack.base_url, timeout=20, headers={"Authorization": f"Bearer {token}"}
    ) as client:
        yield client


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def test_a_lead_goes_through_the_shipped_process_to_a_deal(stack: Stack, admin: httpx.Client):
    shipped = ok(admin.post("/api/v1/process-definitions/shipped", json={}))["items"]
    assert {d["key"] for d in shipped} == {"lead_management", "opportunity_management"}
    me = ok(admin.get("/api/v1/me"))
    lead = ok(
        admin.post(
            "/api/v1/leads",
            json={"contact_name": "Ilya Orlov", "email": "ilya@orlov.example", "need_type": "ERP"},
        ),
        201,
    )

    def task() -> Any:
        page = ok(admin.get("/api/v1/process-tasks", params={"filter[record_id]": lead["id"]}))
        return next((t for t in page["items"] if t["activity_id"]), None)

    qualify = wait_for(task, timeout=60, what="the qualification task and its activity")
    assert qualify["assignee_id"] == me["id"] and qualify["state"] == "open"
    mine = ok(admin.get("/api/v1/me/activities"))["items"]
    assert qualify["activity_id"] in {a["id"] for a in mine}

    ok(
        admin.post(
            f"/api/v1/activities/{qualify['activity_id']}/complete", json={"result": "A real need"}
        )
    )

    def ended() -> Any:
        page = ok(admin.get("/api/v1/process-instances", params={"filter[record_id]": lead["id"]}))
        return next((i for i in page["items"] if i["state"] in ("completed", "failed")), None)

    instance = wait_for(ended, timeout=90, what="the lead process to end")
    assert instance["state"] == "completed", instance["error"]
    after = ok(admin.get(f"/api/v1/leads/{lead['id']}"))
    assert after["opportunity_id"], after
    deal = ok(admin.get(f"/api/v1/opportunities/{after['opportunity_id']}"))
    assert deal["lead_id"] == lead["id"]
    detail = ok(admin.get(f"/api/v1/process-instances/{instance['id']}"))
    assert [e["kind"] for e in detail["log"]][0] == "started"
    assert any(e["kind"] == "task_completed" and e["actor_id"] == me["id"] for e in detail["log"])

    # the new deal started the Opportunity management process, its first task an activity
    def deal_task() -> Any:
        page = ok(admin.get("/api/v1/process-tasks", params={"filter[record_id]": deal["id"]}))
        return next((t for t in page["items"] if t["activity_id"]), None)

    proposal = wait_for(deal_task, timeout=60, what="the deal's proposal task")
    assert proposal["name"] == "Prepare and send a proposal"


def test_a_timer_fires_after_the_service_restarts(stack: Stack, admin: httpx.Client):
    created = admin.post(
        "/api/v1/process-definitions",
        content=fixture_xml("timer_then_post.bpmn"),
        headers={"Content-Type": "application/xml"},
    )
    definition = ok(created, 201)
    ok(admin.post(f"/api/v1/process-definitions/{definition['id']}/deploy", json={}))
    started = ok(
        admin.post(
            "/api/v1/process-instances",
            json={"definition_id": definition["id"], "data": {"delay": "PT6S"}},
        ),
        201,
    )
    assert started["state"] == "waiting" and started["next_due_at"]
    # The service is killed (no clean stop) while the timer waits, and comes back.
    stack.processes["processes"].kill()
    time.sleep(0.5)
    stack.processes["processes"].start()
    stack.wait_ready()

    def done() -> Any:
        found = ok(admin.get(f"/api/v1/process-instances/{started['id']}"))
        return found if found["state"] == "completed" else None

    finished = wait_for(done, timeout=60, what="the timer to fire after the restart")
    kinds = [e["kind"] for e in finished["log"]]
    assert kinds.count("timer_fired") == 1, kinds
    assert finished["next_due_at"] is None
