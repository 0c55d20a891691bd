"""The identity service in a real Nameko container, over real RabbitMQ and PostgreSQL."""

from __future__ import annotations

from typing import Any

import eventlet
import pytest
import sqlalchemy as sa
from nameko.events import event_handler
from nameko.standalone.rpc import ServiceRpcProxy
from nameko.testing.services import entrypoint_hook, entrypoint_waiter

from services.identity.service import IdentityService
from services.platform.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
)

ADMIN_EMAIL = "root@osprey.test"
ADMIN_PASSWORD = "Osprey-kestrel-7731"


class IdentityEventsWatcher:
    """A consumer in another service, as any Osprey service would write one."""

    name = "identity_events_watcher"

    @event_handler("identity", "user_created")
    def handle_user_created(self, event: dict) -> dict:
        return event

    @event_handler("identity", "user_updated")
    def handle_user_updated(self, event: dict) -> dict:
        return event

    @event_handler("identity", "team_created")
    def handle_team_created(self, event: dict) -> dict:
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


def make_user(container, admin: dict, email: str, **extra: Any) -> dict:
    data = {"email": email, "full_name": "Some One", "password": "Kettle-violet-2291", **extra}
    return call(container, "create_user", data, actor=admin)


VALID_USER = {"email": "bad@osprey.test", "full_name": "Some One", "password": "Kettle-violet-2291"}


def count(engine, sql: str, **params: Any) -> int:
    with engine.connect() as conn:
        return conn.execute(sa.text(sql), params).scalar_one()


def role_id(container, actor: dict, name: str) -> str:
    return next(r["id"] for r in call(container, "list_roles", actor=actor) if r["name"] == name)


# --- start-up, roles, actor --------------------------------------------------------------


def test_start_up_seeds_roles_and_the_configured_admin(identity, db_engine):
    token, actor = sign_in(identity, ADMIN_EMAIL.upper(), ADMIN_PASSWORD)

    assert actor["email"] == ADMIN_EMAIL
    assert actor["roles"] == ["admin"]
    assert "users.manage" in actor["permissions"]
    assert set(actor) == {
        "id", "email", "full_name", "roles", "team_id", "permissions", "locale", "theme",
        "session_id",  # the token's row: a password change ends the other sessions
        "scopes",  # None: a signed-in session; a personal token's scopes otherwise
        "rights",  # the effective access rights per entity (docs/architecture.md)
    }  # fmt: skip
    assert actor["scopes"] is None
    # start-up seeds the seeded roles' rights too: an admin does everything everywhere
    assert actor["rights"]["leads"] == {"ops": "crudx", "read": "all", "write": "all"}
    assert len(actor["rights"]) == 8
    roles = {r["name"]: r for r in call(identity, "list_roles", actor=actor)}
    assert set(roles) == {"admin", "sales_manager", "sales_rep"}
    assert "records.change_own" in roles["sales_rep"]["permissions"]
    # only the hash of the token is stored
    assert (
        count(db_engine, "SELECT count(*) FROM identity.tokens WHERE token_hash = :t", t=token) == 0
    )
    assert count(db_engine, "SELECT count(*) FROM identity.tokens") == 1


def test_restarting_with_the_same_admin_creates_no_second_one(
    container_factory, config, identity, db_engine
):
    identity.stop()
    again = container_factory(IdentityService, config)
    again.start()
    assert count(db_engine, "SELECT count(*) FROM identity.users") == 1
    assert count(db_engine, "SELECT count(*) FROM identity.roles") == 3


# --- users -----------------------------------------------------------------------------


def test_admin_creates_a_user_with_defaults_and_no_secret_in_the_answer(identity, admin):
    user = make_user(identity, admin, "  Ann.Lee@Osprey.TEST ", full_name=" Ann   Lee ")

    assert user["email"] == "ann.lee@osprey.test"
    assert user["full_name"] == "Ann Lee"
    assert user["roles"] == ["sales_rep"]
    assert user["role_ids"] == [role_id(identity, admin, "sales_rep")]
    assert (user["locale"], user["theme"], user["is_active"], user["team_id"]) == (
        "en", "light", True, None
    )  # fmt: skip
    assert user["created_at"].endswith("Z")
    assert not {"password", "password_hash"} & set(user)
    assert call(identity, "get_user", user["id"], actor=admin) == user


def test_a_taken_email_in_any_letter_case_is_a_conflict(identity, admin, db_engine):
    make_user(identity, admin, "ann@osprey.test")
    with pytest.raises(Conflict) as exc:
        make_user(identity, admin, "ANN@osprey.test")
    assert exc.value.errors == [{"field": "email", "message": "is already taken"}]
    assert count(db_engine, "SELECT count(*) FROM identity.users WHERE email LIKE 'ann@%'") == 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"password": "short"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"full_name": "   "}, "full_name"),
        ({"locale": "de"}, "locale"),
        ({"theme": "blue"}, "theme"),
        ({"role_ids": ["00000000-0000-7000-8000-0000000000ff"]}, "role_ids"),
        ({"team_id": "00000000-0000-7000-8000-0000000000ff"}, "team_id"),
        ({"is_admin": True}, "is_admin"),
        ({"roles": ["admin"]}, "roles"),
    ],
)
def test_bad_user_data_names_the_field_and_writes_nothing(identity, admin, db_engine, data, field):
    with pytest.raises(ValidationFailed) as exc:
        call(identity, "create_user", {**VALID_USER, **data}, actor=admin)
    assert [e["field"] for e in exc.value.errors] == [field]
    assert count(db_engine, "SELECT count(*) FROM identity.users") == 1  # the admin
    assert count(db_engine, "SELECT count(*) FROM identity.outbox WHERE type = 'user_created'") == 1


def test_only_admins_create_users_and_teams(identity, admin, db_engine):
    make_user(identity, admin, "rep@osprey.test")
    _, rep = sign_in(identity, "rep@osprey.test", "Kettle-violet-2291")

    with pytest.raises(PermissionDenied):
        make_user(identity, rep, "other@osprey.test")
    with pytest.raises(PermissionDenied):
        call(identity, "create_team", {"name": "Rogue"}, actor=rep)
    assert count(db_engine, "SELECT count(*) FROM identity.users") == 2
    assert count(db_engine, "SELECT count(*) FROM identity.teams") == 0


def test_a_user_changes_their_own_profile_but_nothing_an_admin_decides(identity, admin):
    rep_user = make_user(identity, admin, "rep@osprey.test")
    other = make_user(identity, admin, "other@osprey.test")
    _, rep = sign_in(identity, "rep@osprey.test", "Kettle-violet-2291")

    changed = call(
        identity,
        "update_user",
        rep["id"],
        {"full_name": "Rep Renamed", "locale": "ru", "theme": "dark", "password": "new-pass-1"},
        actor=rep,
    )
    assert (changed["full_name"], changed["locale"], changed["theme"]) == (
        "Rep Renamed", "ru", "dark"
    )  # fmt: skip
    sign_in(identity, "rep@osprey.test", "new-pass-1")  # the new password works
    with pytest.raises(Unauthenticated):
        sign_in(identity, "rep@osprey.test", "Kettle-violet-2291")

    admin_role = role_id(identity, admin, "admin")
    for field, value in [
        ("role_ids", [admin_role]),
        ("is_active", False),
        ("email", "me@osprey.test"),
        ("team_id", call(identity, "create_team", {"name": "A"}, actor=admin)["id"]),
    ]:
        with pytest.raises(PermissionDenied) as exc:
            call(identity, "update_user", rep["id"], {field: value}, actor=rep)
        assert exc.value.errors == [
            {"field": field, "message": "only an administrator may change this"}
        ]
    with pytest.raises(PermissionDenied):
        call(identity, "update_user", other["id"], {"full_name": "Hijacked"}, actor=rep)

    after = call(identity, "get_user", rep_user["id"], actor=admin)
    assert (after["roles"], after["is_active"], after["email"], after["team_id"]) == (
        ["sales_rep"], True, "rep@osprey.test", None
    )  # fmt: skip
    assert call(identity, "get_user", other["id"], actor=admin)["full_name"] == "Some One"


def test_admin_changes_roles_team_and_email(identity, admin):
    user = make_user(identity, admin, "rep@osprey.test")
    team = call(identity, "create_team", {"name": "North", "manager_id": user["id"]}, actor=admin)
    manager = role_id(identity, admin, "sales_manager")

    changed = call(
        identity,
        "update_user",
        user["id"],
        {"role_ids": [manager], "team_id": team["id"], "email": "Boss@Osprey.test"},
        actor=admin,
    )
    assert changed["roles"] == ["sales_manager"]
    assert changed["team_id"] == team["id"]
    assert changed["email"] == "boss@osprey.test"
    assert changed["updated_at"] >= user["updated_at"]
    _, actor = sign_in(identity, "boss@osprey.test", "Kettle-violet-2291")
    assert actor["team_id"] == team["id"] and actor["roles"] == ["sales_manager"]

    make_user(identity, admin, "taken@osprey.test")
    with pytest.raises(Conflict):
        call(identity, "update_user", user["id"], {"email": "taken@osprey.test"}, actor=admin)


def test_the_last_active_admin_cannot_stop_being_one(identity, admin):
    with pytest.raises(Conflict):
        call(identity, "update_user", admin["id"], {"is_active": False}, actor=admin)
    with pytest.raises(Conflict):
        call(identity, "update_user", admin["id"], {"role_ids": []}, actor=admin)

    second = make_user(
        identity, admin, "second@osprey.test", role_ids=[role_id(identity, admin, "admin")]
    )
    demoted = call(identity, "update_user", admin["id"], {"role_ids": []}, actor=admin)
    assert demoted["roles"] == []
    assert call(identity, "get_user", second["id"], actor=admin)["roles"] == ["admin"]


def test_unknown_user_is_not_found(identity, admin):
    for user_id in ("00000000-0000-7000-8000-0000000000ff", "not-a-uuid"):
        with pytest.raises(NotFound):
            call(identity, "get_user", user_id, actor=admin)
        with pytest.raises(NotFound):
            call(identity, "update_user", user_id, {"full_name": "X"}, actor=admin)


def test_list_users_filters_searches_and_pages(identity, admin):
    team = call(identity, "create_team", {"name": "Sales"}, actor=admin)
    manager = role_id(identity, admin, "sales_manager")
    make_user(identity, admin, "ann@acme.test", full_name="Ann Archer", team_id=team["id"])
    make_user(identity, admin, "bob@osprey.test", full_name="Bob Brown", role_ids=[manager])
    make_user(identity, admin, "cid@osprey.test", full_name="Cid Clark", is_active=False)

    def emails(query: dict) -> list[str]:
        return [u["email"] for u in call(identity, "list_users", query, actor=admin)["items"]]

    # by full name: the start-up admin is "Administrator"
    assert emails({}) == [ADMIN_EMAIL, "ann@acme.test", "bob@osprey.test", "cid@osprey.test"]
    assert emails({"filter": {"team_id": [team["id"]]}}) == ["ann@acme.test"]
    assert emails({"filter": {"role": ["sales_manager", "admin"]}}) == [
        ADMIN_EMAIL,
        "bob@osprey.test",
    ]
    assert emails({"filter": {"is_active": ["false"]}}) == ["cid@osprey.test"]
    assert emails({"q": "acme"}) == ["ann@acme.test"]
    assert emails({"q": "bro"}) == ["bob@osprey.test"]
    assert emails({"sort": "-email", "limit": 2}) == [ADMIN_EMAIL, "cid@osprey.test"]

    first = call(identity, "list_users", {"limit": 3}, actor=admin)
    rest = call(identity, "list_users", {"limit": 3, "cursor": first["next_cursor"]}, actor=admin)
    assert [u["email"] for u in rest["items"]] == ["cid@osprey.test"]
    assert rest["next_cursor"] is None

    for query, field in [
        ({"filter": {"colour": ["red"]}}, "filter[colour]"),
        ({"filter": {"role": [7]}}, "filter[role]"),
        ({"sort": "password_hash"}, "sort"),
    ]:
        with pytest.raises(ValidationFailed) as exc:
            call(identity, "list_users", query, actor=admin)
        assert exc.value.errors[0]["field"] == field


def test_teams_have_unique_names(identity, admin):
    team = call(identity, "create_team", {"name": "  Key   Accounts "}, actor=admin)
    assert team == {"id": team["id"], "name": "Key Accounts", "manager_id": None}
    with pytest.raises(Conflict):
        call(identity, "create_team", {"name": "key accounts"}, actor=admin)
    with pytest.raises(ValidationFailed) as exc:
        call(identity, "create_team", {"name": "", "colour": "red"}, actor=admin)
    assert {e["field"] for e in exc.value.errors} == {"name", "colour"}
    with pytest.raises(ValidationFailed):
        call(
            identity,
            "create_team",
            {"name": "B", "manager_id": "00000000-0000-7000-8000-0000000000ff"},
            actor=admin,
        )
    assert call(identity, "list_teams", actor=admin) == [{**team, "user_count": 0}]


# --- sessions --------------------------------------------------------------------------


def test_wrong_password_unknown_email_and_inactive_user_fail_alike(identity, admin):
    make_user(identity, admin, "gone@osprey.test", is_active=False)
    messages = set()
    for email, password in [
        (ADMIN_EMAIL, "wrong-password"),
        ("nobody@osprey.test", ADMIN_PASSWORD),
        ("gone@osprey.test", "Kettle-violet-2291"),
        ("not an email", "whatever"),
    ]:
        with pytest.raises(Unauthenticated) as exc:
            call(identity, "login", email, password)
        messages.add(str(exc.value))
    assert messages == {"Wrong email or password"}


def test_logout_revokes_the_token_and_unknown_tokens_are_fine(identity):
    token, _ = sign_in(identity, ADMIN_EMAIL, ADMIN_PASSWORD)
    other, _ = sign_in(identity, ADMIN_EMAIL, ADMIN_PASSWORD)

    assert call(identity, "logout", token) is None
    with pytest.raises(Unauthenticated):
        call(identity, "authenticate_token", token)
    call(identity, "logout", token)
    call(identity, "logout", "never-issued")
    assert call(identity, "authenticate_token", other)["email"] == ADMIN_EMAIL


def test_expired_and_unknown_tokens_are_refused(identity, db_engine):
    token, _ = sign_in(identity, ADMIN_EMAIL, ADMIN_PASSWORD)
    with db_engine.begin() as conn:
        conn.execute(sa.text("UPDATE identity.tokens SET expires_at = now() - interval '1 second'"))
    for candidate in (token, "never-issued", "", None, 42):
        with pytest.raises(Unauthenticated):
            call(identity, "authenticate_token", candidate)


def test_a_deactivated_users_tokens_stop_working(identity, admin):
    user = make_user(identity, admin, "rep@osprey.test")
    token, _ = sign_in(identity, "rep@osprey.test", "Kettle-violet-2291")

    call(identity, "update_user", user["id"], {"is_active": False}, actor=admin)
    with pytest.raises(Unauthenticated):
        call(identity, "authenticate_token", token)
    # coming back does not bring the old session back
    call(identity, "update_user", user["id"], {"is_active": True}, actor=admin)
    with pytest.raises(Unauthenticated):
        call(identity, "authenticate_token", token)


def test_token_lifetime_comes_from_the_config(container_factory, config, db_engine):
    container = container_factory(IdentityService, {**config, "TOKEN_TTL_HOURS": 2})
    container.start()
    call(container, "login", ADMIN_EMAIL, ADMIN_PASSWORD)
    hours = count(
        db_engine,
        "SELECT round(extract(epoch FROM expires_at - created_at) / 3600) FROM identity.tokens",
    )
    assert hours == 2


# --- ensure_admin ----------------------------------------------------------------------


def test_ensure_admin_creates_once_and_leaves_an_existing_user_alone(identity, db_engine):
    first = call(identity, "ensure_admin", "Boss@Osprey.test", "Lantern-quay-8812")
    again = call(identity, "ensure_admin", "boss@osprey.test", "another-password")

    assert first == again
    assert first["roles"] == ["admin"]
    sign_in(identity, "boss@osprey.test", "Lantern-quay-8812")  # the first password stays
    with pytest.raises(ValidationFailed) as exc:
        call(identity, "ensure_admin", "new@osprey.test", "short")
    assert exc.value.errors[0]["field"] == "password"


def test_ensure_admin_called_at_once_creates_one_user(identity, config, db_engine):
    def ensure() -> str:
        with ServiceRpcProxy("identity", config) as proxy:
            return proxy.ensure_admin("race@osprey.test", "Harbour-quill-3317")["id"]

    pool = eventlet.GreenPool()
    ids = list(pool.imap(lambda _: ensure(), range(5)))

    assert len(set(ids)) == 1
    assert count(db_engine, "SELECT count(*) FROM identity.users WHERE email LIKE 'race@%'") == 1
    assert (
        count(
            db_engine,
            "SELECT count(*) FROM identity.outbox "
            "WHERE type = 'user_created' AND envelope->'data'->>'email' = 'race@osprey.test'",
        )
        == 1
    )


# --- events ----------------------------------------------------------------------------


def test_changes_reach_consumers_as_events_without_secrets(
    container_factory, service_config, identity, admin, db_engine
):
    watcher = container_factory(IdentityEventsWatcher, service_config)
    watcher.start()

    with entrypoint_waiter(watcher, "handle_user_created") as created:
        user = make_user(identity, admin, "rep@osprey.test")
    event = created.get()
    assert event["type"] == "user_created"
    assert event["source"] == "identity"
    assert event["data"] == user
    assert event["actor"] == {"id": admin["id"], "email": ADMIN_EMAIL}

    with entrypoint_waiter(watcher, "handle_user_updated") as updated:
        call(identity, "update_user", user["id"], {"password": "new-pass-1"}, actor=admin)
    data = updated.get()["data"]
    assert data["changed_fields"] == ["password"]
    assert "password_hash" not in data and "password" not in data

    with entrypoint_waiter(watcher, "handle_team_created") as team_created:
        team = call(identity, "create_team", {"name": "South"}, actor=admin)
    assert team_created.get()["data"] == team

    # every event was published and marked sent, none carries a hash
    assert count(db_engine, "SELECT count(*) FROM identity.outbox WHERE sent_at IS NULL") == 0
    assert (
        count(
            db_engine, "SELECT count(*) FROM identity.outbox WHERE envelope::text LIKE '%argon2%'"
        )
        == 0
    )


def test_a_change_that_changes_nothing_emits_nothing(identity, admin, db_engine):
    user = make_user(identity, admin, "rep@osprey.test", locale="ru")
    same = call(identity, "update_user", user["id"], {"locale": "ru"}, actor=admin)
    assert same == user
    assert count(db_engine, "SELECT count(*) FROM identity.outbox WHERE type = 'user_updated'") == 0
