"""Personal API tokens and the password policy through the public API, every service
running: a rep makes a token for an integration, which works within its scopes only,
until it is revoked; an administrator sees and revokes anyone's; what a new password
and a deactivation do to tokens; weak passwords are refused naming the field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.support.stack import Stack

from .conftest import Login
from .test_leads_api import World, problem, word

pytestmark = pytest.mark.e2e


def in_days(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def make_token(client: httpx.Client, scopes: list[str], name: str = "Zapier") -> dict:
    response = client.post(
        "/api/v1/me/tokens", json={"name": name, "scopes": scopes, "expires_on": in_days(90)}
    )
    assert response.status_code == 201, response.text
    assert response.headers["cache-control"] == "no-store"
    return response.json()


def bearer(stack: Stack, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=stack.base_url, timeout=15, headers={"Authorization": f"Bearer {token}"}
    )


def test_a_token_works_within_its_scopes_until_revoked(world: World, login: Login, stack) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    offered = rep.get("/api/v1/me/token-scopes").json()["items"]
    assert "leads:read" in offered and "admin" not in offered

    made = make_token(rep, ["leads:read", "feed:read"])
    token = made["token"]
    assert token.startswith("osp_") and made["prefix"] == token[:12]
    assert rep.get(f"/api/v1/me/tokens/{made['id']}").json()["prefix"] == token[:12]
    listed = rep.get("/api/v1/me/tokens").json()["items"]
    assert [(t["id"], t["name"], t["scopes"]) for t in listed] == [
        (made["id"], "Zapier", ["leads:read", "feed:read"])
    ]
    assert all("token" not in t for t in listed)  # shown once only

    with bearer(stack, token) as integration:
        assert integration.get("/api/v1/leads").status_code == 200
        assert integration.get("/api/v1/me").json()["email"] == world.rep_a1.email
        refused = problem(integration.post("/api/v1/leads", json={"contact_name": "X"}), 403)
        assert "leads:write" in refused["detail"]
        assert "sales:read" in problem(integration.get("/api/v1/accounts"), 403)["detail"]
        problem(integration.get("/api/v1/me/tokens"), 403)  # no token manages tokens

        assert rep.delete(f"/api/v1/me/tokens/{made['id']}").status_code == 204
        problem(integration.get("/api/v1/leads"), 401)
    assert rep.get("/api/v1/me/tokens").json()["items"] == []
    problem(rep.delete(f"/api/v1/me/tokens/{made['id']}"), 404)


def test_a_token_never_does_more_than_its_owner(world: World, login: Login, stack) -> None:
    rep = login(world.rep_a2.email, world.rep_a2.password)
    beyond = problem(
        rep.post(
            "/api/v1/me/tokens",
            json={"name": "Root", "scopes": ["admin"], "expires_on": in_days(10)},
        ),
        422,
    )
    assert beyond["errors"] == [{"field": "scopes", "message": "beyond your own rights: admin"}]
    # changing leads is in scope, but the owner's own rights still decide which: a
    # teammate's lead is theirs to read, not to change
    teammate = login(world.rep_a1.email, world.rep_a1.password)
    theirs = teammate.post("/api/v1/leads", json={"contact_name": f"Theirs {word()}"})
    assert theirs.status_code == 201, theirs.text
    lead_url = f"/api/v1/leads/{theirs.json()['id']}"
    with bearer(stack, make_token(rep, ["leads:read", "leads:write"])["token"]) as integration:
        assert integration.get(lead_url).status_code == 200
        problem(integration.patch(lead_url, json={"contact_name": "Taken"}), 403)
        mine = integration.post("/api/v1/leads", json={"contact_name": f"Mine {word()}"})
        assert mine.status_code == 201, mine.text


def test_bad_token_data_is_refused_naming_each_field(world: World, login: Login) -> None:
    rep = login(world.rep_b1.email, world.rep_b1.password)
    body = problem(
        rep.post("/api/v1/me/tokens", json={"scopes": ["leads:read"], "expires_on": in_days(500)}),
        422,
    )
    assert {e["field"] for e in body["errors"]} == {"name", "expires_on"}
    assert problem(rep.post("/api/v1/me/tokens", json={"scopes": "leads:read"}), 422)


def test_an_admin_lists_and_revokes_a_users_tokens(world: World, login: Login, stack) -> None:
    rep = login(world.rep_b1.email, world.rep_b1.password)
    made = make_token(rep, ["sales:read"], name="Reporting")
    url = f"/api/v1/users/{world.rep_b1.id}/tokens"
    other = login(world.rep_a1.email, world.rep_a1.password)
    problem(other.get(url), 403)

    listed = world.admin.get(url)
    assert listed.status_code == 200, listed.text
    assert [t["name"] for t in listed.json()["items"]] == ["Reporting"]
    with bearer(stack, made["token"]) as integration:
        assert integration.get("/api/v1/accounts").status_code == 200
        assert world.admin.delete(f"{url}/{made['id']}").status_code == 204
        problem(integration.get("/api/v1/accounts"), 401)


def test_a_new_password_keeps_tokens_and_deactivation_ends_them(world: World, login) -> None:
    admin = world.admin
    email, password = f"{word()}@osprey.test", word(16)
    created = admin.post(
        "/api/v1/users", json={"email": email, "full_name": "Tia Token", "password": password}
    )
    assert created.status_code == 201, created.text
    user_id = created.json()["id"]
    user = login(email, password)
    made = make_token(user, ["feed:read"])
    with bearer_for(admin, made["token"]) as integration:
        changed = user.patch("/api/v1/me", json={"password": "Quarry-lantern-5521"})
        assert changed.status_code == 200, changed.text
        assert integration.get("/api/v1/notifications").status_code == 200  # kept

        off = admin.patch(f"/api/v1/users/{user_id}", json={"is_active": False})
        assert off.status_code == 200, off.text
        problem(integration.get("/api/v1/notifications"), 401)


def bearer_for(client: httpx.Client, token: str) -> httpx.Client:
    return httpx.Client(
        base_url=str(client.base_url), timeout=15, headers={"Authorization": f"Bearer {token}"}
    )


def test_weak_passwords_are_refused_naming_the_field(world: World, login: Login) -> None:
    rep = login(world.rep_a2.email, world.rep_a2.password)
    for weak, reason in (
        ("short-1", "must be at least 10 characters"),
        ("password123", "is too easy to guess"),
        (world.rep_a2.email.split("@")[0] + "!2026", "must not contain your email address"),
    ):
        body = problem(rep.patch("/api/v1/me", json={"password": weak}), 422)
        assert body["errors"][0]["field"] == "password"
        assert body["errors"][0]["message"].startswith(reason), body
    new_user = problem(
        world.admin.post(
            "/api/v1/users",
            json={"email": f"{word()}@osprey.test", "full_name": "Weak", "password": "qwerty12345"},
        ),
        422,
    )
    assert [e["field"] for e in new_user["errors"]] == ["password"]
    # the refused changes changed nothing: the old password still signs in
    assert login(world.rep_a2.email, world.rep_a2.password).get("/api/v1/me").status_code == 200
