"""A user's UI settings: a short dotted key and a JSON value of at most 64 KB."""

from __future__ import annotations

import pytest

from services.identity import domain
from services.platform.errors import ValidationFailed

KEY_RULE = "must be 1-100 of a-z, 0-9, '.', '_', '-', from a letter"


def refused(key: object, value: object) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_preference(key, value)
    return exc.value


def test_a_setting_comes_back_as_given():
    columns = {"leads": ["name", "company", "score"], "widths": [120, 80.5], "pinned": None}
    assert domain.clean_preference("columns.leads", columns) == ("columns.leads", columns)
    assert domain.clean_preference("a", False) == ("a", False)
    assert domain.clean_preference("views.saved-1_x", []) == ("views.saved-1_x", [])


def test_a_key_of_exactly_one_hundred_characters_is_accepted():
    key = "k" + "0" * 99
    assert domain.clean_preference(key, 1) == (key, 1)


@pytest.mark.parametrize("key", ["k" * 101, "", "1columns", ".columns", "Columns", "a b", 7, None])
def test_a_bad_key_is_told_the_rule(key):
    error = refused(key, 1)
    assert error.errors == [{"field": "key", "message": KEY_RULE}]
    assert error.message == f"key: {KEY_RULE}"


def test_a_value_of_exactly_64_kb_of_json_is_accepted():
    # a JSON string is its characters and two quotes
    value = "x" * (domain.PREFERENCE_MAX_BYTES - 2)
    assert domain.clean_preference("note", value) == ("note", value)


def test_a_value_is_measured_as_compact_json():
    # with ", " and ": " between them this list would be 2 bytes over 64 KB
    value = ["x" * (domain.PREFERENCE_MAX_BYTES - 8), 1, 2]
    assert domain.clean_preference("note", value) == ("note", value)


def test_a_value_one_byte_over_64_kb_is_refused():
    error = refused("note", "x" * (domain.PREFERENCE_MAX_BYTES - 1))
    assert error.errors == [{"field": "value", "message": "must be at most 65536 bytes of JSON"}]


@pytest.mark.parametrize("value", [{1, 2}, object(), b"bytes"])
def test_a_value_that_is_not_json_is_refused(value):
    error = refused("note", value)
    assert error.errors == [{"field": "value", "message": "must be JSON"}]
    assert error.message == "value: must be JSON"


def test_a_value_that_contains_itself_is_refused():
    looped: list = []
    looped.append(looped)
    assert refused("note", looped).errors == [{"field": "value", "message": "must be JSON"}]
