"""Activities and forecasts through the public API, every service its own process."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from .conftest import Login
from .test_leads_api import World, fields, problem, word

pytestmark = pytest.mark.e2e


def when(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat().replace("+00:00", "Z")


def manager(world: World, team_id: str) -> tuple[str, str, str]:
    """A sales manager of ``team_id`` made by the admin: (id, email, password)."""
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
    return response.json()["id"], email, password


# -- activities ---------------------------------------------------------------------------


def test_an_activity_from_creation_to_completion_over_http(admin: httpx.Client) -> None:
    account = admin.post(
        "/api/v1/accounts", params={"allow_duplicates": "true"}, json={"name": f"Act {word()}"}
    ).json()
    contact = admin.post(
        "/api/v1/contacts",
        params={"allow_duplicates": "true"},
        json={"full_name": f"Ann {word()}"},
    ).json()
    created = admin.post(
        "/api/v1/activities",
        json={
            "type": "meeting",
            "title": f"Kick-off {word()}",
            "start_at": "2026-05-04T09:00:00+02:00",
            "due_at": "2026-05-04T10:00:00+02:00",
            "related_type": "account",
            "related_id": account["id"],
            "participants": [{"type": "contact", "id": contact["id"]}],
        },
    )
    assert created.status_code == 201, created.text
    activity = created.json()
    url = f"/api/v1/activities/{activity['id']}"
    assert created.headers["location"] == url and created.headers["etag"] == '"1"'
    assert activity["start_at"] == "2026-05-04T07:00:00Z" and activity["status"] == "not_started"
    assert activity["participants"] == [{"type": "contact", "id": contact["id"]}]

    got = admin.get(url)
    assert got.status_code == 200 and got.headers["etag"] == '"1"' and got.json() == activity
    tab = admin.get(
        "/api/v1/activities",
        params={"filter[related_type]": "account", "filter[related_id]": account["id"]},
    )
    assert tab.status_code == 200, tab.text
    assert [a["id"] for a in tab.json()["items"]] == [activity["id"]]

    changed = admin.patch(url, json={"participants": []}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"' and changed.json()["participants"] == []
    problem(admin.patch(url, json={"title": "Stale"}, headers={"If-Match": '"1"'}), 409)

    stale = admin.post(f"{url}/complete", json={"result": "x"}, headers={"If-Match": '"1"'})
    problem(stale, 409)
    done = admin.post(f"{url}/complete", json={"result": "Signed"}, headers={"If-Match": '"2"'})
    assert done.status_code == 200, done.text
    assert done.headers["etag"] == '"3"'
    assert (done.json()["status"], done.json()["result"]) == ("completed", "Signed")
    assert done.json()["completed_at"]
    body = problem(admin.post(f"{url}/complete"), 409)  # no body at all is fine, but done
    assert fields(body) == {"status"}

    problem(admin.delete(url, headers={"If-Match": '"2"'}), 409)
    assert admin.delete(url, headers={"If-Match": '"3"'}).status_code == 204
    problem(admin.get(url), 404)

    entities = admin.get("/api/v1/meta/entities").json()["entities"]
    assert "participants" in {f["name"] for f in entities["activities"]["fields"]}


def test_bad_activities_are_422_naming_the_field(admin: httpx.Client) -> None:
    body = problem(
        admin.post(
            "/api/v1/activities",
            json={
                "type": "task",
                "title": "Bad",
                "start_at": "2026-05-04T10:00:00Z",
                "due_at": "2026-05-04T09:00:00Z",
                "related_type": "contact",
            },
        ),
        422,
    )
    assert fields(body) == {"due_at", "related_id"}
    body = problem(
        admin.post(
            "/api/v1/activities",
            json={
                "type": "task",
                "title": "Ghost",
                "related_type": "opportunity",
                "related_id": "0196f5c4-0000-7000-8000-000000000000",
            },
        ),
        422,
    )
    assert body["errors"] == [{"field": "related_id", "message": "no such opportunity"}]
    problem(admin.post("/api/v1/activities", json={"type": "task", "title": 5}), 422)
    problem(admin.post("/api/v1/activities", json={"type": "task", "title": "x", "x": 1}), 422)
    problem(admin.get("/api/v1/activities", params={"filter[colour]": "red"}), 422)
    problem(admin.get("/api/v1/activities/not-an-id"), 404)
    problem(admin.post("/api/v1/activities/not-an-id/complete", json={}), 404)
    problem(admin.get("/api/v1/me/activities", params={"limit": 0}), 422)


def test_my_activities_and_rights_over_http(world: World, login: Login) -> None:
    ann = login(world.rep_a1.email, world.rep_a1.password)
    abe = login(world.rep_a2.email, world.rep_a2.password)
    bob = login(world.rep_b1.email, world.rep_b1.password)

    def create(client: httpx.Client, **data) -> dict:
        response = client.post("/api/v1/activities", json={"type": "task", **data})
        assert response.status_code == 201, response.text
        return response.json()

    later = create(ann, title="Later", due_at=when(days=2))
    overdue = create(ann, title="Overdue", due_at=when(days=-1))
    undated = create(ann, title="Someday")
    invited = create(
        bob,
        title="Invited",
        due_at=when(days=1),
        participants=[{"type": "user", "id": world.rep_a1.id}],
    )

    first = ann.get("/api/v1/me/activities", params={"limit": 2})
    assert first.status_code == 200, first.text
    rest = ann.get("/api/v1/me/activities", params={"cursor": first.json()["next_cursor"]})
    assert rest.status_code == 200, rest.text
    items = first.json()["items"] + rest.json()["items"]
    assert [a["id"] for a in items] == [overdue["id"], invited["id"], later["id"], undated["id"]]
    assert [a["is_overdue"] for a in items] == [True, False, False, False]
    assert rest.json()["next_cursor"] is None

    # a teammate reads, may not change; another team does not see it; a participant reads it
    url = f"/api/v1/activities/{later['id']}"
    assert abe.get(url).status_code == 200
    problem(abe.patch(url, json={"title": "Mine"}), 403)
    problem(abe.post(f"{url}/complete", json={}), 403)
    problem(bob.get(url), 404)
    invited_url = f"/api/v1/activities/{invited['id']}"
    assert ann.get(invited_url).status_code == 200
    problem(ann.post(f"{invited_url}/complete", json={}), 403)
    assert ann.post(f"{url}/complete", json={}).status_code == 200
    done = ann.get("/api/v1/me/activities", params={"include_done": "true"}).json()["items"]
    assert later["id"] in {a["id"] for a in done}
    still_open = ann.get("/api/v1/me/activities").json()["items"]
    assert later["id"] not in {a["id"] for a in still_open}


# -- forecasts ----------------------------------------------------------------------------


def test_forecast_plans_with_fact_and_pipeline_over_http(world: World, login: Login) -> None:
    _manager_id, email, password = manager(world, world.team_a)
    boss = login(email, password)
    ann = login(world.rep_a1.email, world.rep_a1.password)
    bob = login(world.rep_b1.email, world.rep_b1.password)

    # Ann's deals: one won, one open (both closing in March 2026), one in April
    def deal(**data) -> dict:
        response = ann.post(
            "/api/v1/opportunities", json={"title": f"Deal {word()}", "currency": "EUR", **data}
        )
        assert response.status_code == 201, response.text
        return response.json()

    won = deal(amount="1000.00", close_date="2026-03-10")
    assert ann.post(f"/api/v1/opportunities/{won['id']}/win").status_code == 200
    deal(amount="2000.00", close_date="2026-03-20", probability=40)
    deal(amount="9000.00", close_date="2026-04-01")

    body = {
        "owner_id": world.rep_a1.id,
        "period_kind": "month",
        "period_start": "2026-03-01",
        "amount": "5000.00",
        "currency": "EUR",
    }
    problem(ann.post("/api/v1/forecasts", json=body), 403)
    created = boss.post("/api/v1/forecasts", json=body)
    assert created.status_code == 201, created.text
    plan = created.json()
    url = f"/api/v1/forecasts/{plan['id']}"
    assert created.headers["location"] == url and created.headers["etag"] == '"1"'
    assert (
        plan["plan_amount"],
        plan["fact_amount"],
        plan["pipeline_amount"],
        plan["weighted_amount"],
        plan["period_end"],
    ) == ("5000.00", "1000.00", "2000.00", "800.00", "2026-03-31")
    problem(boss.post("/api/v1/forecasts", json=body), 409)
    body422 = problem(
        boss.post("/api/v1/forecasts", json={**body, "period_start": "2026-03-02"}), 422
    )
    assert fields(body422) == {"period_start"}
    problem(boss.post("/api/v1/forecasts", json={**body, "amount": "-1"}), 422)

    # Ann reads her own plan, Bob (another team) does not see it
    mine = ann.get(
        "/api/v1/forecasts", params={"period_kind": "month", "period_start": "2026-03-01"}
    )
    assert mine.status_code == 200, mine.text
    assert [p["id"] for p in mine.json()["items"]] == [plan["id"]]
    assert ann.get(url).json()["fact_amount"] == "1000.00"
    problem(bob.get(url), 404)
    assert bob.get("/api/v1/forecasts", params={"owner_id": world.rep_a1.id}).json()["items"] == []
    problem(ann.get("/api/v1/forecasts", params={"colour": "red"}), 422)
    problem(ann.get("/api/v1/forecasts", params={"period_start": "March"}), 422)

    # a team plan counts the team's deals; changes need the manager and the version
    team = boss.post(
        "/api/v1/forecasts",
        json={
            **body,
            "owner_id": None,
            "team_id": world.team_a,
            "period_kind": "quarter",
            "period_start": "2026-01-01",
        },
    )
    assert team.status_code == 201, team.text
    assert team.json()["fact_amount"] == "1000.00" and team.json()["team_id"] == world.team_a
    problem(ann.patch(url, json={"amount": "1"}), 403)
    problem(boss.patch(url, json={"currency": "USD"}), 422)
    changed = boss.patch(url, json={"amount": "6000"}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.headers["etag"] == '"2"' and changed.json()["plan_amount"] == "6000.00"
    problem(boss.patch(url, json={"amount": "7000"}, headers={"If-Match": '"1"'}), 409)
    problem(boss.delete(url, headers={"If-Match": '"1"'}), 409)
    assert boss.delete(url, headers={"If-Match": '"2"'}).status_code == 204
    problem(boss.get(url), 404)
