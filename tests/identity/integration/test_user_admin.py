"""Administering users and teams in a real identity container, over real RabbitMQ and
PostgreSQL: inviting a user with a temporary password, resetting one, the refusals that
keep Osprey administrable, and changing and deleting teams."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from nameko.events import event_handler
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.identity.service import IdentityService
from services.platform.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
)

ADMIN_EMAIL = "chief@osprey.test"
ADMIN_PASSWORD = "Kestrel-harbour-4217"
REP_PASSWORD = "Larch-meadow-9034"


class TeamEventsWatcher:
    name = "team_events_watcher"

    @event_handler("identity", "team_updated")
    def handle_team_updated(self, event: dict) -> dict:
        return event

    @event_handler("identity", "team_deleted")
    def handle_team_deleted(self, event: dict) -> dict:
        return event

    @event_handler("identity", "user_updated")
    def handle_user_updated(self, event: dict) -> dict:
        return event


@pytest.fixture
def config(service_config: dict) -> dict:
    return {**service_config, "ADMIN_EMAIL": ADMIN_EMAIL, "ADMIN_PASSWORD": ADMIN_PASSWORD}


@pytest.fixture
def identity(container_factory, config):
    container = container_factory(IdentityService, config)
    container.start()
    return container


def call(container, method: str, *args: Any, **kwargs: Any) -> Any:
    with entrypoint_hook(container, method) as entrypoint:
        return entrypoint(*args, **kwargs)


def sign_in(container, email: str, password: str) -> tuple[str, dict]:
    token = call(container, "login", email, password)["token"]
    return token, call(container, "authenticate_token", token)


@pytest.fixture
def admin(identity) -> dict:
    return sign_in(identity, ADMIN_EMAIL, ADMIN_PASSWORD)[1]


def role_id(container, actor: dict, name: str) -> str:
    return next(r["id"] for r in call(container, "list_roles", actor=actor) if r["name"] == name)


def make_user(container, admin: dict, email: str, **extra: Any) -> dict:
    data = {"email": email, "full_name": "Some One", "password": REP_PASSWORD, **extra}
    return call(container, "create_user", data, actor=admin)


@pytest.fixture
def rep(identity, admin) -> dict:
    make_user(identity, admin, "rep@osprey.test", full_name="Rita Rep")
    return sign_in(identity, "rep@osprey.test", REP_PASSWORD)[1]


def count(engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


# --- inviting ---------------------------------------------------------------------------


def test_an_invited_user_gets_a_temporary_password_that_signs_them_in(identity, admin, db_engine):
    team = call(identity, "create_team", {"name": "North"}, actor=admin)
    manager = role_id(identity, admin, "sales_manager")

    invited = call(
        identity,
        "invite_user",
        {
            "email": "Nora@Osprey.test",
            "full_name": "Nora North",
            "role_ids": [manager],
            "team_id": team["id"],
        },
        actor=admin,
    )

    user, temporary = invited["user"], invited["temporary_password"]
    assert (user["email"], user["roles"], user["team_id"]) == (
        "nora@osprey.test", ["sales_manager"], team["id"]
    )  # fmt: skip
    assert len(temporary) >= 16
    _, actor = sign_in(identity, "nora@osprey.test", temporary)
    assert actor["id"] == user["id"] and actor["roles"] == ["sales_manager"]
    # kept only as its hash, and no event carries it
    assert (
        count(
            db_engine, "SELECT count(*) FROM identity.users WHERE password_hash = :p", p=temporary
        )
        == 0
    )
    assert (
        count(
            db_engine,
            "SELECT count(*) FROM identity.outbox WHERE envelope::text LIKE :p",
            p=f"%{temporary}%",
        )
        == 0
    )


def test_an_invitation_with_a_typed_password_uses_it_and_shows_none(identity, admin):
    invited = call(
        identity,
        "invite_user",
        {"email": "ola@osprey.test", "full_name": "Ola", "password": REP_PASSWORD},
        actor=admin,
    )
    assert invited["temporary_password"] is None
    assert invited["user"]["roles"] == ["sales_rep"]  # the default role
    sign_in(identity, "ola@osprey.test", REP_PASSWORD)


def test_two_invitations_never_get_the_same_password(identity, admin):
    passwords = {
        call(
            identity,
            "invite_user",
            {"email": f"u{i}@osprey.test", "full_name": f"U {i}"},
            actor=admin,
        )["temporary_password"]
        for i in range(3)
    }
    assert len(passwords) == 3


def test_only_an_admin_invites_and_bad_data_writes_nothing(identity, admin, rep, db_engine):
    with pytest.raises(PermissionDenied):
        call(identity, "invite_user", {"email": "x@osprey.test", "full_name": "X"}, actor=rep)
    with pytest.raises(ValidationFailed) as exc:
        call(
            identity,
            "invite_user",
            {
                "email": "not-an-email",
                "full_name": " ",
                "team_id": "00000000-0000-7000-8000-0000000000ff",
            },
            actor=admin,
        )
    assert {e["field"] for e in exc.value.errors} == {"email", "full_name"}
    with pytest.raises(ValidationFailed) as exc:
        call(
            identity,
            "invite_user",
            {
                "email": "y@osprey.test",
                "full_name": "Y",
                "team_id": "00000000-0000-7000-8000-0000000000ff",
            },
            actor=admin,
        )
    assert exc.value.errors == [{"field": "team_id", "message": "no such team"}]
    with pytest.raises(Conflict):
        call(
            identity, "invite_user", {"email": "REP@osprey.test", "full_name": "Again"}, actor=admin
        )
    assert count(db_engine, "SELECT count(*) FROM identity.users") == 2  # the admin and the rep


# --- resetting a password -----------------------------------------------------------------


def test_a_reset_ends_every_session_and_only_the_temporary_password_works(
    container_factory, service_config, identity, admin, rep
):
    watcher = container_factory(TeamEventsWatcher, service_config)
    watcher.start()
    token_one, _ = sign_in(identity, "rep@osprey.test", REP_PASSWORD)
    token_two, _ = sign_in(identity, "rep@osprey.test", REP_PASSWORD)

    with entrypoint_waiter(watcher, "handle_user_updated") as updated:
        reset = call(identity, "reset_password", rep["id"], {}, actor=admin)

    temporary = reset["temporary_password"]
    assert reset["user"]["id"] == rep["id"] and len(temporary) >= 16
    for token in (token_one, token_two):
        with pytest.raises(Unauthenticated):
            call(identity, "authenticate_token", token)
    with pytest.raises(Unauthenticated):
        sign_in(identity, "rep@osprey.test", REP_PASSWORD)
    sign_in(identity, "rep@osprey.test", temporary)
    data = updated.get()["data"]
    assert data["changed_fields"] == ["password", "password_change_required"]
    assert data["password_change_required"] is True
    assert temporary not in str(data)


def test_a_reset_to_a_typed_password(identity, admin, rep):
    reset = call(
        identity, "reset_password", rep["id"], {"password": "Quarry-lantern-5521"}, actor=admin
    )
    assert reset["temporary_password"] is None
    sign_in(identity, "rep@osprey.test", "Quarry-lantern-5521")


def test_a_refused_reset_changes_nothing(identity, admin, rep, db_engine):
    token, _ = sign_in(identity, "rep@osprey.test", REP_PASSWORD)
    with pytest.raises(ValidationFailed) as exc:
        call(identity, "reset_password", rep["id"], {"password": "short"}, actor=admin)
    assert [e["field"] for e in exc.value.errors] == ["password"]
    with pytest.raises(ValidationFailed) as exc:
        call(identity, "reset_password", rep["id"], {"colour": "red"}, actor=admin)
    assert exc.value.errors == [{"field": "colour", "message": "unknown field"}]
    with pytest.raises(PermissionDenied):
        call(identity, "reset_password", admin["id"], {}, actor=rep)
    with pytest.raises(PermissionDenied):
        call(identity, "reset_password", rep["id"], {}, actor=rep)  # their own: Settings
    for missing in ("00000000-0000-7000-8000-0000000000ff", "not-a-uuid"):
        with pytest.raises(NotFound):
            call(identity, "reset_password", missing, {}, actor=admin)

    assert call(identity, "authenticate_token", token)["id"] == rep["id"]  # still signed in
    sign_in(identity, "rep@osprey.test", REP_PASSWORD)
    assert count(db_engine, "SELECT count(*) FROM identity.outbox WHERE type = 'user_updated'") == 0


# --- what keeps Osprey administrable ------------------------------------------------------


def test_an_admin_cannot_deactivate_themself_even_with_another_admin(identity, admin):
    other = make_user(
        identity, admin, "second@osprey.test", role_ids=[role_id(identity, admin, "admin")]
    )
    with pytest.raises(Conflict) as exc:
        call(identity, "update_user", admin["id"], {"is_active": False}, actor=admin)
    assert exc.value.errors == [{"field": "is_active", "message": "you cannot deactivate yourself"}]
    assert "cannot deactivate yourself" in exc.value.message
    assert call(identity, "get_user", admin["id"], actor=admin)["is_active"] is True

    # the other administrator can, and the first one's sessions end with it
    _, second = sign_in(identity, "second@osprey.test", REP_PASSWORD)
    token, _ = sign_in(identity, ADMIN_EMAIL, ADMIN_PASSWORD)
    call(identity, "update_user", admin["id"], {"is_active": False}, actor=second)
    with pytest.raises(Unauthenticated):
        call(identity, "authenticate_token", token)
    assert other["roles"] == ["admin"]


def test_the_last_admin_keeps_the_admin_role_with_a_reason(identity, admin, rep):
    with pytest.raises(Conflict) as exc:
        call(identity, "update_user", admin["id"], {"role_ids": []}, actor=admin)
    assert "last active administrator" in exc.value.message
    assert exc.value.errors == [
        {"field": "role_ids", "message": "the last active administrator must stay one"}
    ]
    assert call(identity, "get_user", admin["id"], actor=admin)["roles"] == ["admin"]


def test_an_admin_moves_a_user_to_a_team_and_changes_their_roles(identity, admin, rep):
    team = call(identity, "create_team", {"name": "East"}, actor=admin)
    manager = role_id(identity, admin, "sales_manager")
    changed = call(
        identity,
        "update_user",
        rep["id"],
        {"team_id": team["id"], "role_ids": [manager]},
        actor=admin,
    )
    assert (changed["team_id"], changed["roles"]) == (team["id"], ["sales_manager"])
    with pytest.raises(PermissionDenied):
        call(identity, "update_user", rep["id"], {"team_id": None}, actor=rep)


# --- teams --------------------------------------------------------------------------------


def test_a_team_is_renamed_and_given_a_manager(
    container_factory, service_config, identity, admin, rep, db_engine
):
    watcher = container_factory(TeamEventsWatcher, service_config)
    watcher.start()
    team = call(identity, "create_team", {"name": "West"}, actor=admin)

    with entrypoint_waiter(watcher, "handle_team_updated") as updated:
        changed = call(
            identity,
            "update_team",
            team["id"],
            {"name": "  Far   West ", "manager_id": rep["id"]},
            actor=admin,
        )
    assert changed == {
        "id": team["id"],
        "name": "Far West",
        "manager_id": rep["id"],
        "user_count": 0,
    }
    event = updated.get()
    assert event["data"] == {
        "id": team["id"], "name": "Far West", "manager_id": rep["id"],
        "changed_fields": ["name", "manager_id"],
    }  # fmt: skip
    assert call(identity, "get_team", team["id"], actor=rep) == changed

    # the same name in other letters is its own; no manager is null; a no-op emits nothing
    assert (
        call(identity, "update_team", team["id"], {"name": "FAR WEST"}, actor=admin)["name"]
        == "FAR WEST"
    )
    assert (
        call(identity, "update_team", team["id"], {"manager_id": None}, actor=admin)["manager_id"]
        is None
    )
    before = count(db_engine, "SELECT count(*) FROM identity.outbox WHERE type = 'team_updated'")
    call(identity, "update_team", team["id"], {"name": "FAR WEST"}, actor=admin)
    assert (
        count(db_engine, "SELECT count(*) FROM identity.outbox WHERE type = 'team_updated'")
        == before
    )


def test_a_refused_team_change_changes_nothing(identity, admin, rep):
    team = call(identity, "create_team", {"name": "South"}, actor=admin)
    call(identity, "create_team", {"name": "Key Accounts"}, actor=admin)
    gone = make_user(identity, admin, "gone@osprey.test", is_active=False)

    with pytest.raises(Conflict) as exc:
        call(identity, "update_team", team["id"], {"name": "key accounts"}, actor=admin)
    assert exc.value.errors == [{"field": "name", "message": "is already taken"}]
    for data, error in [
        ({"name": "  "}, {"field": "name", "message": "is required"}),
        ({"manager_id": "boss"}, {"field": "manager_id", "message": "must be a user id"}),
        ({"size": 3}, {"field": "size", "message": "unknown field"}),
        (
            {"manager_id": "00000000-0000-7000-8000-0000000000ff"},
            {"field": "manager_id", "message": "no such user"},
        ),
        ({"manager_id": gone["id"]}, {"field": "manager_id", "message": "the user is deactivated"}),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            call(identity, "update_team", team["id"], data, actor=admin)
        assert exc.value.errors == [error]
    with pytest.raises(PermissionDenied):
        call(identity, "update_team", team["id"], {"name": "Mine"}, actor=rep)
    with pytest.raises(NotFound):
        call(
            identity,
            "update_team",
            "00000000-0000-7000-8000-0000000000ff",
            {"name": "X"},
            actor=admin,
        )
    assert call(identity, "get_team", team["id"], actor=admin)["name"] == "South"


def test_only_an_empty_team_is_deleted_and_the_refusal_names_who_is_in_it(
    container_factory, service_config, identity, admin, rep, db_engine
):
    watcher = container_factory(TeamEventsWatcher, service_config)
    watcher.start()
    team = call(identity, "create_team", {"name": "Doomed"}, actor=admin)
    call(identity, "update_user", rep["id"], {"team_id": team["id"]}, actor=admin)
    away = make_user(identity, admin, "away@osprey.test", full_name="Abe Away", is_active=False)
    call(identity, "update_user", away["id"], {"team_id": team["id"]}, actor=admin)
    assert (
        next(t for t in call(identity, "list_teams", actor=admin) if t["id"] == team["id"])[
            "user_count"
        ]
        == 2
    )

    with pytest.raises(Conflict) as exc:
        call(identity, "delete_team", team["id"], actor=admin)
    assert exc.value.message == (
        "The team “Doomed” still has 2 users: Abe Away, Rita Rep. Move them to another team first."
    )
    assert exc.value.errors == [
        {"field": "users", "message": "still in the team: Abe Away, Rita Rep"}
    ]
    with pytest.raises(PermissionDenied):
        call(identity, "delete_team", team["id"], actor=rep)
    assert count(db_engine, "SELECT count(*) FROM identity.teams WHERE id = :t", t=team["id"]) == 1

    for user in (rep, away):
        call(identity, "update_user", user["id"], {"team_id": None}, actor=admin)
    with entrypoint_waiter(watcher, "handle_team_deleted") as deleted:
        assert call(identity, "delete_team", team["id"], actor=admin) is None
    assert deleted.get()["data"] == {"id": team["id"], "name": "Doomed", "manager_id": None}
    assert count(db_engine, "SELECT count(*) FROM identity.teams WHERE id = :t", t=team["id"]) == 0
    with pytest.raises(NotFound):
        call(identity, "delete_team", team["id"], actor=admin)
    with pytest.raises(NotFound):
        call(identity, "get_team", team["id"], actor=admin)
    # its name is free again
    call(identity, "create_team", {"name": "Doomed"}, actor=admin)


def test_a_temporary_password_must_be_changed_before_anything_else(identity, admin):
    invited = call(
        identity,
        "invite_user",
        {"email": "tess@osprey.test", "full_name": "Tess Temp"},
        actor=admin,
    )
    assert invited["user"]["password_change_required"] is True
    temporary = invited["temporary_password"]
    signed = call(identity, "login", "tess@osprey.test", temporary)
    assert signed["user"]["password_change_required"] is True
    token, actor = sign_in(identity, "tess@osprey.test", temporary)
    assert actor["password_change_required"] is True  # the gateway lets it change the password only

    # an administrator's wish is not the user's to undo
    with pytest.raises(PermissionDenied):
        call(identity, "update_user", actor["id"], {"password_change_required": False}, actor=actor)
    # choosing their own password clears it; this session stays, the others end
    other, _ = sign_in(identity, "tess@osprey.test", temporary)
    mine = call(
        identity, "update_user", actor["id"], {"password": "Heron-valley-6612"}, actor=actor
    )
    assert mine["password_change_required"] is False
    assert "password_change_required" not in call(identity, "authenticate_token", token)
    with pytest.raises(Unauthenticated):
        call(identity, "authenticate_token", other)

    # a reset to a typed password asks nothing unless the administrator says so
    typed = call(
        identity, "reset_password", actor["id"], {"password": "Osprey-cliff-4410"}, actor=admin
    )
    assert typed["user"]["password_change_required"] is False
    asked = call(
        identity,
        "reset_password",
        actor["id"],
        {"password": "Osprey-cliff-4411", "password_change_required": True},
        actor=admin,
    )
    assert asked["user"]["password_change_required"] is True
    # and an administrator may ask for it, or take it back, on the user's record
    back = call(
        identity, "update_user", actor["id"], {"password_change_required": False}, actor=admin
    )
    assert back["password_change_required"] is False
    with pytest.raises(ValidationFailed):
        call(identity, "update_user", actor["id"], {"password_change_required": "yes"}, actor=admin)


@pytest.mark.parametrize(
    "more",
    [
        {"password": "Quartz-harbour-5521"},
        {"role_ids": []},
        {"is_active": False},
    ],
)
def test_an_email_taken_meanwhile_is_a_conflict_whatever_else_changes(
    identity, admin, rep, monkeypatch, more
):
    """The email check passed, then another request took the email before this change
    was written (the fuzzer's parallel workers did): the clash is still the caller's
    Conflict, also when the change goes on to end sessions or rewrite roles (which
    would otherwise write the user first, outside the check)."""
    from services.identity import store

    make_user(identity, admin, "taken@osprey.test")
    monkeypatch.setattr(store, "_check_email_free", lambda db, email: None)  # the race
    with pytest.raises(Conflict) as exc:
        call(identity, "update_user", rep["id"], {"email": "taken@osprey.test", **more},
             actor=admin)  # fmt: skip
    assert exc.value.errors == [{"field": "email", "message": "is already taken"}]
    assert call(identity, "get_user", rep["id"], actor=admin)["email"] == "rep@osprey.test"
