"""The administration entrypoints with their dependencies replaced (``worker_factory``):
who may invite, reset a password, change or delete a team is decided, and bad data is
refused, before anything is written; what is written is committed once."""

from __future__ import annotations

from unittest.mock import MagicMock

import pytest
from nameko.testing.services import worker_factory

from services.identity.service import IdentityService
from services.platform.db import ServiceSession
from services.platform.errors import Conflict, PermissionDenied, ValidationFailed

from .test_service import ADMIN, REP, SETTINGS, TEAM_ID, USER_ID, replace_store

USER = {"id": USER_ID, "email": "n@x.io", "roles": ["sales_rep"]}


@pytest.fixture
def identity():
    return worker_factory(IdentityService, db=MagicMock(spec=ServiceSession), settings=SETTINGS)


@pytest.mark.parametrize(
    ("method", "args", "store_name"),
    [
        ("invite_user", ({"email": "n@x.io", "full_name": "N"},), "create_user"),
        ("reset_password", (USER_ID, {}), "update_user"),
        ("update_team", (TEAM_ID, {"name": "South"}), "teams_store.update_team"),
        ("delete_team", (TEAM_ID,), "teams_store.delete_team"),
    ],
)
def test_a_rep_is_refused_before_anything_is_touched(
    monkeypatch, identity, method, args, store_name
):
    double, _ = replace_store(monkeypatch, identity, store_name)
    with pytest.raises(PermissionDenied):
        getattr(identity, method)(*args, actor=REP)
    double.assert_not_called()
    assert identity.db.method_calls == []


def test_an_invitation_stores_the_made_password_then_commits(monkeypatch, identity):
    create_user, steps = replace_store(monkeypatch, identity, "create_user", returns=USER)
    answer = identity.invite_user({"email": "N@x.io", "full_name": " N "}, actor=ADMIN)
    temporary = answer["temporary_password"]
    assert answer == {"user": USER, "temporary_password": temporary}
    changes = create_user.call_args.args[1]
    assert (changes["email"], changes["full_name"], changes["password"]) == (
        "n@x.io", "N", temporary
    )  # fmt: skip
    assert steps == ["create_user", "commit"]


def test_a_bad_invitation_is_refused_before_the_database(monkeypatch, identity):
    create_user, _ = replace_store(monkeypatch, identity, "create_user")
    with pytest.raises(ValidationFailed) as exc:
        identity.invite_user({"email": "nobody", "full_name": "N"}, actor=ADMIN)
    assert [e["field"] for e in exc.value.errors] == ["email"]
    create_user.assert_not_called()
    assert identity.db.method_calls == []


def test_a_reset_hands_the_store_the_new_password_then_commits(monkeypatch, identity):
    update_user, steps = replace_store(monkeypatch, identity, "update_user", returns=USER)
    answer = identity.reset_password(USER_ID, {}, actor=ADMIN)
    temporary = answer["temporary_password"]
    assert answer == {"user": USER, "temporary_password": temporary}
    assert update_user.call_args.args[1:] == (
        USER_ID,
        {"password": temporary, "password_change_required": True},
    )
    assert steps == ["update_user", "commit"]


def test_a_bad_reset_is_refused_before_the_database(monkeypatch, identity):
    update_user, _ = replace_store(monkeypatch, identity, "update_user")
    with pytest.raises(ValidationFailed):
        identity.reset_password(USER_ID, {"password": "short"}, actor=ADMIN)
    update_user.assert_not_called()
    assert identity.db.method_calls == []


def test_a_team_change_is_cleaned_stored_and_committed(monkeypatch, identity):
    team = {"id": TEAM_ID, "name": "Far West", "manager_id": None, "user_count": 0}
    update_team, steps = replace_store(
        monkeypatch, identity, "teams_store.update_team", returns=team
    )
    assert identity.update_team(TEAM_ID, {"name": " Far  West "}, actor=ADMIN) == team
    update_team.assert_called_once_with(identity.db, TEAM_ID, {"name": "Far West"}, actor=ADMIN)
    assert steps == ["update_team", "commit"]


def test_a_refused_deletion_commits_nothing(monkeypatch, identity):
    _, steps = replace_store(
        monkeypatch, identity, "teams_store.delete_team", raises=Conflict("still has users")
    )
    with pytest.raises(Conflict):
        identity.delete_team(TEAM_ID, actor=ADMIN)
    assert steps == ["delete_team"]
