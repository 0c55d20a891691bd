"""The rules of administering users and teams: passwords an administrator hands on,
changing and deleting a team, and what an administrator may not do to themself."""

from __future__ import annotations

import pytest

from services.identity import domain, issued_passwords, team_rules
from services.platform.access import Actor
from services.platform.errors import Conflict, PermissionDenied, ValidationFailed

ADMIN = Actor(id="a", roles=("admin",))
REP = Actor(id="r", roles=("sales_rep",))
MANAGER_ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


# --- temporary passwords ------------------------------------------------------------------


def test_a_temporary_password_is_long_mixed_and_unambiguous():
    for _ in range(200):
        password = issued_passwords.new_temporary_password()
        groups = password.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4]
        letters = "".join(groups)
        assert set(letters) <= set(issued_passwords.TEMPORARY_ALPHABET)
        assert not set(letters) & set("0O1lI")
        assert any(c.isupper() for c in letters)
        assert any(c.islower() for c in letters)
        assert any(c.isdigit() for c in letters)
        # it passes the password rules a user's own password must pass
        assert domain.clean_user_data({"password": password}, creating=False) == {
            "password": password
        }


def test_temporary_passwords_differ():
    assert len({issued_passwords.new_temporary_password() for _ in range(100)}) == 100


@pytest.mark.parametrize("data", [{"email": "n@x.io"}, {"email": "n@x.io", "password": None}])
def test_a_new_user_without_a_password_gets_a_temporary_one(data):
    with_password, temporary = issued_passwords.with_password(data)
    assert temporary and with_password == {
        "email": "n@x.io",
        "password": temporary,
        "password_change_required": True,  # someone else saw it: changed at first sign-in
    }


def test_a_typed_password_is_kept_and_none_is_made():
    data = {"email": "n@x.io", "password": "typed by the admin"}
    assert issued_passwords.with_password(data) == (data, None)
    # not an object: left for clean_user_data to refuse
    assert issued_passwords.with_password(["x"]) == (["x"], None)


@pytest.mark.parametrize("data", [None, {}, {"password": None}])
def test_a_reset_without_a_password_makes_one(data):
    changes, temporary = issued_passwords.clean_password_reset(data)
    assert temporary is not None
    assert changes == {"password": temporary, "password_change_required": True}


def test_a_reset_to_a_typed_password_checks_it_as_any_password():
    typed = "Quarry-lantern-5521"
    assert issued_passwords.clean_password_reset({"password": typed}) == ({"password": typed}, None)
    with pytest.raises(ValidationFailed) as exc:
        issued_passwords.clean_password_reset({"password": "short"})
    assert [e["field"] for e in exc.value.errors] == ["password"]


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ("new-password", [{"field": "data", "message": "must be an object"}]),
        (
            {"password": None, "email": "x@y.io", "colour": 1},
            [
                {"field": "email", "message": "unknown field"},
                {"field": "colour", "message": "unknown field"},
            ],
        ),
    ],
)
def test_a_reset_accepts_nothing_but_a_password(data, errors):
    with pytest.raises(ValidationFailed) as exc:
        issued_passwords.clean_password_reset(data)
    assert exc.value.errors == errors


def test_only_an_admin_resets_passwords():
    issued_passwords.check_may_issue_passwords(ADMIN)
    with pytest.raises(PermissionDenied):
        issued_passwords.check_may_issue_passwords(REP)


# --- an administrator and themself --------------------------------------------------------


def test_an_admin_cannot_deactivate_themself():
    with pytest.raises(Conflict) as exc:
        domain.check_may_update_user(ADMIN, "a", ["full_name", "is_active"])
    assert exc.value.errors == [{"field": "is_active", "message": "you cannot deactivate yourself"}]
    # anyone else, and anything else about themself, they may
    domain.check_may_update_user(ADMIN, "r", ["is_active"])
    domain.check_may_update_user(ADMIN, "a", ["full_name", "role_ids", "team_id"])


# --- teams --------------------------------------------------------------------------------


def test_a_team_change_keeps_only_what_was_sent():
    assert team_rules.clean_team_data({"name": "  Far  West "}, creating=False) == {
        "name": "Far West"
    }
    assert team_rules.clean_team_data({"manager_id": MANAGER_ID.upper()}, creating=False) == {
        "manager_id": MANAGER_ID
    }
    for empty in (None, ""):
        assert team_rules.clean_team_data({"manager_id": empty}, creating=False) == {
            "manager_id": None
        }
    assert team_rules.clean_team_data({}, creating=False) == {}


@pytest.mark.parametrize(
    ("data", "errors"),
    [
        ({"name": " "}, [{"field": "name", "message": "is required"}]),
        ({"name": None}, [{"field": "name", "message": "is required"}]),
        ({"name": "t" * 201}, [{"field": "name", "message": "must be at most 200 characters"}]),
        ({"manager_id": "boss"}, [{"field": "manager_id", "message": "must be a user id"}]),
        (
            {"id": "x", "user_count": 3},
            [
                {"field": "id", "message": "is read-only"},
                {"field": "user_count", "message": "is read-only"},
            ],
        ),
    ],
)
def test_a_bad_team_change_names_its_field(data, errors):
    with pytest.raises(ValidationFailed) as exc:
        team_rules.clean_team_data(data, creating=False)
    assert exc.value.errors == errors


def test_only_what_really_changes_counts():
    current = {"id": "t", "name": "North", "manager_id": None}
    assert team_rules.changed_team_fields(current, {"name": "North", "manager_id": None}) == []
    assert team_rules.changed_team_fields(current, {"manager_id": MANAGER_ID, "name": "South"}) == [
        "name",
        "manager_id",
    ]


def test_an_empty_team_may_be_deleted():
    team_rules.check_team_is_empty("North", [], 0)


def test_a_team_with_users_is_not_deleted_and_they_are_named():
    with pytest.raises(Conflict) as exc:
        team_rules.check_team_is_empty("North", ["Ann Lee"], 1)
    assert exc.value.message == (
        "The team “North” still has 1 user: Ann Lee. Move them to another team first."
    )
    assert exc.value.errors == [{"field": "users", "message": "still in the team: Ann Lee"}]


def test_a_big_team_names_its_first_users_and_counts_the_rest():
    names = [f"User {i:02}" for i in range(team_rules.TEAM_MEMBERS_NAMED)]
    with pytest.raises(Conflict) as exc:
        team_rules.check_team_is_empty("Big", names, 25)
    assert "still has 25 users: User 00, " in exc.value.message
    assert exc.value.message.endswith("User 09 and 15 more. Move them to another team first.")


def test_only_an_admin_manages_teams():
    team_rules.check_may_manage_teams(ADMIN)
    with pytest.raises(PermissionDenied):
        team_rules.check_may_manage_teams(REP)
