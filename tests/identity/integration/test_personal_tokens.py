"""Personal API tokens in a real identity container on PostgreSQL and RabbitMQ: made
once and shown once, scoped, listed, revoked; what ends them and what does not."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from services.identity.service import IdentityService
from services.identity.token_rules import latest_expiry
from services.platform.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    ValidationFailed,
)
from services.platform.events import utcnow

from .test_identity_service import ADMIN_EMAIL, ADMIN_PASSWORD, call, count, sign_in

REP_PASSWORD = "Larch-meadow-9034"


@pytest.fixture
def identity(container_factory, service_config):
    config = {**service_config, "ADMIN_EMAIL": ADMIN_EMAIL, "ADMIN_PASSWORD": ADMIN_PASSWORD}
    container = container_factory(IdentityService, config)
    container.start()
    return container


@pytest.fixture
def admin(identity) -> dict:
    return sign_in(identity, ADMIN_EMAIL, ADMIN_PASSWORD)[1]


def make_rep(identity, admin: dict, email: str) -> tuple[dict, dict]:
    """A sales rep and their signed-in actor."""
    user = call(
        identity,
        "create_user",
        {"email": email, "full_name": "Rita Rep", "password": REP_PASSWORD},
        actor=admin,
    )
    return user, sign_in(identity, email, REP_PASSWORD)[1]


@pytest.fixture
def rep(identity, admin) -> dict:
    return make_rep(identity, admin, "rita@osprey.test")[1]


def in_days(days: int) -> str:
    return (utcnow().date() + timedelta(days=days)).isoformat()


def new_token(identity, actor: dict, scopes=("leads:read",), name="Zapier", days=30) -> dict:
    data = {"name": name, "scopes": list(scopes), "expires_on": in_days(days)}
    return call(identity, "create_personal_token", data, actor=actor)


def test_a_token_is_shown_once_kept_as_its_digest_and_authenticates_with_its_scopes(
    identity, rep, db_engine
):
    made = new_token(identity, rep, scopes=["orders:read", "leads:write", "leads:read"])
    token = made["token"]
    assert token.startswith("osp_") and made["prefix"] == token[:12]
    assert made["scopes"] == ["leads:read", "leads:write", "orders:read"]
    assert made["user_id"] == rep["id"] and made["last_used_at"] is None
    assert made["expires_at"].startswith(in_days(31))  # through the chosen day, UTC
    # neither the token nor anything but its SHA-256 is stored
    assert (
        count(db_engine, "SELECT count(*) FROM identity.tokens WHERE token_hash = :t", t=token) == 0
    )
    assert count(
        db_engine,
        "SELECT count(*) FROM identity.tokens WHERE token_hash = encode(sha256(:t), 'hex')"
        " AND kind = 'personal' AND prefix = :p",
        t=token.encode(),
        p=token[:12],
    ) == 1  # fmt: skip

    actor = call(identity, "authenticate_token", token)
    assert actor["id"] == rep["id"] and actor["roles"] == ["sales_rep"]
    assert actor["scopes"] == ["leads:read", "leads:write", "orders:read"]
    assert actor["session_id"] == made["id"]

    listed = call(identity, "list_personal_tokens", rep["id"], actor=rep)["items"]
    assert [t["id"] for t in listed] == [made["id"]]
    assert "token" not in listed[0] and listed[0]["last_used_at"]  # used just now


def test_the_newest_token_is_listed_first_and_sessions_are_not_listed(identity, rep):
    first = new_token(identity, rep, name="First")
    second = new_token(identity, rep, name="Second")
    listed = call(identity, "list_personal_tokens", rep["id"], actor=rep)["items"]
    assert [t["name"] for t in listed] == ["Second", "First"]
    assert {t["id"] for t in listed} == {first["id"], second["id"]}


def test_bad_token_data_names_every_field_and_stores_nothing(identity, rep, db_engine):
    with pytest.raises(ValidationFailed) as exc:
        call(
            identity,
            "create_personal_token",
            {"name": "", "scopes": ["leads:read", "admin"], "expires_on": in_days(400)},
            actor=rep,
        )
    last = latest_expiry(utcnow().date()).isoformat()
    assert {e["field"]: e["message"] for e in exc.value.errors} == {
        "name": "is required",
        "scopes": "beyond your own rights: admin",
        "expires_on": f"must be at most a year away (by {last})",
    }
    assert count(db_engine, "SELECT count(*) FROM identity.tokens WHERE kind = 'personal'") == 0


def test_an_admin_may_give_the_admin_scope(identity, admin):
    assert new_token(identity, admin, scopes=["admin"])["scopes"] == ["admin"]


def test_a_revoked_token_stops_at_once_and_leaves_the_list(identity, rep):
    made = new_token(identity, rep)
    call(identity, "authenticate_token", made["token"])
    revoked = call(identity, "revoke_personal_token", rep["id"], made["id"], actor=rep)
    assert revoked["id"] == made["id"]
    with pytest.raises(Unauthenticated):
        call(identity, "authenticate_token", made["token"])
    assert call(identity, "list_personal_tokens", rep["id"], actor=rep)["items"] == []
    with pytest.raises(NotFound):  # once is enough
        call(identity, "revoke_personal_token", rep["id"], made["id"], actor=rep)


def test_an_expired_token_is_refused(identity, rep, db_engine):
    made = new_token(identity, rep)
    with db_engine.begin() as conn:  # the chosen day has passed
        conn.execute(
            sa.text("UPDATE identity.tokens SET expires_at = now() - interval '1 second' "
                    "WHERE id = :id"),
            {"id": made["id"]},
        )  # fmt: skip
    with pytest.raises(Unauthenticated):
        call(identity, "authenticate_token", made["token"])


def test_an_admin_lists_and_revokes_anyones_tokens_and_a_rep_only_their_own(identity, admin, rep):
    made = new_token(identity, rep)
    other, other_actor = make_rep(identity, admin, "otto@osprey.test")
    # another rep may neither see nor revoke it
    with pytest.raises(PermissionDenied):
        call(identity, "list_personal_tokens", rep["id"], actor=other_actor)
    with pytest.raises(PermissionDenied):
        call(identity, "revoke_personal_token", rep["id"], made["id"], actor=other_actor)
    # nor reach it through their own user
    with pytest.raises(NotFound):
        call(identity, "revoke_personal_token", other["id"], made["id"], actor=other_actor)
    # an administrator does both
    listed = call(identity, "list_personal_tokens", rep["id"], actor=admin)["items"]
    assert [t["id"] for t in listed] == [made["id"]]
    call(identity, "revoke_personal_token", rep["id"], made["id"], actor=admin)
    with pytest.raises(Unauthenticated):
        call(identity, "authenticate_token", made["token"])
    with pytest.raises(NotFound):
        call(identity, "list_personal_tokens", "00000000-0000-7000-8000-0000000000ff", actor=admin)


def test_a_session_id_is_not_a_personal_token_to_revoke(identity, rep):
    with pytest.raises(NotFound):
        call(identity, "revoke_personal_token", rep["id"], rep["session_id"], actor=rep)
    assert call(identity, "get_user", rep["id"], actor=rep)  # the session still works


def test_a_personal_token_manages_no_tokens(identity, rep):
    made = new_token(identity, rep, scopes=["leads:read", "leads:write"])
    as_token = call(identity, "authenticate_token", made["token"])
    for method, args in (
        ("create_personal_token", ({"name": "Heir", "scopes": ["leads:read"],
                                    "expires_on": in_days(5)},)),
        ("list_personal_tokens", (rep["id"],)),
        ("revoke_personal_token", (rep["id"], made["id"])),
    ):  # fmt: skip
        with pytest.raises(PermissionDenied, match="signed-in session"):
            call(identity, method, *args, actor=as_token)
    assert len(call(identity, "list_personal_tokens", rep["id"], actor=rep)["items"]) == 1


def test_a_new_password_ends_sessions_but_keeps_personal_tokens(identity, admin, rep):
    made = new_token(identity, rep)
    here, _ = sign_in(identity, "rita@osprey.test", REP_PASSWORD)
    call(identity, "update_user", rep["id"], {"password": "Quarry-lantern-5521"}, actor=admin)
    with pytest.raises(Unauthenticated):
        call(identity, "authenticate_token", here)
    assert call(identity, "authenticate_token", made["token"])["scopes"] == ["leads:read"]


def test_deactivating_a_user_ends_their_tokens_for_good(identity, admin, rep):
    made = new_token(identity, rep)
    call(identity, "update_user", rep["id"], {"is_active": False}, actor=admin)
    with pytest.raises(Unauthenticated):
        call(identity, "authenticate_token", made["token"])
    call(identity, "update_user", rep["id"], {"is_active": True}, actor=admin)
    with pytest.raises(Unauthenticated):  # coming back does not revive them
        call(identity, "authenticate_token", made["token"])
    assert call(identity, "list_personal_tokens", rep["id"], actor=admin)["items"] == []


def test_fifty_live_tokens_at_most(identity, rep, db_engine):
    for n in range(49):
        new_token(identity, rep, name=f"Robot {n}")
    last = new_token(identity, rep, name="Robot 49")
    with pytest.raises(Conflict, match="revoke one"):
        new_token(identity, rep, name="One too many")
    call(identity, "revoke_personal_token", rep["id"], last["id"], actor=rep)
    assert new_token(identity, rep, name="In its place")
