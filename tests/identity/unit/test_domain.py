"""The identity rules on their own: validation, normalization, rights, passwords, tokens."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from services.identity import domain, passwords, team_rules
from services.platform.access import Actor
from services.platform.errors import Conflict, PermissionDenied, Unauthenticated, ValidationFailed

ADMIN = Actor(id="a", roles=("admin",))
REP = Actor(id="r", roles=("sales_rep",))
MANAGER = Actor(id="m", roles=("sales_manager",))


def fields(exc: pytest.ExceptionInfo) -> list[str]:
    return [e["field"] for e in exc.value.errors]


def test_a_new_user_is_normalized_and_given_defaults():
    clean = domain.clean_user_data(
        {"email": " Ann@Example.COM ", "full_name": "  Ann \t Lee ", "password": " spaced pw "},
        creating=True,
    )
    assert clean == {
        "email": "ann@example.com",
        "full_name": "Ann Lee",
        "password": " spaced pw ",  # a password is never trimmed
        "locale": "en",
        "theme": "light",
        "is_active": True,
    }


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_user_data(
            {"email": "nope", "password": "1234567", "locale": "de", "theme": 1, "id": "x"},
            creating=True,
        )
    assert sorted(fields(exc)) == ["email", "full_name", "id", "locale", "password", "theme"]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"password": "k2#Vq9!zL"}, "password", "must be at least 10 characters"),
        ({"password": "x" * 1025}, "password", "must be at most 1024 characters"),
        ({"email": "a@b"}, "email", "is not an email address"),
        ({"email": "a b@c.io"}, "email", "is not an email address"),
        ({"full_name": ""}, "full_name", "is required"),
        ({"locale": "fr"}, "locale", "must be one of en, ru"),
        ({"theme": "sepia"}, "theme", "must be one of light, dark"),
        ({"is_active": "yes"}, "is_active", "must be true or false"),
        ({"role_ids": ["admin"]}, "role_ids", "must be a list of role ids"),
        ({"team_id": "sales"}, "team_id", "must be a team id"),
        ({"roles": ["admin"]}, "roles", "is read-only"),
        ({"password_hash": "x"}, "password_hash", "unknown field"),
    ],
)
def test_bad_values_name_their_field(data, field, message):
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_user_data(data, creating=False)
    assert exc.value.errors == [{"field": field, "message": message}]


def test_an_update_returns_only_what_was_sent():
    assert domain.clean_user_data({"theme": "dark", "team_id": ""}, creating=False) == {
        "theme": "dark",
        "team_id": None,
    }
    assert domain.clean_user_data({}, creating=False) == {}
    with pytest.raises(ValidationFailed):
        domain.clean_user_data(["email"], creating=False)


def test_changed_fields_ignore_equal_values_and_role_order():
    current = {"full_name": "Ann", "role_ids": ["1", "2"], "locale": "en"}
    changes = {
        "full_name": "Ann",
        "role_ids": ["2", "1"],
        "locale": "ru",
        "password": "violet-kettle-92",
    }
    assert domain.changed_user_fields(current, changes) == ["password", "locale"]


def test_admins_change_anything():
    domain.check_may_update_user(ADMIN, "someone", ["role_ids", "is_active", "email"])
    domain.check_may_create_user(ADMIN)
    team_rules.check_may_manage_teams(ADMIN)


def test_users_change_only_their_own_profile_fields():
    domain.check_may_update_user(REP, "r", ["full_name", "password", "locale", "theme"])
    with pytest.raises(PermissionDenied) as exc:
        domain.check_may_update_user(REP, "r", ["theme", "role_ids", "team_id"])
    assert fields(exc) == ["role_ids", "team_id"]
    with pytest.raises(PermissionDenied):
        domain.check_may_update_user(MANAGER, "r", ["full_name"])  # not even a manager


def test_only_admins_create_users_and_teams():
    for actor in (REP, MANAGER):
        with pytest.raises(PermissionDenied):
            domain.check_may_create_user(actor)
        with pytest.raises(PermissionDenied):
            team_rules.check_may_manage_teams(actor)


def test_the_last_active_admin_stays():
    with pytest.raises(Conflict):
        domain.check_admins_remain(
            was_active_admin=True, stays_active_admin=False, other_active_admins=0
        )
    domain.check_admins_remain(
        was_active_admin=True, stays_active_admin=False, other_active_admins=1
    )
    domain.check_admins_remain(
        was_active_admin=False, stays_active_admin=False, other_active_admins=0
    )


def test_unknown_role_ids_are_named():
    with pytest.raises(ValidationFailed) as exc:
        domain.check_role_ids_exist(["a", "b"], ["a"])
    assert exc.value.errors == [{"field": "role_ids", "message": "no such role: b"}]


def test_a_team_needs_a_name_and_a_manager_id_if_any():
    assert team_rules.clean_team_data({"name": " Key  Accounts "}) == {
        "name": "Key Accounts",
        "manager_id": None,
    }
    with pytest.raises(ValidationFailed) as exc:
        team_rules.clean_team_data({"name": " ", "manager_id": "boss", "size": 3})
    assert sorted(fields(exc)) == ["manager_id", "name", "size"]


def test_passwords_verify_and_wrong_ones_do_not():
    hashed = passwords.hash_password("correct horse")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify_password(hashed, "correct horse") == (True, False)
    assert passwords.verify_password(hashed, "wrong horse") == (False, False)
    # no user: a dummy hash is verified, and it never matches
    assert passwords.verify_password(None, "correct horse") == (False, False)
    assert passwords.verify_password("not a hash", "correct horse") == (False, False)


def test_an_old_hash_asks_to_be_rehashed():
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correct horse")
    assert passwords.verify_password(weak, "correct horse") == (True, True)


def test_login_input_never_says_which_part_was_wrong():
    assert domain.check_login_input(" Ann@X.io ", "pw") == ("ann@x.io", "pw")
    assert domain.check_login_input("not an email", "pw") == (None, "pw")
    # an over-long password can match nobody, and costs what any other does to check
    email, password = domain.check_login_input("ann@x.io", "p" * 5000)
    assert email is None and len(password) == domain.PASSWORD_MAX_LENGTH
    with pytest.raises(Unauthenticated, match=domain.LOGIN_FAILED):
        domain.check_login_input(None, "pw")


def test_tokens_are_random_and_stored_as_their_digest():
    first, second = domain.new_token(), domain.new_token()
    assert first != second and len(first) >= 43
    digest = domain.token_digest(first)
    assert len(digest) == 64 and first not in digest
    assert digest == domain.token_digest(first)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert domain.token_expiry(now, 12) == datetime(2026, 1, 1, 12, tzinfo=UTC)


def test_the_actor_dict_has_the_contracts_keys():
    user = {
        "id": "u",
        "email": "a@x.io",
        "full_name": "A",
        "roles": ["sales_rep"],
        "team_id": None,
        "locale": "ru",
        "theme": "dark",
        "is_active": True,
    }
    actor = domain.actor_dict(user, ["b", "a", "b"])
    assert actor == {
        "id": "u",
        "email": "a@x.io",
        "full_name": "A",
        "roles": ["sales_rep"],
        "team_id": None,
        "permissions": ["a", "b"],
        "locale": "ru",
        "theme": "dark",
    }
    assert Actor.from_dict(actor).id == "u"


def test_seeded_roles_are_the_three_the_api_names():
    assert [r.name for r in domain.SEEDED_ROLES] == ["admin", "sales_manager", "sales_rep"]
    assert len({r.id for r in domain.SEEDED_ROLES}) == 3


def test_the_real_profile_unless_the_test_suites_cheap_one_is_asked_for(monkeypatch):
    monkeypatch.delenv(passwords.FAST_HASHING_VARIABLE, raising=False)
    passwords.password_hasher.cache_clear()
    try:
        real = passwords.hash_password("correct horse")
        assert real.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
        monkeypatch.setenv(passwords.FAST_HASHING_VARIABLE, "1")
        passwords.password_hasher.cache_clear()
        cheap = passwords.hash_password("correct horse")
        assert cheap.startswith("$argon2id$v=19$m=1024,t=1,p=1$")
        assert passwords.verify_password(real, "correct horse")[0]
        monkeypatch.delenv(passwords.FAST_HASHING_VARIABLE)
        passwords.password_hasher.cache_clear()
        # a cheap hash met by the real profile is rehashed at the next login
        assert passwords.verify_password(cheap, "correct horse") == (True, True)
    finally:
        passwords.password_hasher.cache_clear()
