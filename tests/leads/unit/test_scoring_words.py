"""Scoring's rules (``domain.scoring``) pinned further: the words of every refusal, the
boundaries (a score of exactly 0 and 100, ±100 points, 200 values), how values compare,
and what a save adds to the changed fields."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any

import pytest

from services.leads import domain
from services.platform.errors import ValidationFailed


def refusal(data: Any, current: Any = None) -> list[dict[str, str]]:
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_scoring_rule(data, current)
    return exc.value.errors


def rule(field: str, operator: str, value: Any = None, points: int = 10) -> dict[str, Any]:
    return {
        "id": f"{field}-{operator}",
        "name": field,
        "field": field,
        "operator": operator,
        "value": value,
        "points": points,
    }


# --- the score -------------------------------------------------------------------------


def test_a_score_of_exactly_0_and_exactly_100():
    assert domain.evaluate([rule("email", "is_set", points=100)], {"email": "a"})[0] == 100
    assert (
        domain.evaluate(
            [rule("email", "is_set", points=60), rule("phone", "is_set", points=40)],
            {"email": "a", "phone": "p"},
        )[0]
        == 100
    )
    assert domain.evaluate(
        [rule("email", "is_set", points=30), rule("phone", "is_empty", points=-30)],
        {"email": "a"},
    ) == (
        0,
        [
            {"rule_id": "email-is_set", "name": "email", "points": 30},
            {"rule_id": "phone-is_empty", "name": "phone", "points": -30},
        ],
    )
    assert domain.evaluate([rule("email", "is_set", points=99)], {"email": "a"})[0] == 99
    assert domain.evaluate([rule("email", "is_set", points=1)], {"email": "a"})[0] == 1


def test_a_rule_id_is_given_as_text():
    rules = [
        {"id": 7, "name": "n", "field": "email", "operator": "is_set", "value": None, "points": 5}
    ]
    assert domain.evaluate(rules, {"email": "a"})[1] == [{"rule_id": "7", "name": "n", "points": 5}]


def test_the_fields_a_rule_reads_of_a_lead():
    lead = SimpleNamespace(email="a@b.io", score=5, version=2)
    values = domain.lead_values(lead)
    assert values["email"] == "a@b.io" and values["region"] is None
    assert set(values) == set(domain.SCORABLE_FIELDS)
    assert "score" not in values and "version" not in values
    assert domain.lead_values({"email": "a@b.io", "score": 5}) == {
        **dict.fromkeys(domain.SCORABLE_FIELDS),
        "email": "a@b.io",
    }


def test_a_save_lists_the_score_fields_scoring_changed_once():
    reasons = [{"rule_id": "r", "name": "n", "points": 5}]
    assert domain.rescored_fields(["email"], (None, None), (5, reasons)) == [
        "email",
        "score",
        "score_reasons",
    ]
    assert domain.rescored_fields(["score"], (1, []), (5, [])) == ["score"]
    assert domain.rescored_fields([], (5, reasons), (5, reasons)) == []
    assert domain.rescored_fields([], (5, None), (5, [])) == []
    assert domain.rescored_fields([], (5, reasons), (5, [])) == ["score_reasons"]
    assert domain.rescored_fields(["score_reasons"], (5, []), (5, reasons)) == ["score_reasons"]
    changed = ["email"]
    domain.rescored_fields(changed, (None, None), (5, []))
    assert changed == ["email"]  # the caller's list is left as it was


# --- comparing values ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "actual", "expected", "holds"),
    [
        ("equals", 5, 5, True),
        ("equals", "5.0", 5, True),
        ("equals", "five", 5, False),
        ("equals", 5, "5", True),
        ("equals", True, True, True),
        ("equals", "true", True, True),
        ("equals", 1, True, False),
        ("equals", True, "TRUE", True),
        ("equals", False, True, False),
        ("equals", "inf", 5, False),
        ("equals", "x", None, False),
        ("equals", [], "x", False),
        ("not_equals", "", "web", True),
        ("not_equals", "WEB", "web", False),
        ("in", "b", None, False),
        ("in", 2, [1, 2], True),
        ("contains", "Initech", "", True),
        ("is_set", [], None, False),
        ("is_set", {"a": 1}, None, True),
        ("is_set", 0, None, True),
        ("is_empty", {}, None, True),
        ("is_empty", 0, None, False),
        ("gte", 40, 40, True),
        ("gte", 40, 41, False),
        ("lte", 40, 40, True),
        ("lte", 41, 40, False),
        ("lte", "", 40, False),
        ("gte", True, 1, False),
        ("gte", "2026-03-01", 5, False),
        ("gte", 5, "2026-03-01", False),
        ("gte", "2026-03-01", "2026-03-01", True),
        ("lte", "2026-03-01", "2026-03-01", True),
        ("gte", "2026-03-01T10:00:00Z", "2026-03-01T10:00:00+00:00", True),
        ("lte", "2026-03-01T10:00:00Z", "2026-03-01T09:59:59Z", False),
        ("gte", "2026-03-01T12:00:00", "2026-03-01T12:00:00Z", True),
        ("lte", "2026-03-01T12:00:00", "2026-03-01T12:00:00Z", True),
        (
            "gte",
            datetime(2026, 3, 1, 1, 0, tzinfo=timezone(timedelta(hours=3))),
            "2026-03-01",
            False,
        ),
        ("gte", "2026-03-02", "2026-03-01T23:00:00Z", True),
        ("lte", "2026-03-01", "2026-03-01T23:00:00Z", True),
        ("lte", "2026-03-02", "2026-03-01T23:00:00Z", False),
        ("gte", date(2026, 3, 1), "2026-03-01", True),
        ("gte", datetime(2026, 3, 1, 12), "2026-03-01T12:00:00Z", True),
        ("lte", datetime(2026, 3, 1, 12), "2026-03-01T11:00:00Z", False),
        ("like", "x", "x", False),
    ],
)
def test_how_values_compare(operator, actual, expected, holds):
    assert domain.condition_holds(operator, actual, expected) is holds


def test_times_and_dates_compare_as_text_in_iso_form():
    moment = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    assert domain.condition_holds("contains", moment, "2026-03-01T09") is False  # case-folded
    assert domain.condition_holds("contains", moment, "2026-03-01") is True
    assert domain.condition_holds("contains", moment, ":00Z") is False
    assert domain.condition_holds("equals", date(2026, 3, 1), "2026-03-01") is True
    assert domain.condition_holds("contains", date(2026, 3, 1), "03-01") is True


@pytest.mark.parametrize(
    ("given", "moment"),
    [
        ("2026-03-01", date(2026, 3, 1)),
        (" 2026-03-01 ", date(2026, 3, 1)),
        ("2026-03-01T09:00:00Z", datetime(2026, 3, 1, 9, 0, tzinfo=UTC)),
        ("2026-03-01T09:00:00", datetime(2026, 3, 1, 9, 0, tzinfo=UTC)),
        (datetime(2026, 3, 1, 9, 0), datetime(2026, 3, 1, 9, 0, tzinfo=UTC)),
        (date(2026, 3, 1), date(2026, 3, 1)),
        ("2026-13-01", None),
        ("yesterday", None),
        (20260301, None),
        (None, None),
    ],
)
def test_what_reads_as_a_moment(given, moment):
    assert domain.parse_moment(given) == moment


def test_an_aware_time_keeps_its_zone():
    plus3 = timezone(timedelta(hours=3))
    assert domain.parse_moment("2026-03-01T09:00:00+03:00").tzinfo == plus3
    aware = datetime(2026, 3, 1, 9, 0, tzinfo=plus3)
    assert domain.parse_moment(aware) is aware


# --- the words of a refused rule -------------------------------------------------------


def test_a_good_rule_of_each_kind_comes_out_clean():
    assert domain.clean_scoring_rule(
        {
            "name": "n" * 200,
            "field": "created_at",
            "operator": "gte",
            "value": "2026-03-01",
            "points": -100,
            "is_active": False,
        }
    ) == {
        "name": "n" * 200,
        "field": "created_at",
        "operator": "gte",
        "value": "2026-03-01",
        "points": -100,
        "is_active": False,
    }
    assert (
        domain.clean_scoring_rule(
            {"name": "x", "field": "region", "operator": "in", "value": ["a"] * 200, "points": 100}
        )["value"]
        == ["a"] * 200
    )
    for value in (5, 2.5, "2026-03-01T10:00:00Z"):
        domain.clean_scoring_rule(
            {"name": "x", "field": "created_at", "operator": "lte", "value": value, "points": 1}
        )
    for value in (True, 0, 1.5, "x" * 300):
        domain.clean_scoring_rule(
            {"name": "x", "field": "region", "operator": "equals", "value": value, "points": 1}
        )
    domain.clean_scoring_rule(
        {"name": "x", "field": "region", "operator": "contains", "value": "x" * 300, "points": 1}
    )
    domain.clean_scoring_rule(
        {"name": "x", "field": "stage", "operator": "equals", "value": " handoff ", "points": 1}
    )
    domain.clean_scoring_rule(
        {
            "name": "x",
            "field": "owner_id",
            "operator": "in",
            "value": ["0190e1a4-1d2b-7c3d-8e4f-000000000101"],
            "points": 1,
        }
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"id": "x"}, {"field": "id", "message": "is read-only"}),
        ({"version": 2}, {"field": "version", "message": "is read-only"}),
        ({"colour": 2}, {"field": "colour", "message": "unknown field"}),
        ({"name": 5}, {"field": "name", "message": "give the rule a name"}),
        ({"name": "n" * 201}, {"field": "name", "message": "must be at most 200 characters"}),
        ({"points": 1.0}, {"field": "points", "message": "must be a whole number"}),
        ({"points": True}, {"field": "points", "message": "must be a whole number"}),
        ({"points": 101}, {"field": "points", "message": "must be from -100 to 100"}),
        ({"points": -101}, {"field": "points", "message": "must be from -100 to 100"}),
        ({"is_active": "yes"}, {"field": "is_active", "message": "must be true or false"}),
        (
            {"operator": "like"},
            {
                "field": "operator",
                "message": "must be one of equals, not_equals, in, contains, is_set, is_empty,"
                " gte, lte",
            },
        ),
    ],
)
def test_each_bad_rule_field_is_named_with_why(data, expected):
    stored = {"name": "x", "field": "region", "operator": "is_set", "value": None, "points": 1}
    assert refusal(data, stored) == [expected]


def test_the_fields_a_rule_may_look_at_are_listed():
    errors = refusal({"name": "x", "field": "score", "operator": "is_set", "points": 1})
    assert errors == [
        {"field": "field", "message": f"must be one of {', '.join(domain.SCORABLE_FIELDS)}"}
    ]
    assert domain.SCORABLE_FIELDS[:2] == ("contact_name", "account_name")


@pytest.mark.parametrize(
    ("field", "operator", "value", "message"),
    [
        ("region", "is_set", "x", "is_set takes no value (send null)"),
        ("region", "is_empty", 0, "is_empty takes no value (send null)"),
        ("region", "equals", None, "must be a text, a number or true/false"),
        ("region", "equals", " ", "must be a text, a number or true/false"),
        ("region", "equals", "x" * 301, "must be a text, a number or true/false"),
        ("region", "not_equals", float("nan"), "must be a text, a number or true/false"),
        ("region", "in", "x", "must be a non-empty list of values"),
        ("region", "in", [], "must be a non-empty list of values"),
        ("region", "in", ["a"] * 201, "at most 200 values"),
        ("region", "in", ["a", None], "every value must be a text, a number or true/false"),
        ("region", "contains", 5, "must be a non-empty text of at most 300 characters"),
        ("region", "contains", "  ", "must be a non-empty text of at most 300 characters"),
        ("region", "contains", "x" * 301, "must be a non-empty text of at most 300 characters"),
        ("created_at", "gte", "soon", "must be a number or an ISO date (2026-03-01) or date-time"),
        ("created_at", "lte", True, "must be a number or an ISO date (2026-03-01) or date-time"),
        (
            "created_at",
            "gte",
            float("inf"),
            "must be a number or an ISO date (2026-03-01) or date-time",
        ),
        ("created_at", "gte", None, "must be a number or an ISO date (2026-03-01) or date-time"),
        (
            "stage",
            "equals",
            "won",
            "stage is one of qualification, distribution, handoff, awaiting_sale, converted,"
            " disqualified, nurturing",
        ),
        (
            "stage",
            "equals",
            5,
            "stage is one of qualification, distribution, handoff,"
            " awaiting_sale, converted, disqualified, nurturing",
        ),
        ("owner_id", "not_equals", "ann", "owner_id holds a UUID"),
        ("owner_id", "in", ["0190e1a4-1d2b-7c3d-8e4f-000000000101", "x"], "owner_id holds a UUID"),
    ],
)
def test_the_value_is_checked_against_the_operator_and_field(field, operator, value, message):
    data = {"name": "x", "field": field, "operator": operator, "value": value, "points": 1}
    assert refusal(data) == [{"field": "value", "message": message}]


def test_the_value_is_not_checked_while_the_field_or_operator_is_bad():
    assert refusal({"name": "x", "field": "nope", "operator": "in", "value": 5, "points": 1}) == [
        {"field": "field", "message": f"must be one of {', '.join(domain.SCORABLE_FIELDS)}"}
    ]


def test_a_rule_is_an_object():
    assert refusal(["name"]) == [{"field": "data", "message": "must be an object of rule fields"}]


def test_an_update_needs_no_required_fields():
    stored = {"name": "x", "field": "region", "operator": "is_set", "value": None, "points": 1}
    assert domain.clean_scoring_rule({"name": " y "}, stored) == {"name": "y"}
    assert domain.clean_scoring_rule({}, stored) == {}


def test_only_rule_fields_that_differ_are_changes():
    current = {
        "name": "x",
        "field": "region",
        "operator": "is_set",
        "value": None,
        "points": 1,
        "is_active": True,
    }
    assert domain.scoring_rule_changes(current, {"points": 2, "name": "x", "is_active": False}) == [
        "points",
        "is_active",
    ]


def test_a_new_rule_missing_its_name_and_points_still_has_its_value_checked():
    assert refusal({"field": "region", "operator": "in"}) == [
        {"field": "name", "message": "is required"},
        {"field": "points", "message": "is required"},
        {"field": "value", "message": "must be a non-empty list of values"},
    ]
    assert refusal({}) == [
        {"field": name, "message": "is required"}
        for name in ("name", "field", "operator", "points")
    ]


@pytest.mark.parametrize(
    ("change", "bad_field"), [({"field": "nope"}, "field"), ({"operator": "like"}, "operator")]
)
def test_a_value_is_not_checked_against_a_bad_field_or_operator(change, bad_field):
    stored = {"name": "x", "field": "region", "operator": "is_set", "value": None, "points": 1}
    errors = refusal({**change, "value": 5}, stored)
    assert [e["field"] for e in errors] == [bad_field]


@pytest.mark.parametrize(
    ("operator", "actual", "expected", "holds"),
    [
        ("equals", "6", 5, False),
        ("equals", "None", None, False),
        ("gte", "inf", 5, False),
        ("lte", "-inf", 5, False),
        ("gte", "2026-03-01T09:00:00Z", "2026-03-01T10:00:00Z", False),
        ("lte", "2026-03-01T09:00:00Z", "2026-03-01T10:00:00Z", True),
    ],
)
def test_more_comparisons(operator, actual, expected, holds):
    assert domain.condition_holds(operator, actual, expected) is holds


def test_days_are_compared_in_utc_whatever_the_servers_zone(monkeypatch):
    import time

    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        # 20:00 UTC on 1 March is 2 March in Tokyo: still 1 March for the rule
        late = "2026-03-01T20:00:00Z"
        assert domain.condition_holds("lte", late, "2026-03-01") is True
        assert domain.condition_holds("gte", "2026-03-01", late) is True
    finally:
        monkeypatch.undo()
        time.tzset()
