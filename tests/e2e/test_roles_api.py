"""Roles an administrator makes, renames and deletes, through the whole stack (issue 19
point 2): a role in use is not deleted and the problem says who holds it; Osprey's own
roles stay; a role's holders carry its rights."""

from __future__ import annotations

import httpx
import pytest

from .conftest import Login
from .test_access_rights_api import _role_id
from .test_leads_api import World, fields, problem, word

pytestmark = pytest.mark.e2e

PASSWORD = "Osprey-roles-7731-kite"


def test_an_admin_makes_renames_and_deletes_a_role(world: World, login: Login) -> None:
    admin = world.admin
    name = f"Field {word(6)}"
    made = admin.post(
        "/api/v1/roles", json={"name": name, "based_on": _role_id(world, "sales_rep")}
    )
    assert made.status_code == 201, made.text
    role = made.json()
    assert made.headers["location"] == f"/api/v1/roles/{role['id']}"
    assert role["name"] == name and "leads.read" in role["permissions"]
    listed = {r["name"]: r["id"] for r in admin.get("/api/v1/roles").json()["items"]}
    assert listed[name] == role["id"]
    # its rights are the sales rep's: an admin narrows them to reading leads
    narrowed = admin.put(
        f"/api/v1/roles/{role['id']}/rights",
        json={"leads": {"read": True, "read_scope": "team"}},
    )
    assert narrowed.status_code == 200, narrowed.text
    email = f"{word()}@osprey.test"
    user = admin.post(
        "/api/v1/users",
        json={"email": email, "full_name": "Fay Field", "password": PASSWORD,
              "role_ids": [role["id"]], "team_id": world.team_a},
    )  # fmt: skip
    assert user.status_code == 201, user.text
    holder = login(email, PASSWORD)
    assert holder.get("/api/v1/leads").status_code == 200
    assert holder.post("/api/v1/leads", json={"contact_name": "No"}).status_code == 403

    renamed = admin.patch(f"/api/v1/roles/{role['id']}", json={"name": f"{name} East"})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == f"{name} East"
    assert holder.get("/api/v1/me").json()["roles"] == [f"{name} East"]

    # in use: 409, the problem naming who holds it; nothing deleted
    held = problem(admin.delete(f"/api/v1/roles/{role['id']}"), 409)
    assert held["detail"] == (
        f"The role “{name} East” is held by 1 user: Fay Field. Give them another role first."
    )
    assert fields(held) == {"users"}
    moved = admin.patch(
        f"/api/v1/users/{user.json()['id']}",
        json={"role_ids": [_role_id(world, "sales_rep")]},
    )
    assert moved.status_code == 200, moved.text
    gone = admin.delete(f"/api/v1/roles/{role['id']}")
    assert gone.status_code == 204, gone.text
    problem(admin.delete(f"/api/v1/roles/{role['id']}"), 404)
    problem(admin.get(f"/api/v1/roles/{role['id']}/rights"), 404)


def test_refusals_are_clear_problems(world: World, login: Login) -> None:
    admin = world.admin
    seeded = _role_id(world, "sales_manager")
    renamed = problem(admin.patch(f"/api/v1/roles/{seeded}", json={"name": "Bosses"}), 409)
    assert "one of Osprey's own roles" in renamed["detail"]
    problem(admin.delete(f"/api/v1/roles/{seeded}"), 409)
    for body, field in (
        ({"name": ""}, "name"),
        ({"name": "system"}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"name": "a\u0000b"}, "name"),
        ({"name": "Ok", "based_on": "nope"}, "based_on"),
        ({"name": "Ok", "powers": ["all"]}, "powers"),
    ):
        got = admin.post("/api/v1/roles", json=body)
        assert fields(problem(got, 422)) == {field}, (body, got.text)
    name = f"Taken {word(6)}"
    mine = admin.post("/api/v1/roles", json={"name": name})
    assert mine.status_code == 201, mine.text
    taken = problem(admin.post("/api/v1/roles", json={"name": name.upper()}), 409)
    assert fields(taken) == {"name"}
    rep: httpx.Client = login(world.rep_a1.email, world.rep_a1.password)
    problem(rep.post("/api/v1/roles", json={"name": f"Mine {word(6)}"}), 403)
    problem(rep.patch(f"/api/v1/roles/{mine.json()['id']}", json={"name": "Mine"}), 403)
    problem(rep.delete(f"/api/v1/roles/{mine.json()['id']}"), 403)
    assert admin.delete(f"/api/v1/roles/{mine.json()['id']}").status_code == 204
