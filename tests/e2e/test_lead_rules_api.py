"""Distribution and scoring rules through the public API, every service its own process.

The stack lives for the whole session and keeps its data between tests, so each
test gives its rules conditions nobody else's leads meet (a fresh word) and removes
its scoring rules when done.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from .conftest import Login
from .test_leads_api import World, create_lead, fields, problem, word

pytestmark = pytest.mark.e2e


def manager_of(world: World, team_id: str, login: Login) -> tuple[str, httpx.Client]:
    roles = world.admin.get("/api/v1/roles").json()["items"]
    role = next(r["id"] for r in roles if r["name"] == "sales_manager")
    email, password = f"{word()}@osprey.test", word(16)
    response = world.admin.post(
        "/api/v1/users",
        json={
            "email": email,
            "full_name": f"Manager {word(6).title()}",
            "password": password,
            "role_ids": [role],
            "team_id": team_id,
        },
    )
    assert response.status_code == 201, response.text
    return response.json()["id"], login(email, password)


@pytest.fixture
def scoring_rules(admin: httpx.Client) -> Iterator[list[str]]:
    """The ids of the scoring rules a test makes; deleted afterwards."""
    made: list[str] = []
    yield made
    for rule_id in made:
        admin.delete(f"/api/v1/scoring-rules/{rule_id}")


def test_distribution_rules_and_assigning_leads(world: World, login: Login) -> None:
    manager_id, manager = manager_of(world, world.team_a, login)
    rep = login(world.rep_a1.email, world.rep_a1.password)
    need = word()
    body = {
        "name": f"Round robin {need}",
        "need_type": need,
        "team_id": world.team_a,
        "strategy": "round_robin",
        "owner_ids": [world.rep_a1.id, world.rep_a2.id],
    }
    problem(rep.post("/api/v1/distribution-rules", json=body), 403)
    response = manager.post("/api/v1/distribution-rules", json=body)
    assert response.status_code == 201, response.text
    made = response.json()
    assert response.headers["location"] == f"/api/v1/distribution-rules/{made['id']}"
    assert response.headers["etag"] == '"1"' and made["last_index"] == -1
    listed = rep.get("/api/v1/distribution-rules").json()
    assert made["id"] in [r["id"] for r in listed["items"]] and listed["next_cursor"] is None
    taken = problem(
        manager.post("/api/v1/distribution-rules", json={**body, "position": made["position"]}),
        409,
    )
    assert fields(taken) == {"position"}
    bad = problem(
        manager.post(
            "/api/v1/distribution-rules",
            json={"name": "x", "strategy": "least_open", "owner_ids": ["ann"]},
        ),
        422,
    )
    assert fields(bad) == {"owner_ids"}

    # by the rules: the reps in turn; the lead in distribution moves to handoff
    first = create_lead(rep, contact_name="Queue One", need_type=need, owner_id=None)
    moved = manager.patch(f"/api/v1/leads/{first['id']}", json={"stage": "distribution"})
    assert moved.status_code == 200, moved.text
    stale = problem(
        rep.post(f"/api/v1/leads/{first['id']}/assign", json={}, headers={"If-Match": '"1"'}),
        409,
    )
    assert fields(stale) == {"version"}
    response = rep.post(f"/api/v1/leads/{first['id']}/assign", json={}, headers={"If-Match": '"2"'})
    assert response.status_code == 200, response.text
    assigned = response.json()
    assert assigned["owner_id"] == world.rep_a1.id and assigned["stage"] == "handoff"
    assert response.headers["etag"] == '"3"'
    second = create_lead(rep, contact_name="Queue Two", need_type=need, owner_id=None)
    response = rep.post(f"/api/v1/leads/{second['id']}/assign")  # no body: by the rules
    assert response.status_code == 200, response.text
    assert response.json()["owner_id"] == world.rep_a2.id

    # by hand: the manager hands the first lead to the second rep; the log shows both
    response = manager.post(
        f"/api/v1/leads/{first['id']}/assign", json={"owner_id": world.rep_a2.id}
    )
    assert response.status_code == 200, response.text
    log = rep.get(f"/api/v1/leads/{first['id']}/assignments").json()["items"]
    assert [(e["owner_id"], e["strategy"], e["assigned_by"]) for e in log] == [
        (world.rep_a2.id, None, manager_id),
        (world.rep_a1.id, "round_robin", world.rep_a1.id),
    ]
    assert log[1]["rule_id"] == made["id"] and log[1]["rule_name"] == made["name"]
    # the first rep no longer owns it and may not take it back
    problem(
        rep.post(f"/api/v1/leads/{first['id']}/assign", json={"owner_id": world.rep_a1.id}), 403
    )
    # bad bodies and a lead no rule matches
    assert fields(problem(rep.post(f"/api/v1/leads/{second['id']}/assign", json={"x": 1}), 422))
    nobody = create_lead(rep, contact_name="Nobody's", need_type=word(), owner_id=None)
    unmatched = problem(manager.post(f"/api/v1/leads/{nobody['id']}/assign", json={}), 422)
    assert (
        fields(unmatched) == {"owner_id"} and "no active distribution rule" in unmatched["detail"]
    )
    problem(manager.post("/api/v1/leads/nope/assign", json={}), 404)

    # change and delete the rule with If-Match
    url = f"/api/v1/distribution-rules/{made['id']}"
    problem(manager.patch(url, json={"is_active": False}, headers={"If-Match": '"5"'}), 409)
    response = manager.patch(url, json={"is_active": False}, headers={"If-Match": '"1"'})
    assert response.status_code == 200, response.text
    assert response.json()["is_active"] is False and response.headers["etag"] == '"2"'
    problem(manager.delete(url, headers={"If-Match": '"1"'}), 409)
    assert manager.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    problem(manager.get(url), 404)


def test_scoring_rules_and_explained_scores(
    world: World, login: Login, admin: httpx.Client, scoring_rules: list[str]
) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    source = word()
    before = create_lead(rep, contact_name="Early Bird", source=source)
    assert before["score"] is None

    body = {
        "name": f"From {source}",
        "field": "source",
        "operator": "equals",
        "value": source,
        "points": 35,
    }
    problem(rep.post("/api/v1/scoring-rules", json=body), 403)
    bad = problem(
        admin.post(
            "/api/v1/scoring-rules",
            json={"name": "x", "field": "version", "operator": "in", "value": "a", "points": 500},
        ),
        422,
    )
    assert fields(bad) == {"field", "points"}
    response = admin.post("/api/v1/scoring-rules", json=body)
    assert response.status_code == 201, response.text
    rule = response.json()
    scoring_rules.append(rule["id"])
    assert response.headers["location"] == f"/api/v1/scoring-rules/{rule['id']}"
    assert rule["id"] in [r["id"] for r in rep.get("/api/v1/scoring-rules").json()["items"]]

    # a new lead is scored when it is made; the earlier one in the background
    lead = create_lead(rep, contact_name="Ann Lee", source=source.upper())
    assert lead["score"] == 35
    reason = {"rule_id": rule["id"], "name": rule["name"], "points": 35}
    explained = rep.get(f"/api/v1/leads/{lead['id']}/score").json()
    assert explained == {"lead_id": lead["id"], "score": 35, "reasons": [reason]}
    deadline = time.monotonic() + 30
    while rep.get(f"/api/v1/leads/{before['id']}").json()["score"] != 35:
        assert time.monotonic() < deadline, "the earlier lead was never scored again"
        time.sleep(0.2)

    url = f"/api/v1/scoring-rules/{rule['id']}"
    problem(admin.patch(url, json={"points": 50}, headers={"If-Match": '"9"'}), 409)
    response = admin.patch(url, json={"points": 50}, headers={"If-Match": '"1"'})
    assert response.status_code == 200 and response.json()["points"] == 50
    deadline = time.monotonic() + 30
    while rep.get(f"/api/v1/leads/{lead['id']}/score").json()["score"] != 50:
        assert time.monotonic() < deadline, "the lead was never scored again"
        time.sleep(0.2)
    other = login(world.rep_b1.email, world.rep_b1.password)
    problem(other.get(f"/api/v1/leads/{lead['id']}/score"), 404)
    assert admin.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    scoring_rules.remove(rule["id"])
    problem(admin.get(url), 404)
