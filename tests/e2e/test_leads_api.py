"""Leads through the public API with identity, leads and the gateway each its own process."""

from __future__ import annotations

import random
import string
import time
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.support.stack import Stack

from .conftest import Login

pytestmark = pytest.mark.e2e


def word(n: int = 10) -> str:
    """A fresh letters-only word: the search box matches whole-word prefixes."""
    return "".join(random.choices(string.ascii_lowercase, k=n))


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and {"type", "title", "detail", "errors"} <= set(body)
    return body


def fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body["errors"]}


@dataclass
class Rep:
    id: str
    email: str
    password: str
    team_id: str


@dataclass
class World:
    admin: httpx.Client
    team_a: str
    team_b: str
    rep_a1: Rep
    rep_a2: Rep
    rep_b1: Rep


@pytest.fixture
def world(admin: httpx.Client) -> World:
    """Two teams and three sales reps, made by the admin through the API."""
    roles = admin.get("/api/v1/roles")
    assert roles.status_code == 200, roles.text
    rep_role = next(r["id"] for r in roles.json()["items"] if r["name"] == "sales_rep")

    def team(name: str) -> str:
        response = admin.post("/api/v1/teams", json={"name": name})
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def rep(team_id: str) -> Rep:
        email, password = f"{word()}@osprey.test", word(16)
        response = admin.post(
            "/api/v1/users",
            json={
                "email": email,
                "full_name": f"Rep {word(6).title()}",
                "password": password,
                "role_ids": [rep_role],
                "team_id": team_id,
            },
        )
        assert response.status_code == 201, response.text
        user = response.json()
        assert response.headers["location"] == f"/api/v1/users/{user['id']}"
        assert "password" not in user and user["roles"] == ["sales_rep"]
        return Rep(user["id"], email, password, team_id)

    team_a, team_b = team(f"Team {word()}"), team(f"Team {word()}")
    return World(admin, team_a, team_b, rep(team_a), rep(team_a), rep(team_b))


def create_lead(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/v1/leads", json=fields)
    assert response.status_code == 201, response.text
    lead = response.json()
    assert response.headers["location"] == f"/api/v1/leads/{lead['id']}"
    return lead


# -- signing in -----------------------------------------------------------------------


def test_admin_signs_in_with_a_token_or_the_session_cookie(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base_url, timeout=15) as browser:
        response = browser.post("/api/v1/auth/login", json=stack.admin_credentials)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["user"]["email"] == stack.admin_email and body["token"]
        cookie = response.headers["set-cookie"].lower()
        assert "osprey_session=" in cookie and "httponly" in cookie and "samesite=lax" in cookie

        me_by_cookie = browser.get("/api/v1/me")  # no Authorization header: the cookie
        assert me_by_cookie.status_code == 200, me_by_cookie.text
        assert me_by_cookie.json()["email"] == stack.admin_email
        assert "admin" in me_by_cookie.json()["roles"]

    me_by_token = httpx.get(
        f"{stack.base_url}/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"}
    )
    assert me_by_token.json()["id"] == body["user"]["id"]

    wrong = dict(stack.admin_credentials, password="not-the-password")
    problem(httpx.post(f"{stack.base_url}/api/v1/auth/login", json=wrong), 401)


def test_requests_without_a_valid_token_are_401(stack: Stack, login: Login) -> None:
    problem(httpx.get(f"{stack.base_url}/api/v1/leads"), 401)
    bogus = {"Authorization": "Bearer not-a-token"}
    problem(httpx.get(f"{stack.base_url}/api/v1/leads", headers=bogus), 401)

    client = login(stack.admin_email, stack.admin_password)
    assert client.get("/api/v1/me").status_code == 200
    assert client.post("/api/v1/auth/logout").status_code == 204
    problem(client.get("/api/v1/me"), 401)


def test_a_cookie_request_from_another_site_is_refused(stack: Stack) -> None:
    with httpx.Client(base_url=stack.base_url, timeout=15) as browser:
        browser.post("/api/v1/auth/login", json=stack.admin_credentials)
        forged = browser.post(
            "/api/v1/leads",
            json={"contact_name": "Forged"},
            headers={"Origin": "https://evil.example"},
        )
        problem(forged, 403)


# -- users and rights -----------------------------------------------------------------


def test_a_sales_rep_may_not_create_users(world: World, login: Login) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    me = rep.get("/api/v1/me").json()
    assert (me["id"], me["roles"], me["team_id"]) == (world.rep_a1.id, ["sales_rep"], world.team_a)
    attempt = rep.post(
        "/api/v1/users",
        json={"email": f"{word()}@osprey.test", "full_name": "Mallory", "password": word(16)},
    )
    problem(attempt, 403)

    found = world.admin.get("/api/v1/users", params={"q": world.rep_a1.email}).json()["items"]
    assert [u["id"] for u in found] == [world.rep_a1.id]


def test_record_rights_follow_owner_and_team(world: World, login: Login) -> None:
    a1 = login(world.rep_a1.email, world.rep_a1.password)
    a2 = login(world.rep_a2.email, world.rep_a2.password)
    b1 = login(world.rep_b1.email, world.rep_b1.password)
    marker = word()

    mine = create_lead(a1, contact_name=f"Mine {marker}")
    assert (mine["owner_id"], mine["team_id"]) == (world.rep_a1.id, world.team_a)

    # A teammate reads it but may not change it.
    assert a2.get(f"/api/v1/leads/{mine['id']}").status_code == 200
    problem(a2.patch(f"/api/v1/leads/{mine['id']}", json={"contact_name": "Taken"}), 403)
    problem(a2.delete(f"/api/v1/leads/{mine['id']}"), 403)
    assert a1.get(f"/api/v1/leads/{mine['id']}").json()["contact_name"] == f"Mine {marker}"

    # Another team's rep can neither see nor change it: unreadable reads as missing.
    problem(b1.get(f"/api/v1/leads/{mine['id']}"), 404)
    problem(b1.patch(f"/api/v1/leads/{mine['id']}", json={"contact_name": "Taken"}), 404)

    # A lead the admin puts in team B stays out of team A's lists.
    theirs = create_lead(
        world.admin, contact_name=f"Theirs {marker}", team_id=world.team_b, owner_id=world.rep_b1.id
    )
    problem(a1.patch(f"/api/v1/leads/{theirs['id']}", json={"notes": "mine now"}), 404)
    seen_by_a1 = {
        lead["id"] for lead in a1.get("/api/v1/leads", params={"q": marker}).json()["items"]
    }
    assert seen_by_a1 == {mine["id"]}
    seen_by_b1 = {
        lead["id"] for lead in b1.get("/api/v1/leads", params={"q": marker}).json()["items"]
    }
    assert seen_by_b1 == {theirs["id"]}

    # A rep may not put a lead in another team.
    problem(a1.post("/api/v1/leads", json={"contact_name": "X", "team_id": world.team_b}), 403)


# -- leads ----------------------------------------------------------------------------


def test_create_filter_search_and_page_through_leads(admin: httpx.Client) -> None:
    marker = word()
    me = admin.get("/api/v1/me").json()
    created = [
        create_lead(
            admin,
            contact_name=f"Person {chr(ord('g') - i)}",
            account_name=f"{marker} Acme",  # the search box finds the start of a company
            email=f"{word()}@{marker}.example",
            score=10 * i,
        )
        for i in range(7)
    ]
    assert all(
        (lead["version"], lead["stage"], lead["owner_id"]) == (1, "qualification", me["id"])
        for lead in created
    )
    for lead in created[:3]:
        moved = admin.patch(f"/api/v1/leads/{lead['id']}", json={"stage": "nurturing"})
        assert moved.status_code == 200, moved.text

    # Every page in order, each lead once, newest first by default.
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"q": marker, "limit": 3}
        if cursor:
            params["cursor"] = cursor
        page = admin.get("/api/v1/leads", params=params)
        assert page.status_code == 200, page.text
        seen += [lead["id"] for lead in page.json()["items"]]
        pages += 1
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
        assert pages < 5, "pagination does not end"
    assert seen == [lead["id"] for lead in reversed(created)]
    assert pages == 3

    nurturing = admin.get(f"/api/v1/leads?q={marker}&filter[stage]=nurturing").json()["items"]
    assert {lead["id"] for lead in nurturing} == {lead["id"] for lead in created[:3]}
    both = admin.get(f"/api/v1/leads?q={marker}&filter[stage]=nurturing,qualification")
    assert len(both.json()["items"]) == 7

    by_name = admin.get("/api/v1/leads", params={"q": marker, "sort": "contact_name"}).json()
    names = [lead["contact_name"] for lead in by_name["items"]]
    assert names == sorted(names) and len(names) == 7

    by_email = admin.get("/api/v1/leads", params={"filter[email]": created[4]["email"].upper()})
    assert [lead["id"] for lead in by_email.json()["items"]] == [created[4]["id"]]

    assert "filter[colour]" in fields(problem(admin.get("/api/v1/leads?filter[colour]=red"), 422))
    assert "sort" in fields(problem(admin.get("/api/v1/leads?sort=shoe_size"), 422))
    assert "cursor" in fields(problem(admin.get("/api/v1/leads?cursor=garbage"), 422))


def test_if_match_guards_changes_with_the_version(admin: httpx.Client) -> None:
    lead = create_lead(admin, contact_name="Vera Version")
    url = f"/api/v1/leads/{lead['id']}"

    got = admin.get(url)
    assert got.headers["etag"] == '"1"' and got.json()["version"] == 1

    changed = admin.patch(url, json={"contact_name": "Vera V."}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2 and changed.headers["etag"] == '"2"'

    stale = admin.patch(url, json={"contact_name": "Lost update"}, headers={"If-Match": '"1"'})
    problem(stale, 409)
    after = admin.get(url)
    assert (after.json()["contact_name"], after.json()["version"]) == ("Vera V.", 2)

    again = admin.patch(url, json={"phone": "+4930123456"}, headers={"If-Match": "2"})
    assert again.status_code == 200 and again.json()["version"] == 3

    problem(admin.delete(url, headers={"If-Match": '"2"'}), 409)
    assert admin.get(url).status_code == 200
    deleted = admin.delete(url, headers={"If-Match": '"3"'})
    assert deleted.status_code == 204 and deleted.content == b""
    problem(admin.get(url), 404)
    problem(admin.delete(url), 404)


def test_missing_too_large_and_invalid_requests(admin: httpx.Client, stack: Stack) -> None:
    problem(admin.get(f"/api/v1/leads/{uuid.uuid4()}"), 404)
    problem(admin.get("/api/v1/leads/not-an-id"), 404)

    huge = admin.post("/api/v1/leads", json={"contact_name": "Big", "notes": "x" * 1_100_000})
    problem(huge, 413)

    assert fields(problem(admin.post("/api/v1/leads", json={"score": "high"}), 422)) == {"score"}
    assert "score" in fields(
        problem(admin.post("/api/v1/leads", json={"contact_name": "A", "score": 500}), 422)
    )
    assert "contact_name" in fields(problem(admin.post("/api/v1/leads", json={}), 422))
    assert "colour" in fields(problem(admin.post("/api/v1/leads", json={"colour": "red"}), 422))
    problem(
        admin.post("/api/v1/leads", content=b"{oops", headers={"content-type": "application/json"}),
        400,
    )
    problem(
        admin.post(
            "/api/v1/leads", content=b"contact_name=A", headers={"content-type": "text/plain"}
        ),
        415,
    )


def test_openapi_lists_the_leads_resource(stack: Stack) -> None:
    # The document is built once per gateway process, in seconds on a loaded machine.
    document = httpx.get(f"{stack.base_url}/api/v1/openapi.json", timeout=60).json()
    assert set(document["paths"]["/api/v1/leads"]) == {"get", "post"}
    assert set(document["paths"]["/api/v1/leads/{lead_id}"]) == {"get", "patch", "delete"}
    assert httpx.get(f"{stack.base_url}/api/docs").status_code == 200


def test_meta_entities_describes_leads(admin: httpx.Client) -> None:
    entities = admin.get("/api/v1/meta/entities").json()["entities"]
    stage = next(f for f in entities["leads"]["fields"] if f["name"] == "stage")
    assert "qualification" in stage["options"]


def test_a_killed_service_answers_503_fast_and_serves_again_after_restart(
    stack: Stack, admin: httpx.Client
) -> None:
    lead = create_lead(admin, contact_name="Survivor")
    stack.kill("leads")
    try:
        started = time.monotonic()
        problem(admin.get(f"/api/v1/leads/{lead['id']}"), 503)
        assert time.monotonic() - started < 2
        problem(httpx.get(f"{stack.base_url}/readyz"), 503)
    finally:
        stack.restart("leads")
    assert admin.get(f"/api/v1/leads/{lead['id']}").json()["contact_name"] == "Survivor"
