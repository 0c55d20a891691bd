"""The Google routes through the gateway and the running google service: a server
without Google sign-in set up says so (503) instead of opening a broken consent
screen; bad requests are problems naming the field; nobody sees another's connection."""

from __future__ import annotations

import pytest

from . import test_leads_api
from .conftest import Login
from .test_leads_api import World, problem

pytestmark = pytest.mark.e2e
world = test_leads_api.world  # two teams and three reps, made through the API

UNKNOWN = "018f0000-0000-7000-8000-000000000000"


def test_google_routes_answer_problems_a_user_can_act_on(world: World, login: Login) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    listed = rep.get("/api/v1/google-connections")
    assert listed.status_code == 200, listed.text
    assert listed.json() == {"items": [], "next_cursor": None}

    # the stack has no OSPREY_GOOGLE_CLIENT_ID: connecting is refused with the reason
    started = rep.post("/api/v1/google-connections/authorize", json={})
    body = problem(started, 503)
    assert "OSPREY_" in body["detail"]

    problem(rep.post("/api/v1/google-connections/authorize", json={"colour": "red"}), 422)
    refused = rep.post(
        "/api/v1/google-connections/callback", json={"state": "made-up", "code": "4/0Ax"}
    )
    assert problem(refused, 422)["errors"][0]["field"] == "state"
    problem(rep.get(f"/api/v1/google-connections/{UNKNOWN}"), 404)
    problem(rep.get("/api/v1/google-connections/not-a-uuid"), 404)
    problem(rep.post(f"/api/v1/google-connections/{UNKNOWN}/sync"), 404)
    problem(rep.patch(f"/api/v1/google-connections/{UNKNOWN}", json={"contacts": {"x": 1}}), 422)
    problem(rep.delete(f"/api/v1/google-connections/{UNKNOWN}"), 404)
