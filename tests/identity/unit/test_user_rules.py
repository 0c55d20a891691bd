"""What a user record accepts, field by field, and who may change it.

The messages here are what the API returns beside each field (422, 403, 409), so the web
app and integrators see them: they are pinned word for word.
"""

from __future__ import annotations

import pytest

from services.identity import domain, team_rules
from services.platform.access import Actor
from services.platform.errors import Conflict, PermissionDenied, ValidationFailed

ADMIN = Actor(id="a", roles=("admin",))
REP = Actor(id="r", roles=("sales_rep",))

ROLE_ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"
OTHER_ROLE_ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5c"
VALID_NEW_USER = {"email": "ann@x.io", "full_name": "Ann", "password": "violet-kettle-92"}


def refused(data: object, *, creating: bool = False) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_user_data(data, creating=creating)
    return exc.value


def cleaned(field: str, value: object) -> object:
    return domain.clean_user_data({field: value}, creating=False)[field]


# --- the record as a whole ----------------------------------------------------------------


def test_a_body_that_is_not_an_object_is_named_data():
    for body in (["email"], "email=a@x.io", None):
        error = refused(body)
        assert error.errors == [{"field": "data", "message": "must be an object of user fields"}]
        assert error.message == "data: must be an object of user fields"


def test_a_read_only_or_unknown_field_does_not_hide_the_problems_after_it():
    error = refused({"id": "x", "locale": "de"})
    assert error.errors == [
        {"field": "id", "message": "is read-only"},
        {"field": "locale", "message": "must be one of en, ru"},
    ]
    # the summary names every field, in the order they were sent
    assert error.message == "id: is read-only; locale: must be one of en, ru"
    error = refused({"password_hash": "x", "theme": "sepia"})
    assert error.errors == [
        {"field": "password_hash", "message": "unknown field"},
        {"field": "theme", "message": "must be one of light, dark"},
    ]


def test_a_new_user_without_the_required_fields_is_told_each_one():
    error = refused({}, creating=True)
    assert error.errors == [
        {"field": "email", "message": "is required"},
        {"field": "full_name", "message": "is required"},
        {"field": "password", "message": "is required"},
    ]
    assert error.message == "email: is required; full_name: is required; password: is required"


def test_a_required_field_sent_as_null_is_reported_once():
    error = refused({**VALID_NEW_USER, "email": None}, creating=True)
    assert error.errors == [{"field": "email", "message": "must be a string"}]


def test_a_new_user_keeps_what_was_chosen_over_the_defaults():
    data = {**VALID_NEW_USER, "locale": "ru", "theme": "dark", "is_active": False}
    clean = domain.clean_user_data(data, creating=True)
    assert clean == {
        "email": "ann@x.io",
        "full_name": "Ann",
        "password": "violet-kettle-92",
        "locale": "ru",
        "theme": "dark",
        "is_active": False,
    }


def test_an_update_gets_no_defaults():
    assert domain.clean_user_data({"full_name": "Ann"}, creating=False) == {"full_name": "Ann"}


# --- email ----------------------------------------------------------------------------------


def test_an_email_is_one_string_per_address():
    assert domain.normalize_email("  Ann.Lee@Example.COM\t") == "ann.lee@example.com"


def test_an_email_of_exactly_the_maximum_length_is_accepted():
    email = "a" * (domain.EMAIL_MAX_LENGTH - len("@x.io")) + "@x.io"
    assert len(email) == 254
    assert domain.normalize_email(email) == email
    # the spaces around it are not part of the address
    assert domain.normalize_email(f"  {email}  ") == email


def test_an_email_one_character_too_long_is_refused():
    email = "a" * (domain.EMAIL_MAX_LENGTH + 1 - len("@x.io")) + "@x.io"
    assert refused({"email": email}).errors == [
        {"field": "email", "message": "must be at most 254 characters"}
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (42, "must be a string"),
        (None, "must be a string"),
        ("", "is required"),
        ("   ", "is required"),
        ("ann@x", "is not an email address"),
        ("ann@@x.io", "is not an email address"),
    ],
)
def test_a_bad_email_says_why(value, message):
    assert refused({"email": value}).errors == [{"field": "email", "message": message}]


# --- full name ------------------------------------------------------------------------------


def test_a_full_name_has_its_spaces_collapsed():
    assert cleaned("full_name", "  Ann \n  Lee ") == "Ann Lee"


def test_a_full_name_of_exactly_the_maximum_length_is_accepted():
    assert cleaned("full_name", "n" * 200) == "n" * 200
    # collapsed spaces do not count
    assert cleaned("full_name", "  " + "n" * 200 + "  ") == "n" * 200


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("n" * 201, "must be at most 200 characters"),
        (["Ann"], "must be a string"),
        (None, "must be a string"),
        (" \t ", "is required"),
    ],
)
def test_a_bad_full_name_says_why(value, message):
    assert refused({"full_name": value}).errors == [{"field": "full_name", "message": message}]


# --- password -------------------------------------------------------------------------------


def test_passwords_of_exactly_the_minimum_and_maximum_length_are_accepted():
    shortest = "k2#Vq9!zLm"  # 10 characters, none of them guessable
    assert cleaned("password", shortest) == shortest
    longest = "violet-kettle-92" + "p" * 1008
    assert cleaned("password", longest) == longest
    # spaces are part of a password: never trimmed, and they count
    assert cleaned("password", "  kettle92  ") == "  kettle92  "


def test_a_password_that_is_not_a_string_is_refused():
    assert refused({"password": 12345678}).errors == [
        {"field": "password", "message": "must be a string"}
    ]


# --- roles, team, activity ---------------------------------------------------------------


def test_role_ids_come_out_canonical_and_once_each():
    sent = [f" {ROLE_ID.upper()} ", OTHER_ROLE_ID, ROLE_ID]
    assert cleaned("role_ids", sent) == [ROLE_ID, OTHER_ROLE_ID]
    assert cleaned("role_ids", (ROLE_ID,)) == [ROLE_ID]
    # no roles at all is a choice an admin may make
    assert cleaned("role_ids", []) == []


@pytest.mark.parametrize("value", [ROLE_ID, None, {"id": ROLE_ID}, [ROLE_ID, 7], [ROLE_ID, ""]])
def test_role_ids_must_be_a_list_of_ids(value):
    assert refused({"role_ids": value}).errors == [
        {"field": "role_ids", "message": "must be a list of role ids"}
    ]


def test_a_team_id_comes_out_canonical_and_empty_means_no_team():
    assert cleaned("team_id", f"  {ROLE_ID.upper()}") == ROLE_ID
    assert cleaned("team_id", "") is None
    assert cleaned("team_id", None) is None


def test_a_team_id_that_is_not_an_id_is_refused():
    assert refused({"team_id": 12}).errors == [{"field": "team_id", "message": "must be a team id"}]


def test_is_active_takes_booleans_only():
    assert cleaned("is_active", False) is False
    assert cleaned("is_active", True) is True
    for value in (0, 1, "true", None):
        assert refused({"is_active": value}).errors == [
            {"field": "is_active", "message": "must be true or false"}
        ]


# --- locale, theme, accent colour -----------------------------------------------------------


def test_every_offered_locale_and_theme_is_accepted_as_sent():
    for locale in domain.LOCALES:
        assert cleaned("locale", locale) == locale
    for theme in domain.THEMES:
        assert cleaned("theme", theme) == theme


def test_the_choice_rule_names_the_options():
    # the cleaner behind locale and theme, built when the choice is made
    pick_locale = domain._choice(domain.LOCALES)
    assert pick_locale("ru") == "ru"
    with pytest.raises(ValueError, match="^must be one of en, ru$"):
        pick_locale("EN")


def test_an_accent_colour_is_stored_lower_case():
    assert cleaned("accent_color", " #1A73E8 ") == "#1a73e8"
    assert cleaned("accent_color", "#00ff7f") == "#00ff7f"


def test_no_accent_colour_means_the_themes_own():
    assert cleaned("accent_color", None) is None
    assert cleaned("accent_color", "") is None


@pytest.mark.parametrize("value", ["1a73e8", "#1a73e", "#1a73e8f", "#1g73e8", "blue", 0x1A73E8])
def test_a_bad_accent_colour_shows_an_example(value):
    assert refused({"accent_color": value}).errors == [
        {"field": "accent_color", "message": "must be a colour like #1a73e8"}
    ]


# --- what changes ---------------------------------------------------------------------------


def test_a_new_set_of_roles_is_a_change():
    current = {"role_ids": [ROLE_ID], "locale": "en"}
    changes = {"role_ids": [ROLE_ID, OTHER_ROLE_ID], "locale": "en"}
    assert domain.changed_user_fields(current, changes) == ["role_ids"]


def test_no_roles_before_and_none_given_is_no_change():
    assert domain.changed_user_fields({"role_ids": None}, {"role_ids": []}) == []


def test_changed_fields_come_in_the_order_of_the_record():
    current = {"email": "a@x.io", "theme": "light", "team_id": None, "accent_color": None}
    changes = {"accent_color": "#000000", "theme": "dark", "email": "b@x.io", "team_id": ROLE_ID}
    assert domain.changed_user_fields(current, changes) == [
        "email",
        "team_id",
        "theme",
        "accent_color",
    ]


# --- who may change what ---------------------------------------------------------------------


def test_users_change_their_own_accent_colour():
    domain.check_may_update_user(REP, "r", ["accent_color"])


def test_nothing_changed_is_allowed_to_anyone_on_their_own_record():
    domain.check_may_update_user(REP, "r", [])


def test_a_user_changing_someone_else_is_told_so():
    with pytest.raises(PermissionDenied) as exc:
        domain.check_may_update_user(REP, "someone", ["full_name"])
    assert exc.value.message == "You may change only your own profile"
    assert exc.value.errors == []


def test_the_fields_only_an_admin_changes_are_named():
    with pytest.raises(PermissionDenied) as exc:
        domain.check_may_update_user(REP, "r", ["full_name", "email", "is_active"])
    assert exc.value.message == "Only an administrator may change email, is_active"
    assert exc.value.errors == [
        {"field": "email", "message": "only an administrator may change this"},
        {"field": "is_active", "message": "only an administrator may change this"},
    ]


def test_only_an_admin_creates_users_or_teams_and_is_told_which():
    with pytest.raises(PermissionDenied) as exc:
        domain.check_may_create_user(REP)
    assert exc.value.message == "Only an administrator may create users"
    with pytest.raises(PermissionDenied) as exc:
        team_rules.check_may_manage_teams(REP)
    assert exc.value.message == "Only an administrator may create, change or delete teams"


# --- the last administrator -----------------------------------------------------------------


def test_the_last_active_admin_is_told_what_to_do_first():
    with pytest.raises(Conflict) as exc:
        domain.check_admins_remain(
            was_active_admin=True, stays_active_admin=False, other_active_admins=0
        )
    assert exc.value.message == "This is the last active administrator; make another one first"
    assert exc.value.errors == [
        {"field": "role_ids", "message": "the last active administrator must stay one"}
    ]


def test_the_last_admin_may_change_what_keeps_them_admin():
    domain.check_admins_remain(
        was_active_admin=True, stays_active_admin=True, other_active_admins=0
    )


def test_unknown_role_ids_are_all_named_in_order():
    with pytest.raises(ValidationFailed) as exc:
        domain.check_role_ids_exist(["c", "a", "b"], ["a"])
    assert exc.value.errors == [{"field": "role_ids", "message": "no such role: b, c"}]
    assert exc.value.message == "role_ids: no such role: b, c"
    domain.check_role_ids_exist(["a"], ["a", "b"])
    domain.check_role_ids_exist([], [])
