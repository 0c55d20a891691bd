"""Bulk actions through the API: each selected record is done as the caller through the
record's own change, so rights and versions still hold per record (done / refused with
the reason); a larger selection or all the records a filter matches is a job with its
progress, kept by the imports service: it outlives a gateway restart, any gateway
answers it, and a restarted imports service finishes it doing each record once; bad
input is a problem."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from services.platform.db import create_db_engine
from tests.support.stack import Stack

from .conftest import Login
from .test_leads_api import World, create_lead, problem, word


def bulk(client: httpx.Client, status: int = 200, **body: Any) -> dict[str, Any]:
    response = client.post("/api/v1/bulk-actions", json=body)
    assert response.status_code == status, response.text
    return response.json()


def outcomes(answer: dict[str, Any]) -> dict[str, tuple[str, int | None]]:
    return {r["id"]: (r["outcome"], r["status"]) for r in answer["results"]}


def test_assign_change_post_and_delete_each_record_checked(world: World, login: Login) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    stranger = login(world.rep_b1.email, world.rep_b1.password)
    company = word(9)
    mine = [create_lead(rep, contact_name=f"Bulk {i}", account_name=company) for i in range(3)]
    theirs = create_lead(stranger, contact_name="Not yours", account_name=company)
    ids = [lead["id"] for lead in mine] + [theirs["id"]]
    # the first lead changed meanwhile: the version the caller saw is stale
    changed = rep.patch(f"/api/v1/leads/{mine[0]['id']}", json={"notes": "meanwhile"})
    assert changed.status_code == 200, changed.text
    versions = {lead["id"]: lead["version"] for lead in mine}

    answer = bulk(rep, entity="leads", action="assign", ids=ids, versions=versions,
                  owner_id=world.rep_a2.id)  # fmt: skip
    assert answer["state"] == "done" and answer["total"] == 4
    assert (answer["done"], answer["refused"]) == (2, 2)
    got = outcomes(answer)
    assert got[mine[0]["id"]] == ("refused", 409)
    assert got[theirs["id"]] == ("refused", 404)
    assert got[mine[1]["id"]] == got[mine[2]["id"]] == ("done", None)
    assert rep.get(f"/api/v1/leads/{mine[1]['id']}").json()["owner_id"] == world.rep_a2.id

    answer = bulk(rep, entity="leads", action="update", ids=[mine[0]["id"]],
                  changes={"notes": "called twice"})  # fmt: skip
    assert answer["done"] == 1
    assert rep.get(f"/api/v1/leads/{mine[0]['id']}").json()["notes"] == "called twice"

    answer = bulk(rep, entity="leads", action="post", ids=[mine[0]["id"], theirs["id"]],
                  text="Spoke to all of them at the fair")  # fmt: skip
    assert outcomes(answer) == {mine[0]["id"]: ("done", None), theirs["id"]: ("refused", 404)}
    posts = rep.get(
        "/api/v1/posts",
        params={"filter[related_type]": "lead", "filter[related_id]": mine[0]["id"]},
    ).json()["items"]
    assert [p["text"] for p in posts] == ["Spoke to all of them at the fair"]

    answer = bulk(stranger, entity="leads", action="delete", ids=[mine[0]["id"], theirs["id"]])
    assert outcomes(answer) == {mine[0]["id"]: ("refused", 404), theirs["id"]: ("done", None)}
    assert stranger.get(f"/api/v1/leads/{theirs['id']}").status_code == 404


def test_all_matching_the_filter_is_a_job_with_progress(world: World, login: Login) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    other = login(world.rep_a2.email, world.rep_a2.password)
    company = word(9)
    made = {create_lead(rep, contact_name=f"Job {i}", account_name=company)["id"] for i in range(3)}
    create_lead(rep, contact_name="Another company", account_name=word(9))

    counted = bulk(rep, entity="leads", action="update", all_matching=True, q=company,
                   changes={"notes": "from the fair"}, dry_run=True)  # fmt: skip
    assert (counted["state"], counted["total"], counted["done"]) == ("counted", 3, 0)
    # the confirmation counts before the words of a post are typed (an id given twice once)
    some = sorted(made)
    counted = bulk(rep, entity="leads", action="post", ids=[*some, some[0].upper()],
                   dry_run=True)  # fmt: skip
    assert (counted["id"], counted["state"], counted["total"]) == (None, "counted", 3)

    response = rep.post(
        "/api/v1/bulk-actions",
        json={"entity": "leads", "action": "update", "all_matching": True, "q": company,
              "changes": {"notes": "from the fair"}},
    )  # fmt: skip
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["location"] == f"/api/v1/bulk-actions/{job['id']}"
    deadline = time.monotonic() + 20
    while job["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        job = rep.get(response.headers["location"]).json()
    assert (job["state"], job["total"], job["done"], job["refused"]) == ("done", 3, 3, 0)
    assert {r["id"] for r in job["results"]} == made
    for lead_id in made:
        assert rep.get(f"/api/v1/leads/{lead_id}").json()["notes"] == "from the fair"
    # only its maker sees the job
    problem(other.get(response.headers["location"]), 404)


def test_bad_input_is_a_problem(world: World, login: Login) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    some = "00000000-0000-7000-8000-00000000abcd"
    problem(rep.post("/api/v1/bulk-actions", json={"entity": "leads", "action": "assign",
                                                    "ids": [some]}), 422)  # fmt: skip
    problem(rep.post("/api/v1/bulk-actions", json={"entity": "leads", "action": "delete",
                                                    "ids": ["not-an-id"]}), 422)  # fmt: skip
    problem(rep.post("/api/v1/bulk-actions", json={"entity": "orders", "action": "delete",
                                                    "ids": [some]}), 422)  # fmt: skip
    problem(rep.post("/api/v1/bulk-actions", json={"entity": "leads", "action": "delete"}), 422)
    body = problem(
        rep.post(
            "/api/v1/bulk-actions",
            json={
                "entity": "leads",
                "action": "update",
                "ids": [some],
                "changes": {"score": "high"},
            },
        ),
        422,
    )
    assert [e["field"] for e in body["errors"]] == ["changes.score"]
    problem(
        rep.post(
            "/api/v1/bulk-actions",
            content=b"entity=leads",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        415,
    )
    problem(rep.get(f"/api/v1/bulk-actions/{some}"), 404)


def follow(client: httpx.Client, location: str, timeout: float = 60) -> dict[str, Any]:
    """The job once it has ended (polled with a deadline)."""
    deadline = time.monotonic() + timeout
    job = client.get(location).json()
    while job["state"] == "running" and time.monotonic() < deadline:
        time.sleep(0.2)
        response = client.get(location)
        assert response.status_code == 200, response.text
        job = response.json()
    return job


def test_a_job_outlives_a_gateway_restart_and_any_gateway_answers_it(
    stack: Stack, world: World, login: Login
) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    other = login(world.rep_a2.email, world.rep_a2.password)
    company = word(9)
    leads = [create_lead(rep, contact_name=f"Restart {i}", account_name=company)
             for i in range(25)]  # fmt: skip
    response = rep.post(
        "/api/v1/bulk-actions",
        json={"entity": "leads", "action": "update", "ids": [lead["id"] for lead in leads],
              "versions": {lead["id"]: lead["version"] for lead in leads},
              "changes": {"notes": "after the restart"}},
    )  # fmt: skip
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    assert response.json()["total"] == 25

    stack.restart("gateway")
    second = stack.add_gateway("gateway-bulk")
    try:
        headers = {"Authorization": rep.headers["Authorization"]}
        with httpx.Client(base_url=second, timeout=15, headers=headers) as elsewhere:
            job = follow(elsewhere, location)
            assert (job["state"], job["total"], job["done"], job["refused"]) == ("done", 25, 25, 0)
            assert [r["id"] for r in job["results"]] == [lead["id"] for lead in leads]
            # the restarted gateway answers the same job
            assert rep.get(location).json() == job
            # and only to its maker, on either gateway
            problem(other.get(location), 404)
            stranger = {"Authorization": other.headers["Authorization"]}
            problem(httpx.get(second + location, headers=stranger, timeout=15), 404)
    finally:
        stack.processes.pop("gateway-bulk").stop()
    for lead in leads:
        now = rep.get(f"/api/v1/leads/{lead['id']}").json()
        assert (now["notes"], now["version"]) == ("after the restart", lead["version"] + 1)


@pytest.mark.timeout(240)  # a restart of a service and 1,520 records on a shared machine
def test_an_imports_restart_mid_job_finishes_it_doing_each_record_once(
    stack: Stack, world: World, login: Login
) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    company = word(9)
    first = [create_lead(rep, contact_name=f"Early {i}", account_name=company) for i in range(10)]
    last = [create_lead(rep, contact_name=f"Late {i}", account_name=company) for i in range(10)]
    # records that do not exist make the job long enough to be stopped in its middle:
    # each is asked of the leads service and refused (404)
    missing = [str(uuid.uuid4()) for _ in range(1500)]
    ids = [lead["id"] for lead in first] + missing + [lead["id"] for lead in last]
    response = rep.post(
        "/api/v1/bulk-actions",
        json={"entity": "leads", "action": "update", "ids": ids,
              "versions": {lead["id"]: lead["version"] for lead in first + last},
              "changes": {"notes": "done once"}},
    )  # fmt: skip
    assert response.status_code == 202, response.text
    location = response.headers["location"]
    job_id = response.json()["id"]

    def handled() -> int:
        job = rep.get(location).json()
        return job["done"] + job["refused"]

    deadline = time.monotonic() + 30
    while handled() == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    stack.terminate("imports")  # SIGTERM: the runner ends its slice, the job stays
    engine = create_db_engine(stack.database_url)
    try:
        with engine.connect() as conn:
            status, left = conn.execute(
                sa.text(
                    "SELECT status, (SELECT count(*) FROM imports.bulk_records r "
                    "WHERE r.job_id = j.id AND r.outcome IS NULL) "
                    "FROM imports.bulk_actions j WHERE j.id = :id"
                ),
                {"id": job_id},
            ).one()
    finally:
        engine.dispose()
    assert status == "running" and 0 < left < len(ids), (status, left)
    stack.processes["imports"].start()
    stack.wait_ready()

    job = follow(rep, location, timeout=180)
    assert (job["state"], job["total"], job["done"], job["refused"]) == (
        "done", len(ids), 20, len(missing),
    )  # fmt: skip
    assert [r["id"] for r in job["results"]] == ids  # each once, in the selection's order
    got = outcomes(job)
    assert {got[i] for i in missing} == {("refused", 404)}
    for lead in first + last:
        # done again, the version the caller saw would have been refused as stale
        assert got[lead["id"]] == ("done", None)
        now = rep.get(f"/api/v1/leads/{lead['id']}").json()
        assert (now["notes"], now["version"]) == ("done once", lead["version"] + 1)


def test_a_post_job_posts_once_on_each_record_s_feed(world: World, login: Login) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    company = word(9)
    leads = [create_lead(rep, contact_name=f"Feed {i}", account_name=company) for i in range(21)]
    response = rep.post(
        "/api/v1/bulk-actions",
        json={"entity": "leads", "action": "post", "ids": [lead["id"] for lead in leads],
              "text": "Met them all at the fair"},
    )  # fmt: skip
    assert response.status_code == 202, response.text
    job = follow(rep, response.headers["location"])
    assert (job["state"], job["done"], job["refused"]) == ("done", 21, 0)
    for lead in leads:
        posts = rep.get(
            "/api/v1/posts",
            params={"filter[related_type]": "lead", "filter[related_id]": lead["id"]},
        ).json()["items"]
        assert [p["text"] for p in posts] == ["Met them all at the fair"]
