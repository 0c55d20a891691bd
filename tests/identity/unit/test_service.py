"""The identity entrypoints with their dependencies replaced (``worker_factory``): rights
and validation are decided before anything is written or committed."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace
from unittest.mock import MagicMock, create_autospec

import pytest
from nameko.testing.services import worker_factory

from services.identity import sessions_store, store, teams_store
from services.identity.dependencies import IdentitySettings
from services.identity.service import IdentityService
from services.platform.access import Actor
from services.platform.db import ServiceSession
from services.platform.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
)

REP = {"id": "00000000-0000-7000-8000-00000000000a", "email": "r@x.io", "roles": ["sales_rep"]}
ADMIN = {"id": "00000000-0000-7000-8000-00000000000b", "email": "a@x.io", "roles": ["admin"]}


@pytest.fixture
def service():
    return worker_factory(IdentityService)


def test_a_rep_creating_a_user_touches_nothing(service):
    with pytest.raises(PermissionDenied):
        service.create_user(
            {"email": "n@x.io", "full_name": "N", "password": "violet-kettle-92"}, actor=REP
        )
    assert service.db.method_calls == []


def test_bad_user_data_is_refused_before_the_database(service):
    with pytest.raises(ValidationFailed) as exc:
        service.create_user({"email": "n@x.io", "full_name": "N", "password": "short"}, actor=ADMIN)
    assert exc.value.errors == [{"field": "password", "message": "must be at least 10 characters"}]
    assert service.db.method_calls == []


def test_a_rep_creating_a_team_touches_nothing(service):
    with pytest.raises(PermissionDenied):
        service.create_team({"name": "Rogue"}, actor=REP)
    assert service.db.method_calls == []


def test_calls_without_a_caller_are_refused(service):
    for call in (
        lambda: service.get_user(REP["id"], actor=None),
        lambda: service.list_users({}, actor={}),
        lambda: service.list_teams(actor=None),
        lambda: service.create_user({}, actor=None),
    ):
        with pytest.raises(Unauthenticated):
            call()
    assert service.db.method_calls == []


def test_malformed_login_input_fails_like_a_wrong_password(service):
    with pytest.raises(Unauthenticated, match="Wrong email or password"):
        service.login(["ann@x.io"], "password")
    assert service.db.commit.called is False


def test_a_malformed_token_is_refused_without_a_query(service):
    for token in (None, "", 12, "x" * 513):
        with pytest.raises(Unauthenticated):
            service.authenticate_token(token)
    assert service.db.method_calls == []


# --- every entrypoint: its checks, its store call, its commit and its event ------------------
#
# The store is replaced where the test is about what the entrypoint hands it; it runs for real
# over the replaced session where the test is about what reaches the outbox (``db.emit``) and
# whether that is committed.

USER_ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
ROLE_ID = "00000000-0000-7000-8000-000000000003"
TEAM_ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
WHEN = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def identity():
    return worker_factory(IdentityService, db=MagicMock(spec=ServiceSession), settings=SETTINGS)


SETTINGS = IdentitySettings(token_ttl_hours=12)


def replace_store(monkeypatch, service, name: str, *, returns=None, raises=None):
    """``store.<name>`` (or ``teams_store.<name>``, ``sessions_store.<name>`` for a name
    so prefixed) replaced by a
    double that checks its arguments against the real signature; ``steps`` records it
    (without the prefix) and the commit in the order they happened."""
    steps: list[str] = []
    prefix, _, name = name.rpartition(".")
    module = {"teams_store": teams_store, "sessions_store": sessions_store}.get(prefix, store)

    def run(*args, **kwargs):
        steps.append(name)
        if raises is not None:
            raise raises
        return returns

    double = create_autospec(getattr(module, name), side_effect=run)
    monkeypatch.setattr(module, name, double)
    service.db.commit.side_effect = lambda: steps.append("commit")
    return double, steps


def outbox_and_commit(service) -> list[str]:
    return [c[0] for c in service.db.mock_calls if c[0] in ("emit", "commit", "rollback")]


def user_row(**values):
    row = {
        "id": USER_ID,
        "email": "rep@x.io",
        "full_name": "Rep",
        "team_id": None,
        "is_active": True,
        "locale": "en",
        "theme": "light",
        "accent_color": None,
        "password_change_required": False,
        "created_at": WHEN,
        "updated_at": WHEN,
        "role_ids": [ROLE_ID],
        "roles": ["sales_rep"],
    }
    row.update(values)
    return SimpleNamespace(**row)


# sessions


def test_login_passes_the_configured_token_lifetime_and_commits_the_session(monkeypatch, identity):
    session = {"token": "t", "expires_at": "2026-03-01T21:30:00Z", "user": {"id": USER_ID}}
    login, steps = replace_store(monkeypatch, identity, "sessions_store.login", returns=session)
    assert identity.login("ann@x.io", "password1") == session
    login.assert_called_once_with(identity.db, "ann@x.io", "password1", ttl_hours=12, address=None)
    assert steps == ["login", "commit"]


def test_a_refused_login_commits_only_its_failure_count(monkeypatch, identity):
    _, steps = replace_store(
        monkeypatch,
        identity,
        "sessions_store.login",
        raises=Unauthenticated("Wrong email or password"),
    )
    count, _ = replace_store(monkeypatch, identity, "sessions_store.record_failure", returns=True)
    identity.db.commit.side_effect = lambda: steps.append("commit")
    with pytest.raises(Unauthenticated):
        identity.login("ann@x.io", "wrong password", address="10.1.2.3")
    count.assert_called_once_with(identity.db, "ann@x.io", "10.1.2.3")
    assert steps == ["login", "commit"]
    assert identity.db.rollback.called  # the refused sign-in's own work is undone first


def test_an_unknown_email_fails_like_a_wrong_password_and_makes_no_token(monkeypatch, identity):
    identity.db.scalar.return_value = None  # nobody has this email
    identity.db.execute.return_value.all.return_value = []  # no lockout
    count, _ = replace_store(monkeypatch, identity, "sessions_store.record_failure", returns=True)
    with pytest.raises(Unauthenticated) as exc:
        identity.login("nobody@x.io", "password1")
    assert exc.value.message == "Wrong email or password"
    identity.db.add.assert_not_called()
    count.assert_called_once()  # an unknown email counts like a wrong password


def test_logout_revokes_through_the_store_and_commits(monkeypatch, identity):
    logout, steps = replace_store(monkeypatch, identity, "sessions_store.logout")
    assert identity.logout("the-token") is None
    logout.assert_called_once_with(identity.db, "the-token")
    assert steps == ["logout", "commit"]


def test_authenticate_token_returns_the_actor_and_commits_its_last_use(monkeypatch, identity):
    actor = {"id": USER_ID, "roles": ["sales_rep"], "permissions": ["leads.read"]}
    authenticate, steps = replace_store(
        monkeypatch, identity, "sessions_store.authenticate", returns=actor
    )
    assert identity.authenticate_token("the-token") == actor
    authenticate.assert_called_once_with(identity.db, "the-token")
    assert steps == ["authenticate", "commit"]


def test_a_rejected_token_commits_nothing(monkeypatch, identity):
    _, steps = replace_store(
        monkeypatch,
        identity,
        "sessions_store.authenticate",
        raises=Unauthenticated("The token is unknown"),
    )
    with pytest.raises(Unauthenticated):
        identity.authenticate_token("revoked-token")
    assert steps == ["authenticate"]


# users


ENTRYPOINTS_WITH_A_CALLER = [
    ("get_user", (USER_ID,), "read_user"),
    ("list_users", ({},), "list_users"),
    (
        "create_user",
        ({"email": "n@x.io", "full_name": "N", "password": "violet-kettle-92"},),
        "create_user",
    ),
    ("update_user", (USER_ID, {"theme": "dark"}), "update_user"),
    ("get_preferences", (), "get_preferences"),
    ("set_preference", ("columns.leads", ["name"]), "set_preference"),
    ("list_teams", (), "teams_store.list_teams"),
    ("get_team", (TEAM_ID,), "teams_store.get_team"),
    ("create_team", ({"name": "North"},), "teams_store.create_team"),
    ("update_team", (TEAM_ID, {"name": "South"}), "teams_store.update_team"),
    ("delete_team", (TEAM_ID,), "teams_store.delete_team"),
    ("list_roles", (), "list_roles"),
]


@pytest.mark.parametrize(("method", "args", "store_name"), ENTRYPOINTS_WITH_A_CALLER)
@pytest.mark.parametrize("actor", [None, {}, {"id": ""}])
def test_every_call_for_a_caller_is_refused_without_one(
    monkeypatch, identity, method, args, store_name, actor
):
    double, _ = replace_store(monkeypatch, identity, store_name)
    with pytest.raises(Unauthenticated):
        getattr(identity, method)(*args, actor=actor)
    double.assert_not_called()
    assert identity.db.method_calls == []


def test_get_user_reads_committed_data_and_writes_nothing(monkeypatch, identity):
    user = {"id": USER_ID, "email": "rep@x.io"}
    read_user, steps = replace_store(monkeypatch, identity, "read_user", returns=user)
    assert identity.get_user(USER_ID, actor=REP) == user
    read_user.assert_called_once_with(identity.db, USER_ID)
    assert steps == ["read_user"]


NO_SUCH_USER = [{"field": "user_id", "message": "no such user"}]


def test_an_unknown_user_is_not_found(identity):
    identity.db.read.return_value = []
    with pytest.raises(NotFound) as exc:
        identity.get_user(USER_ID, actor=REP)
    assert exc.value.message == "No such user"
    assert exc.value.errors == NO_SUCH_USER


def test_an_id_that_is_not_one_names_no_user_and_asks_nothing(identity):
    for user_id in ("me", "", None, 7):
        with pytest.raises(NotFound) as exc:
            identity.get_user(user_id, actor=REP)
        assert exc.value.errors == NO_SUCH_USER
    identity.db.read.assert_not_called()


def test_updating_an_unknown_user_is_not_found_and_commits_nothing(identity):
    identity.db.scalar.return_value = None
    with pytest.raises(NotFound) as exc:
        identity.update_user(USER_ID, {"theme": "dark"}, actor=ADMIN)
    assert exc.value.message == "No such user"
    assert exc.value.errors == NO_SUCH_USER
    identity.db.commit.assert_not_called()


def test_list_users_hands_the_query_to_the_store(monkeypatch, identity):
    page = {"items": [{"id": USER_ID}], "next_cursor": None}
    query = {"filter": {"role": ["admin"]}, "sort": "email"}
    list_users, steps = replace_store(monkeypatch, identity, "list_users", returns=page)
    assert identity.list_users(query, actor=REP) == page
    list_users.assert_called_once_with(identity.db, query)
    assert steps == ["list_users"]


def test_create_user_stores_the_cleaned_data_then_commits(monkeypatch, identity):
    created = {"id": USER_ID, "email": "new@x.io"}
    create_user, steps = replace_store(monkeypatch, identity, "create_user", returns=created)
    data = {"email": " New@X.io ", "full_name": " New  Rep ", "password": "violet-kettle-92"}
    assert identity.create_user(data, actor=ADMIN) == created
    create_user.assert_called_once_with(
        identity.db,
        {
            "email": "new@x.io",
            "full_name": "New Rep",
            "password": "violet-kettle-92",
            "locale": "en",
            "theme": "light",
            "is_active": True,
        },
        actor=ADMIN,
    )
    assert steps == ["create_user", "commit"]


def test_a_taken_email_commits_nothing(monkeypatch, identity):
    taken = Conflict("A user with this email already exists")
    _, steps = replace_store(monkeypatch, identity, "create_user", raises=taken)
    with pytest.raises(Conflict):
        identity.create_user(
            {"email": "a@x.io", "full_name": "A", "password": "violet-kettle-92"}, ADMIN
        )
    assert steps == ["create_user"]


def test_a_created_user_is_announced_without_their_password_and_committed(identity):
    db = identity.db
    db.scalar.return_value = None  # the email is free
    db.scalars.return_value.all.return_value = [ROLE_ID]  # the role exists
    db.execute.return_value.scalar.return_value = USER_ID  # the insert took
    db.execute.return_value.all.return_value = [user_row(email="new@x.io", full_name="New")]
    data = {
        "email": "new@x.io",
        "full_name": "New",
        "password": "secret pw 4 Osprey",
        "role_ids": [ROLE_ID],
    }

    user = identity.create_user(data, actor=ADMIN)

    assert user["id"] == USER_ID and user["email"] == "new@x.io" and user["roles"] == ["sales_rep"]
    assert "password" not in user and "password_hash" not in user
    db.emit.assert_called_once_with("user_created", user, actor=ADMIN)
    assert outbox_and_commit(identity) == ["emit", "commit"]
    # the row written holds an argon2 hash, never the password itself
    inserted = next(
        c.args[0]
        for c in db.execute.call_args_list
        if getattr(c.args[0], "table", None) is not None and c.args[0].table.name == "users"
    )
    stored = inserted.compile().params["password_hash"]
    assert stored.startswith("$argon2id$") and "secret pw 4 Osprey" not in stored


def test_update_user_hands_the_cleaned_changes_and_the_caller_to_the_store(monkeypatch, identity):
    updated = {"id": USER_ID, "theme": "dark"}
    update_user, steps = replace_store(monkeypatch, identity, "update_user", returns=updated)
    assert identity.update_user(USER_ID, {"theme": "dark", "team_id": ""}, actor=REP) == updated
    update_user.assert_called_once_with(
        identity.db,
        USER_ID,
        {"theme": "dark", "team_id": None},
        actor=Actor.from_dict(REP),
        actor_data=REP,
    )
    assert steps == ["update_user", "commit"]


def test_bad_changes_are_refused_before_the_database(monkeypatch, identity):
    update_user, _ = replace_store(monkeypatch, identity, "update_user")
    with pytest.raises(ValidationFailed) as exc:
        identity.update_user(USER_ID, {"theme": "sepia", "password_hash": "x"}, actor=ADMIN)
    assert exc.value.errors == [
        {"field": "theme", "message": "must be one of light, dark"},
        {"field": "password_hash", "message": "unknown field"},
    ]
    update_user.assert_not_called()
    assert identity.db.method_calls == []


def load_for_update(identity, before, after=None) -> SimpleNamespace:
    """The session answering an update: the locked user, then the user before and after."""
    locked = SimpleNamespace(id=before.id)
    identity.db.scalar.return_value = locked
    identity.db.execute.return_value.all.side_effect = [[before], [after or before]]
    return locked


def test_a_users_own_change_is_announced_with_what_changed_and_committed(identity):
    rep = {**REP, "id": USER_ID}
    locked = load_for_update(identity, user_row(), user_row(theme="dark", updated_at=WHEN))

    user = identity.update_user(USER_ID, {"theme": "dark", "locale": "en"}, actor=rep)

    assert user["theme"] == "dark"
    assert locked.theme == "dark" and not hasattr(locked, "locale")
    identity.db.emit.assert_called_once_with(
        "user_updated", {**user, "changed_fields": ["theme"]}, actor=rep
    )
    assert outbox_and_commit(identity) == ["emit", "commit"]


def test_a_change_to_nothing_is_not_announced(identity):
    load_for_update(identity, user_row(theme="dark"))
    user = identity.update_user(USER_ID, {"theme": "dark"}, actor={**REP, "id": USER_ID})
    assert user["theme"] == "dark"
    identity.db.emit.assert_not_called()


def test_a_user_giving_themselves_roles_is_refused_and_nothing_is_written(identity):
    load_for_update(identity, user_row())
    with pytest.raises(PermissionDenied) as exc:
        identity.update_user(USER_ID, {"role_ids": []}, actor={**REP, "id": USER_ID})
    assert exc.value.errors == [
        {"field": "role_ids", "message": "only an administrator may change this"}
    ]
    identity.db.emit.assert_not_called()
    identity.db.commit.assert_not_called()


def test_ensure_admin_returns_the_user_and_commits(monkeypatch, identity):
    admin = {"id": USER_ID, "email": "root@x.io", "roles": ["admin"]}
    ensure_admin, steps = replace_store(
        monkeypatch, identity, "ensure_admin", returns=(admin, True)
    )
    assert identity.ensure_admin("root@x.io", "root-password") == admin
    ensure_admin.assert_called_once_with(identity.db, "root@x.io", "root-password")
    assert steps == ["ensure_admin", "commit"]


# preferences


def test_get_preferences_reads_the_callers_own(monkeypatch, identity):
    settings = {"columns.leads": ["name", "score"]}
    get_preferences, steps = replace_store(
        monkeypatch, identity, "get_preferences", returns=settings
    )
    assert identity.get_preferences(actor=REP) == settings
    get_preferences.assert_called_once_with(identity.db, REP["id"])
    assert steps == ["get_preferences"]


def test_set_preference_stores_the_callers_setting_and_commits(monkeypatch, identity):
    value = {"leads": ["name", "score"]}
    set_preference, steps = replace_store(monkeypatch, identity, "set_preference", returns=value)
    assert identity.set_preference("columns.leads", value, actor=REP) == value
    set_preference.assert_called_once_with(identity.db, REP["id"], "columns.leads", value)
    assert steps == ["set_preference", "commit"]
    identity.db.emit.assert_not_called()  # the user's own screen state: nobody else's business


def test_a_bad_preference_is_refused_before_the_database(monkeypatch, identity):
    set_preference, _ = replace_store(monkeypatch, identity, "set_preference")
    with pytest.raises(ValidationFailed) as exc:
        identity.set_preference("Columns", 1, actor=REP)
    assert [e["field"] for e in exc.value.errors] == ["key"]
    set_preference.assert_not_called()
    assert identity.db.method_calls == []


# teams and roles


def test_list_teams_and_roles_come_from_the_store(monkeypatch, identity):
    teams = [{"id": TEAM_ID, "name": "North", "manager_id": None}]
    roles = [{"id": ROLE_ID, "name": "sales_rep", "permissions": ["leads.read"]}]
    list_teams, team_steps = replace_store(
        monkeypatch, identity, "teams_store.list_teams", returns=teams
    )
    list_roles, role_steps = replace_store(monkeypatch, identity, "list_roles", returns=roles)
    assert identity.list_teams(actor=REP) == teams
    assert identity.list_roles(actor=REP) == roles
    list_teams.assert_called_once_with(identity.db)
    list_roles.assert_called_once_with(identity.db)
    assert team_steps == ["list_teams"] and role_steps == ["list_roles"]


def test_create_team_stores_the_cleaned_team_then_commits(monkeypatch, identity):
    team = {"id": TEAM_ID, "name": "Key Accounts", "manager_id": None}
    create_team, steps = replace_store(
        monkeypatch, identity, "teams_store.create_team", returns=team
    )
    assert identity.create_team({"name": " Key   Accounts "}, actor=ADMIN) == team
    create_team.assert_called_once_with(
        identity.db, {"name": "Key Accounts", "manager_id": None}, actor=ADMIN
    )
    assert steps == ["create_team", "commit"]


def test_bad_team_data_is_refused_before_the_database(monkeypatch, identity):
    create_team, _ = replace_store(monkeypatch, identity, "teams_store.create_team")
    with pytest.raises(ValidationFailed):
        identity.create_team({"name": "North", "manager_id": "boss"}, actor=ADMIN)
    create_team.assert_not_called()
    assert identity.db.method_calls == []


def test_a_created_team_is_announced_and_committed(identity):
    db = identity.db
    db.scalar.return_value = None  # no team has this name
    db.execute.return_value.scalar.return_value = TEAM_ID
    db.get.return_value = SimpleNamespace(id=TEAM_ID, name="North", manager_id=None)

    team = identity.create_team({"name": "North"}, actor=ADMIN)

    assert team == {"id": TEAM_ID, "name": "North", "manager_id": None}
    db.emit.assert_called_once_with("team_created", team, actor=ADMIN)
    assert outbox_and_commit(identity) == ["emit", "commit"]


def test_a_team_with_an_unknown_manager_is_refused_and_nothing_is_written(identity):
    db = identity.db
    db.scalar.return_value = None
    db.get.return_value = None  # no such user
    with pytest.raises(ValidationFailed) as exc:
        identity.create_team({"name": "North", "manager_id": USER_ID}, actor=ADMIN)
    assert exc.value.errors == [{"field": "manager_id", "message": "no such user"}]
    db.emit.assert_not_called()
    db.commit.assert_not_called()
