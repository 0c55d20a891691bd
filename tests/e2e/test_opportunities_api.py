"""Opportunities through the public API: stages, moves, history, tactics, the board."""

from __future__ import annotations

import httpx
import pytest

from .test_leads_api import World, fields, problem, word

pytestmark = pytest.mark.e2e


def stage_ids(client: httpx.Client) -> dict[str, str]:
    response = client.get("/api/v1/opportunity-stages")
    assert response.status_code == 200, response.text
    return {s["name"]: s["id"] for s in response.json()["items"]}


def test_a_deal_from_creation_to_won_over_http(admin: httpx.Client) -> None:
    stages = stage_ids(admin)
    account = admin.post(
        "/api/v1/accounts", params={"allow_duplicates": "true"}, json={"name": f"Deal {word()}"}
    ).json()
    created = admin.post(
        "/api/v1/opportunities",
        json={
            "title": f"Trucks {word()}",
            "account_id": account["id"],
            "amount": "12000.50",
            "currency": "EUR",
            "close_date": "2026-12-20",
        },
    )
    assert created.status_code == 201, created.text
    deal = created.json()
    url = f"/api/v1/opportunities/{deal['id']}"
    assert created.headers["location"] == url
    assert (deal["status"], deal["stage_id"], deal["amount"]) == (
        "open",
        stages["Qualification"],
        "12000.50",
    )

    moved = admin.post(
        f"{url}/move", json={"stage_id": stages["Proposal"]}, headers={"If-Match": '"1"'}
    )
    assert moved.status_code == 200, moved.text
    assert moved.headers["etag"] == '"2"'
    problem(
        admin.post(
            f"{url}/move", json={"stage_id": stages["Negotiation"]}, headers={"If-Match": '"1"'}
        ),
        409,
    )

    history = admin.get(f"{url}/history").json()["items"]
    assert [(h["stage_name"], h["skipped"]) for h in history] == [
        ("Qualification", False),
        ("Presentation", True),
        ("Proposal", False),
    ]
    assert all(isinstance(h["seconds_in_stage"], int) for h in history)

    tactic = admin.post(f"{url}/tactics", json={"kind": "strength", "text": "Local service"})
    assert tactic.status_code == 201, tactic.text
    body = problem(admin.post(f"{url}/tactics", json={"kind": "luck"}), 422)
    assert fields(body) == {"kind", "text"}
    rival = admin.post(
        "/api/v1/accounts",
        params={"allow_duplicates": "true"},
        json={"name": f"Rival {word()}", "type": "competitor"},
    ).json()
    competitor = admin.post(
        f"{url}/competitors",
        json={"account_id": rival["id"], "offer": "Cheaper", "comparison": "No service"},
    )
    assert competitor.status_code == 201, competitor.text
    assert admin.get(f"{url}/competitors").json()["items"][0]["account_name"] == rival["name"]
    assert admin.get(f"{url}/tactics").json()["items"][0]["text"] == "Local service"

    board = admin.get("/api/v1/pipeline", params={"per_stage": 200})
    assert board.status_code == 200, board.text
    columns = {c["stage"]["name"]: c for c in board.json()["stages"]}
    cards = [c for c in columns["Proposal"]["items"] if c["id"] == deal["id"]]
    assert cards and cards[0]["account_name"] == account["name"]
    assert any(t["currency"] == "EUR" for t in columns["Proposal"]["totals"])

    won = admin.post(f"{url}/win")
    assert won.status_code == 200, won.text
    assert (won.json()["status"], won.json()["probability"]) == ("won", 100)
    closed = problem(admin.post(f"{url}/move", json={"stage_id": stages["Proposal"]}), 409)
    assert "won" in closed["detail"]
    problem(admin.post(f"{url}/lose", json={"reason": "late"}), 409)


def test_bad_opportunity_input_is_a_clear_problem(admin: httpx.Client) -> None:
    body = problem(
        admin.post(
            "/api/v1/opportunities",
            json={"title": "x", "amount": "12.345", "probability": 120, "close_date": "soon"},
        ),
        422,
    )
    assert fields(body) == {"amount", "probability", "close_date"}
    problem(admin.post("/api/v1/opportunities", json={"title": "x", "budget": True}), 422)
    problem(admin.get("/api/v1/opportunities/not-an-id"), 404)
    problem(admin.get("/api/v1/pipeline", params={"per_stage": 0}), 422)
    problem(admin.get("/api/v1/pipeline", params={"owner_id": "me"}), 422)
    deal = admin.post("/api/v1/opportunities", json={"title": f"Lose {word()}"}).json()
    body = problem(admin.post(f"/api/v1/opportunities/{deal['id']}/lose", json={}), 422)
    assert fields(body) == {"reason"}


def test_reps_see_their_team_deals_and_change_only_their_own(world: World, login) -> None:
    ann, abe = world.rep_a1, world.rep_a2
    ann_client = login(ann.email, ann.password)
    abe_client = login(abe.email, abe.password)
    deal = ann_client.post("/api/v1/opportunities", json={"title": f"Ann {word()}"})
    assert deal.status_code == 201, deal.text
    url = f"/api/v1/opportunities/{deal.json()['id']}"
    assert abe_client.get(url).status_code == 200
    problem(abe_client.post(f"{url}/win"), 403)
    problem(abe_client.patch(url, json={"title": "Mine now"}), 403)
    stages = stage_ids(abe_client)
    problem(
        abe_client.post(
            "/api/v1/opportunity-stages", json={"name": "X", "position": 1, "probability": 1}
        ),
        403,
    )
    assert stages
    mine = ann_client.get("/api/v1/pipeline", params={"owner_id": ann.id}).json()
    assert sum(c["count"] for c in mine["stages"]) == 1
