"""What a new team accepts. The messages are what the API returns beside each field."""

from __future__ import annotations

import pytest

from services.identity import team_rules
from services.platform.errors import ValidationFailed

MANAGER_ID = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"


def refused(data: object) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as exc:
        team_rules.clean_team_data(data)
    return exc.value


def test_a_team_with_a_manager_names_them_canonically():
    assert team_rules.clean_team_data(
        {"name": "North", "manager_id": f" {MANAGER_ID.upper()} "}
    ) == {
        "name": "North",
        "manager_id": MANAGER_ID,
    }


def test_an_empty_manager_means_none():
    for empty in ("", None):
        assert team_rules.clean_team_data({"name": "North", "manager_id": empty}) == {
            "name": "North",
            "manager_id": None,
        }


def test_a_name_of_exactly_the_maximum_length_is_accepted():
    name = "t" * team_rules.TEAM_NAME_MAX_LENGTH
    assert team_rules.clean_team_data({"name": name})["name"] == name
    # collapsed spaces do not count against it
    assert team_rules.clean_team_data({"name": f"  {name}\t"})["name"] == name


def test_a_name_one_character_too_long_is_refused():
    assert refused({"name": "t" * 201}).errors == [
        {"field": "name", "message": "must be at most 200 characters"}
    ]


@pytest.mark.parametrize("name", [None, "", "  \n ", 7, ["North"]])
def test_a_team_needs_a_name(name):
    data = {} if name is None else {"name": name}
    assert refused(data).errors == [{"field": "name", "message": "is required"}]


def test_a_manager_that_is_not_an_id_is_refused():
    assert refused({"name": "North", "manager_id": "boss"}).errors == [
        {"field": "manager_id", "message": "must be a user id"}
    ]
    assert refused({"name": "North", "manager_id": 12}).errors == [
        {"field": "manager_id", "message": "must be a user id"}
    ]


def test_the_id_is_read_only_and_other_fields_unknown():
    error = refused({"id": MANAGER_ID, "name": "North", "size": 3})
    assert error.errors == [
        {"field": "id", "message": "is read-only"},
        {"field": "size", "message": "unknown field"},
    ]
    assert error.message == "id: is read-only; size: unknown field"


def test_every_problem_is_reported_at_once():
    error = refused({"Name": "North", "manager_id": "boss"})
    assert error.errors == [
        {"field": "Name", "message": "unknown field"},
        {"field": "name", "message": "is required"},
        {"field": "manager_id", "message": "must be a user id"},
    ]


def test_a_body_that_is_not_an_object_is_named_data():
    for body in (["name"], "North", None):
        error = refused(body)
        assert error.errors == [{"field": "data", "message": "must be an object of team fields"}]
        assert error.message == "data: must be an object of team fields"
