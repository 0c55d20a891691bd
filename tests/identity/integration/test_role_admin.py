# ruff: noqa: F811 - pytest fixtures arrive as parameters named like the imports
"""Roles an administrator makes in the real identity service: created (from nothing or
based on another role's permissions and rights), renamed, deleted when nobody holds
them — and refused with a clear problem when someone does, when the role is one of
Osprey's own, or when the name is taken, reserved or bad."""

from __future__ import annotations

import eventlet
import pytest
import sqlalchemy as sa
from nameko.events import event_handler
from nameko.testing.services import entrypoint_waiter

from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .test_identity_service import (  # noqa: F401
    admin,
    call,
    config,
    count,
    identity,
    make_user,
    role_id,
    sign_in,
)


class RolesWatcher:
    name = "roles_watcher"

    @event_handler("identity", "role_deleted")
    def handle_role_deleted(self, event: dict) -> dict:
        return event


def test_an_admin_makes_renames_and_deletes_a_role(
    container_factory, service_config, identity, admin, db_engine
):
    made = call(identity, "create_role", {"name": "  Field   sales "}, actor=admin)
    assert made["name"] == "Field sales"
    assert "leads.read" in made["permissions"] and "users.manage" not in made["permissions"]
    rights = call(identity, "get_role_rights", made["id"], actor=admin)["rights"]
    assert not any(r["read"] for r in rights.values())  # grants nothing until set
    # based on the sales manager: its permissions and rights
    manager = role_id(identity, admin, "sales_manager")
    based = call(identity, "create_role", {"name": "Deputy", "based_on": manager}, actor=admin)
    theirs = call(identity, "get_role_rights", manager, actor=admin)["rights"]
    assert call(identity, "get_role_rights", based["id"], actor=admin)["rights"] == theirs
    assert "records.assign" in based["permissions"]
    # a holder carries the role by its new name
    user = make_user(identity, admin, "fay@osprey.test", role_ids=[made["id"]])
    renamed = call(identity, "update_role", made["id"], {"name": "Key accounts"}, actor=admin)
    assert renamed == {**made, "name": "Key accounts"}
    _, fay = sign_in(identity, "fay@osprey.test", "Kettle-violet-2291")
    assert fay["roles"] == ["Key accounts"]
    # held: refused, naming the holder, and nothing deleted
    with pytest.raises(Conflict) as exc:
        call(identity, "delete_role", made["id"], actor=admin)
    assert exc.value.message == (
        "The role “Key accounts” is held by 1 user: Some One. Give them another role first."
    )
    assert exc.value.errors == [{"field": "users", "message": "still hold the role: Some One"}]
    # a deactivated holder still holds it
    call(identity, "update_user", user["id"], {"is_active": False}, actor=admin)
    with pytest.raises(Conflict):
        call(identity, "delete_role", made["id"], actor=admin)
    call(identity, "update_user", user["id"], {"role_ids": [based["id"]]}, actor=admin)
    watcher = container_factory(RolesWatcher, service_config)
    watcher.start()
    with entrypoint_waiter(watcher, "handle_role_deleted") as deleted:
        assert call(identity, "delete_role", made["id"], actor=admin) is None
    assert deleted.get()["data"]["name"] == "Key accounts"
    assert "Key accounts" not in {r["name"] for r in call(identity, "list_roles", actor=admin)}
    assert count(db_engine, "SELECT count(*) FROM identity.role_object_rights WHERE role_id = "
                 ":r", r=made["id"]) == 0  # fmt: skip
    with pytest.raises(NotFound):
        call(identity, "delete_role", made["id"], actor=admin)


def test_refusals_name_the_field_and_change_nothing(identity, admin, db_engine):
    mine = call(identity, "create_role", {"name": "Partners"}, actor=admin)
    before = count(db_engine, "SELECT count(*) FROM identity.roles")
    for data, field in (
        ({}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"name": "bad\u0000name"}, "name"),
        ({"name": "System"}, "name"),  # the services' own caller
        ({"name": "ADMIN"}, "name"),
        ({"name": "Ok", "permissions": ["users.manage"]}, "permissions"),
        ({"name": "Ok", "based_on": "not-an-id"}, "based_on"),
    ):
        with pytest.raises(ValidationFailed) as exc:
            call(identity, "create_role", data, actor=admin)
        assert [e["field"] for e in exc.value.errors] == [field], data
    with pytest.raises(Conflict) as exc:
        call(identity, "create_role", {"name": "partners"}, actor=admin)
    assert exc.value.errors == [{"field": "name", "message": "is already taken"}]
    with pytest.raises(NotFound):
        call(identity, "create_role", {"name": "Ok", "based_on": mine["id"][:-1] + "0"}, admin)
    assert count(db_engine, "SELECT count(*) FROM identity.roles") == before
    # Osprey's own roles keep their names and stay
    rep = role_id(identity, admin, "sales_rep")
    with pytest.raises(Conflict) as exc:
        call(identity, "update_role", rep, {"name": "Reps"}, actor=admin)
    assert "one of Osprey's own roles" in exc.value.message
    with pytest.raises(Conflict):
        call(identity, "delete_role", rep, actor=admin)
    with pytest.raises(ValidationFailed):
        call(identity, "update_role", mine["id"], {"based_on": rep, "name": "X"}, actor=admin)
    # only administrators
    make_user(identity, admin, "rep@osprey.test")
    _, rep_actor = sign_in(identity, "rep@osprey.test", "Kettle-violet-2291")
    for method, args in (
        ("create_role", ({"name": "Mine"},)),
        ("update_role", (mine["id"], {"name": "Mine"})),
        ("delete_role", (mine["id"],)),
    ):
        with pytest.raises(PermissionDenied):
            call(identity, method, *args, actor=rep_actor)


def test_a_role_given_to_someone_while_it_is_deleted_is_not_lost(identity, admin, db_engine):
    """A user's change that gives a role holds a key-share lock on it (as
    ``store._check_roles_exist`` takes it): a deletion waits for it, then counts the
    new holder and refuses, instead of the cascade silently taking the role away."""
    role = call(identity, "create_role", {"name": "Racers"}, actor=admin)
    user = make_user(identity, admin, "rae@osprey.test")
    with db_engine.connect() as conn:
        conn.execute(
            sa.text("SELECT id FROM identity.roles WHERE id = :r FOR KEY SHARE"), {"r": role["id"]}
        )
        deleting = eventlet.spawn(call, identity, "delete_role", role["id"], actor=admin)
        eventlet.sleep(0.5)
        assert not deleting.dead  # waiting for the lock
        conn.execute(
            sa.text("INSERT INTO identity.user_roles (user_id, role_id) VALUES (:u, :r)"),
            {"u": user["id"], "r": role["id"]},
        )
        conn.commit()
    with pytest.raises(Conflict) as exc:
        deleting.wait()
    assert "is held by 1 user" in exc.value.message
    assert "Racers" in {r["name"] for r in call(identity, "list_roles", actor=admin)}
