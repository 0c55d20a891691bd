# ruff: noqa: F811 - pytest fixtures arrive as parameters named like the imports
"""Access rights per role in the real identity service: read and set by an admin,
checked field by field, announced by ``role_rights_changed``, and carried in every
holder's actor as their merged rights."""

from __future__ import annotations

import json

import pytest
from nameko.events import event_handler
from nameko.testing.services import entrypoint_waiter

from services.platform.errors import NotFound, PermissionDenied, ValidationFailed

# the fixtures of the identity service's own tests (admin, config, identity) are used here
from .test_identity_service import (  # noqa: F401
    admin,
    call,
    config,
    identity,
    make_user,
    role_id,
    sign_in,
)

PASSWORD = "Kettle-violet-2291"


class RightsWatcher:
    name = "rights_watcher"

    @event_handler("identity", "role_rights_changed")
    def handle_role_rights_changed(self, event: dict) -> dict:
        return event


def test_seeded_roles_hold_todays_rights(identity, admin):  # noqa: F811
    rep = call(identity, "get_role_rights", role_id(identity, admin, "sales_rep"), actor=admin)
    assert rep["role_name"] == "sales_rep"
    assert rep["rights"]["leads"] == {
        "create": True, "read": True, "update": True, "delete": True, "export": True,
        "read_scope": "team", "write_scope": "own", "hidden": [], "read_only": [],
    }  # fmt: skip
    assert rep["rights"]["products"]["create"] is False
    manager = call(
        identity, "get_role_rights", role_id(identity, admin, "sales_manager"), actor=admin
    )
    assert {
        (r["read_scope"], r["write_scope"]) for e, r in manager["rights"].items() if e != "products"
    } == {("team", "team")}


def test_an_admin_changes_a_roles_rights_and_its_holders_carry_them(
    container_factory,
    service_config,
    identity,
    admin,  # noqa: F811
):
    watcher = container_factory(RightsWatcher, service_config)
    watcher.start()
    rep_role = role_id(identity, admin, "sales_rep")
    manager_role = role_id(identity, admin, "sales_manager")
    make_user(identity, admin, "rep@osprey.test", role_ids=[rep_role])
    make_user(identity, admin, "both@osprey.test", role_ids=[rep_role, manager_role])

    change = {
        "leads": {
            "read": True, "update": True, "read_scope": "own", "write_scope": "own",
            "hidden": ["email"], "read_only": ["score", "phone"],
        }
    }  # fmt: skip
    with entrypoint_waiter(watcher, "handle_role_rights_changed") as changed:
        answer = call(
            identity, "update_role_rights", rep_role, change, actor=admin,
            known_fields={"leads": ["id", "email", "phone", "score"]},
        )  # fmt: skip
    assert answer["rights"]["leads"]["create"] is False
    assert answer["rights"]["leads"]["hidden"] == ["email"]
    event = changed.get()
    assert event["data"]["changed_entities"] == ["leads"]
    assert event["data"]["role_name"] == "sales_rep"
    assert call(identity, "get_role_rights", rep_role, actor=admin) == answer

    _, rep = sign_in(identity, "rep@osprey.test", PASSWORD)
    assert rep["rights"]["leads"] == {
        "ops": "ru", "read": "own", "write": "own",
        "hidden": ["email"], "read_only": ["phone", "score"],
    }  # fmt: skip
    # the other entities keep what they had
    assert rep["rights"]["accounts"] == {"ops": "crudx", "read": "team", "write": "own"}
    # a manager as well: the roles merge, and the manager's role hides nothing
    _, both = sign_in(identity, "both@osprey.test", PASSWORD)
    assert both["rights"]["leads"] == {"ops": "crudx", "read": "team", "write": "team"}
    # what goes with every call stays small
    assert len(json.dumps(both["rights"], separators=(",", ":"))) < 600


def test_only_an_admin_sets_rights_and_bad_ones_are_named(identity, admin):  # noqa: F811
    rep_role = role_id(identity, admin, "sales_rep")
    make_user(identity, admin, "rep@osprey.test", role_ids=[rep_role])
    _, rep = sign_in(identity, "rep@osprey.test", PASSWORD)
    with pytest.raises(PermissionDenied):
        call(identity, "get_role_rights", rep_role, actor=rep)
    with pytest.raises(PermissionDenied):
        call(identity, "update_role_rights", rep_role, {"leads": {"read": True}}, actor=rep)
    with pytest.raises(NotFound):
        call(identity, "get_role_rights", "00000000-0000-7000-8000-000000000999", actor=admin)
    with pytest.raises(ValidationFailed) as caught:
        call(
            identity, "update_role_rights", rep_role,
            {"leads": {"read": True, "write_scope": "all", "hidden": ["shoe_size"]}},
            actor=admin, known_fields={"leads": ["id", "email"]},
        )  # fmt: skip
    fields = {e["field"] for e in caught.value.errors}
    assert fields == {"leads.write_scope"}  # field names are checked once the rest is right
    with pytest.raises(ValidationFailed) as caught:
        call(
            identity, "update_role_rights", rep_role,
            {"leads": {"read": True, "hidden": ["shoe_size"]}},
            actor=admin, known_fields={"leads": ["id", "email"]},
        )  # fmt: skip
    assert caught.value.errors == [{"field": "leads.hidden", "message": "no such field: shoe_size"}]
    # nothing was changed by the refused calls
    assert call(identity, "get_role_rights", rep_role, actor=admin)["rights"]["leads"]["create"]
