"""Administering users and teams through the public API with every service running: an
invitation with a temporary password, a reset that ends the user's sessions at once, a
deactivation likewise, the refusals that keep Osprey administrable, and teams renamed,
given a manager and deleted only when empty."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from . import test_leads_api
from .conftest import Login
from .test_leads_api import World, fields, problem, word

pytestmark = pytest.mark.e2e
world = test_leads_api.world  # two teams and three reps, made through the API


def role_ids(admin: httpx.Client, *names: str) -> list[str]:
    roles = {r["name"]: r["id"] for r in admin.get("/api/v1/roles").json()["items"]}
    return [roles[name] for name in names]


def invite(admin: httpx.Client, **body: Any) -> dict[str, Any]:
    body = {"email": f"{word()}@osprey.test", "full_name": f"New {word(6).title()}", **body}
    response = admin.post("/api/v1/users", json=body)
    assert response.status_code == 201, response.text
    user = response.json()
    assert response.headers["location"] == f"/api/v1/users/{user['id']}"
    return user


def test_an_invited_user_signs_in_with_the_password_shown_once(
    world: World, admin: httpx.Client, login: Login
) -> None:
    manager = role_ids(admin, "sales_manager")
    user = invite(admin, team_id=world.team_a, role_ids=manager)

    temporary = user.pop("temporary_password")
    assert temporary and (user["team_id"], user["roles"]) == (world.team_a, ["sales_manager"])
    me = login(user["email"], temporary).get("/api/v1/me").json()
    assert (me["id"], me["team_id"], me["roles"]) == (user["id"], world.team_a, ["sales_manager"])
    # the password is never answered again
    again = admin.get(f"/api/v1/users/{user['id']}").json()
    assert "temporary_password" not in again and temporary not in str(again)

    typed = invite(admin, password=f"Typed-{word(12)}-7")
    assert typed["temporary_password"] is None


def test_only_an_admin_administers(world: World, admin: httpx.Client, login: Login) -> None:
    rep = login(world.rep_a1.email, world.rep_a1.password)
    problem(
        rep.post("/api/v1/users", json={"email": f"{word()}@osprey.test", "full_name": "X"}), 403
    )
    problem(rep.post(f"/api/v1/users/{world.rep_a2.id}/reset-password", json={}), 403)
    problem(rep.post(f"/api/v1/users/{world.rep_a1.id}/reset-password"), 403)
    problem(rep.patch(f"/api/v1/users/{world.rep_a2.id}", json={"is_active": False}), 403)
    problem(rep.patch(f"/api/v1/teams/{world.team_a}", json={"name": "Mine"}), 403)
    problem(rep.delete(f"/api/v1/teams/{world.team_a}"), 403)
    problem(rep.post("/api/v1/teams", json={"name": f"Team {word()}"}), 403)
    assert admin.get(f"/api/v1/teams/{world.team_a}").json()["name"] != "Mine"


def test_a_reset_ends_the_users_sessions_at_once(
    world: World, admin: httpx.Client, login: Login
) -> None:
    rep = world.rep_b1
    session = login(rep.email, rep.password)
    assert session.get("/api/v1/me").status_code == 200  # cached by the gateway now

    reset = admin.post(f"/api/v1/users/{rep.id}/reset-password")
    assert reset.status_code == 200, reset.text
    temporary = reset.json()["temporary_password"]
    assert reset.json()["id"] == rep.id and temporary

    problem(session.get("/api/v1/me"), 401)
    problem(
        httpx.post(
            f"{admin.base_url}/api/v1/auth/login",
            json={"email": rep.email, "password": rep.password},
        ),
        401,
    )
    again = login(rep.email, temporary)
    typed = f"Chosen-{word(12)}-3"
    set_one = admin.post(f"/api/v1/users/{rep.id}/reset-password", json={"password": typed})
    assert set_one.status_code == 200 and set_one.json()["temporary_password"] is None
    problem(again.get("/api/v1/me"), 401)
    login(rep.email, typed)

    body = problem(admin.post(f"/api/v1/users/{rep.id}/reset-password", json={"password": 7}), 422)
    assert "password" in fields(body)
    body = problem(admin.post(f"/api/v1/users/{rep.id}/reset-password", json={"pin": "1"}), 422)
    assert "pin" in fields(body)
    problem(admin.post("/api/v1/users/00000000-0000-7000-8000-0000000000ff/reset-password"), 404)


def test_a_deactivated_user_is_signed_out_at_once_and_can_come_back(
    admin: httpx.Client, login: Login
) -> None:
    user = invite(admin)
    session = login(user["email"], user["temporary_password"])
    assert session.get("/api/v1/me").status_code == 200

    off = admin.patch(f"/api/v1/users/{user['id']}", json={"is_active": False})
    assert off.status_code == 200 and off.json()["is_active"] is False
    problem(session.get("/api/v1/me"), 401)
    inactive = admin.get("/api/v1/users", params={"filter[is_active]": "false", "q": user["email"]})
    assert [u["id"] for u in inactive.json()["items"]] == [user["id"]]

    on = admin.patch(f"/api/v1/users/{user['id']}", json={"is_active": True})
    assert on.status_code == 200 and on.json()["is_active"] is True
    login(user["email"], user["temporary_password"])


def test_an_admin_cannot_deactivate_themself_or_drop_the_last_admin_role(
    admin: httpx.Client,
) -> None:
    me = admin.get("/api/v1/me").json()
    body = problem(admin.patch(f"/api/v1/users/{me['id']}", json={"is_active": False}), 409)
    assert "cannot deactivate yourself" in body["detail"]
    assert fields(body) == {"is_active"}

    admins = admin.get(
        "/api/v1/users", params={"filter[role]": "admin", "filter[is_active]": "true"}
    )
    if len(admins.json()["items"]) == 1:  # the stack's own admin is the only one
        body = problem(admin.patch(f"/api/v1/users/{me['id']}", json={"role_ids": []}), 409)
        assert "last active administrator" in body["detail"]
    assert admin.get("/api/v1/me").json()["roles"] == ["admin"]


def test_a_role_change_takes_effect_at_once(
    world: World, admin: httpx.Client, login: Login
) -> None:
    user = invite(admin)
    session = login(user["email"], user["temporary_password"])
    assert session.get("/api/v1/me").json()["roles"] == ["sales_rep"]  # cached now
    changed = admin.patch(
        f"/api/v1/users/{user['id']}",
        json={"role_ids": role_ids(admin, "sales_manager"), "team_id": world.team_b},
    )
    assert changed.status_code == 200, changed.text
    me = session.get("/api/v1/me").json()
    assert (me["roles"], me["team_id"]) == (["sales_manager"], world.team_b)
    assert "records.change_team" in me["permissions"]


def test_a_team_is_renamed_given_a_manager_and_deleted_when_empty(
    world: World, admin: httpx.Client
) -> None:
    created = admin.post("/api/v1/teams", json={"name": f"Team {word()}"})
    assert created.status_code == 201, created.text
    team = created.json()
    name = f"Renamed {word()}"

    renamed = admin.patch(
        f"/api/v1/teams/{team['id']}", json={"name": name, "manager_id": world.rep_a1.id}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {
        "id": team["id"], "name": name, "manager_id": world.rep_a1.id, "user_count": 0
    }  # fmt: skip
    assert admin.get(created.headers["location"]).json() == renamed.json()
    listed = next(t for t in admin.get("/api/v1/teams").json()["items"] if t["id"] == team["id"])
    assert listed == renamed.json()

    taken = admin.get(f"/api/v1/teams/{world.team_a}").json()["name"]
    body = problem(admin.patch(f"/api/v1/teams/{team['id']}", json={"name": taken.upper()}), 409)
    assert fields(body) == {"name"}
    body = problem(admin.patch(f"/api/v1/teams/{team['id']}", json={"colour": "red"}), 422)
    assert fields(body) == {"colour"}
    body = problem(admin.patch(f"/api/v1/teams/{team['id']}", json={"manager_id": "boss"}), 422)
    assert fields(body) == {"manager_id"}

    user = invite(admin, full_name=f"Member {word(6).title()}", team_id=team["id"])
    body = problem(admin.delete(f"/api/v1/teams/{team['id']}"), 409)
    assert user["full_name"] in body["detail"] and "still has 1 user" in body["detail"]
    assert admin.get(f"/api/v1/teams/{team['id']}").json()["user_count"] == 1

    moved = admin.patch(f"/api/v1/users/{user['id']}", json={"team_id": world.team_a})
    assert moved.status_code == 200, moved.text
    deleted = admin.delete(f"/api/v1/teams/{team['id']}")
    assert deleted.status_code == 204 and deleted.content == b""
    problem(admin.get(f"/api/v1/teams/{team['id']}"), 404)
    problem(admin.delete(f"/api/v1/teams/{team['id']}"), 404)


def test_a_temporary_password_is_changed_before_anything_else(
    admin: httpx.Client, login: Login
) -> None:
    user = invite(admin)
    assert user["password_change_required"] is True
    session = login(user["email"], user["temporary_password"])
    me = session.get("/api/v1/me")
    assert me.status_code == 200 and me.json()["password_change_required"] is True
    # nothing else answers meanwhile, and the problem says what to do
    for refused in (session.get("/api/v1/leads"), session.get("/api/v1/me/preferences")):
        body = problem(refused, 403)
        assert "new password" in body["detail"] and fields(body) == {"password"}
    weak = session.patch("/api/v1/me", json={"password": "short"})
    assert problem(weak, 422) and "password" in fields(weak.json())
    chosen = f"Chosen-{word(12)}-8"
    changed = session.patch("/api/v1/me", json={"password": chosen})
    assert changed.status_code == 200 and changed.json()["password_change_required"] is False
    # the same session carries on at once (the gateway forgot the cached caller)
    assert session.get("/api/v1/leads").status_code == 200
    assert login(user["email"], chosen).get("/api/v1/leads").status_code == 200

    # an administrator asks for it on a typed password: the same holds
    typed = f"Typed-{word(12)}-4"
    reset = admin.post(
        f"/api/v1/users/{user['id']}/reset-password",
        json={"password": typed, "password_change_required": True},
    )
    assert reset.status_code == 200 and reset.json()["password_change_required"] is True
    problem(login(user["email"], typed).get("/api/v1/leads"), 403)
