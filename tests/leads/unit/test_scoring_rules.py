"""Scoring rules as pure functions: each operator, the 0..100 bounds, the reasons, checks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from services.leads.domain import (
    SCORABLE_FIELDS,
    check_rule,
    clean_rule,
    clean_scoring_rule,
    condition_holds,
    evaluate,
    first_matching,
    least_loaded,
    next_round_robin,
    score_lead,
)
from services.platform.errors import ValidationFailed


def rule(field: str, operator: str, value: Any = None, points: int = 10, **extra: Any) -> dict:
    return {
        "id": extra.get("id", f"r-{field}-{operator}"),
        "name": extra.get("name", f"{field} {operator}"),
        "field": field,
        "operator": operator,
        "value": value,
        "points": points,
    }


def fields_of(exc: pytest.ExceptionInfo) -> set[str]:
    return {e["field"] for e in exc.value.errors}


# --- operators --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "actual", "expected", "holds"),
    [
        ("equals", "Web", "web", True),
        ("equals", "  web ", "WEB", True),
        ("equals", "webinar", "web", False),
        ("equals", None, "web", False),
        ("not_equals", "Web", "web", False),
        ("not_equals", "fair", "web", True),
        ("not_equals", None, "web", True),
        ("in", "Fair", ["web", "fair"], True),
        ("in", "call", ["web", "fair"], False),
        ("in", None, ["web"], False),
        ("contains", "Initech Holdings", "tech", True),
        ("contains", "Initech", "TECH", True),
        ("contains", "Acme", "tech", False),
        ("contains", None, "tech", False),
        ("is_set", "x", None, True),
        ("is_set", "  ", None, False),
        ("is_set", None, None, False),
        ("is_empty", None, None, True),
        ("is_empty", "", None, True),
        ("is_empty", "x", None, False),
        ("gte", "42", 40, True),
        ("gte", "40", 40, True),
        ("gte", "39.5", 40, False),
        ("lte", "39.5", 40, True),
        ("gte", "many", 40, False),
        ("gte", None, 40, False),
        ("gte", "2026-03-02", "2026-03-01", True),
        ("lte", "2026-03-02", "2026-03-01", False),
        ("gte", datetime(2026, 3, 1, 23, 0, tzinfo=UTC), "2026-03-01", True),
        ("lte", datetime(2026, 3, 1, 23, 0, tzinfo=UTC), "2026-03-01", True),
        ("gte", datetime(2026, 2, 28, 23, 0, tzinfo=UTC), "2026-03-01", False),
        ("gte", datetime(2026, 3, 1, 12, 0, tzinfo=UTC), "2026-03-01T12:00:00Z", True),
        ("lte", datetime(2026, 3, 1, 12, 0, 1, tzinfo=UTC), "2026-03-01T12:00:00Z", False),
        ("gte", "not a date", "2026-03-01", False),
    ],
)
def test_each_operator(operator: str, actual: Any, expected: Any, holds: bool) -> None:
    assert condition_holds(operator, actual, expected) is holds


# --- the score and its reasons ----------------------------------------------------------


def test_points_add_up_and_the_reasons_name_each_rule_met() -> None:
    rules = [
        rule("source", "equals", "web", 30, id="a", name="From the website"),
        rule("email", "is_set", None, 20, id="b", name="Has an email"),
        rule("need_type", "in", ["CRM", "ERP"], 25, id="c", name="A need we sell"),
        rule("region", "equals", "north", 40, id="d", name="North"),
    ]
    lead = {"source": "Web", "email": "ann@acme.io", "need_type": "crm", "region": "south"}
    score, reasons = evaluate(rules, lead)
    assert score == 75
    assert reasons == [
        {"rule_id": "a", "name": "From the website", "points": 30},
        {"rule_id": "b", "name": "Has an email", "points": 20},
        {"rule_id": "c", "name": "A need we sell", "points": 25},
    ]


def test_the_score_is_held_to_0_to_100_but_every_reason_is_listed() -> None:
    high = [rule("email", "is_set", None, 70, id="a"), rule("phone", "is_set", None, 60, id="b")]
    lead = {"email": "a@b.io", "phone": "+15550100"}
    score, reasons = evaluate(high, lead)
    assert score == 100 and [r["points"] for r in reasons] == [70, 60]
    low = [rule("email", "is_empty", None, -40, id="a"), rule("phone", "is_empty", None, -80)]
    score, reasons = evaluate(low, {})
    assert score == 0 and [r["points"] for r in reasons] == [-40, -80]
    assert evaluate([rule("email", "is_set", None, 50)], {}) == (0, [])


def test_negative_points_take_away() -> None:
    rules = [rule("email", "is_set", None, 50, id="a"), rule("source", "equals", "spam", -30)]
    assert evaluate(rules, {"email": "a@b.io", "source": "SPAM"})[0] == 20


def test_with_no_rules_the_score_stays_and_there_are_no_reasons() -> None:
    assert score_lead([], {"email": "a@b.io"}, 35) == (35, [])
    assert score_lead([], {}, None) == (None, [])
    assert score_lead([rule("email", "is_set", None, 10, id="a")], {}, 35) == (0, [])


def test_rules_read_from_objects_as_well_as_mappings() -> None:
    class Rule:
        id, name, field, operator, value, points = "x", "Web", "source", "equals", "web", 15

    assert evaluate([Rule()], {"source": "web"}) == (
        15,
        [{"rule_id": "x", "name": "Web", "points": 15}],
    )


# --- checking a scoring rule ------------------------------------------------------------


def test_a_good_rule_passes_cleaned() -> None:
    clean = clean_scoring_rule(
        {"name": " Web ", "field": "source", "operator": "equals", "value": " web ", "points": 30}
    )
    assert clean == {
        "name": "Web",
        "field": "source",
        "operator": "equals",
        "value": "web",
        "points": 30,
    }


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ValidationFailed) as exc:
        clean_scoring_rule(
            {"name": "", "field": "version", "operator": "like", "points": 101, "colour": "x"}
        )
    assert fields_of(exc) == {"name", "field", "operator", "points", "colour"}
    with pytest.raises(ValidationFailed) as exc:
        clean_scoring_rule({})
    assert fields_of(exc) == {"name", "field", "operator", "points"}


@pytest.mark.parametrize("field", ["id", "version", "score", "score_reasons", "created_by"])
def test_the_score_cannot_depend_on_these_fields(field: str) -> None:
    assert field not in SCORABLE_FIELDS
    with pytest.raises(ValidationFailed) as exc:
        clean_scoring_rule({"name": "x", "field": field, "operator": "is_set", "points": 1})
    assert fields_of(exc) == {"field"}


@pytest.mark.parametrize(
    ("field", "operator", "value"),
    [
        ("source", "in", "web"),  # not a list
        ("source", "in", []),
        ("source", "equals", None),
        ("source", "equals", {"a": 1}),
        ("source", "contains", ""),
        ("source", "is_set", "web"),  # takes no value
        ("created_at", "gte", "yesterday"),
        ("stage", "equals", "won"),  # not a stage
        ("stage", "in", ["handoff", "won"]),
        ("owner_id", "equals", "not-a-uuid"),
    ],
)
def test_the_value_must_suit_the_operator_and_field(field: str, operator: str, value: Any) -> None:
    with pytest.raises(ValidationFailed) as exc:
        clean_scoring_rule(
            {"name": "x", "field": field, "operator": operator, "value": value, "points": 5}
        )
    assert fields_of(exc) == {"value"}


def test_an_update_is_checked_against_the_stored_rule() -> None:
    stored = {"name": "Web", "field": "source", "operator": "equals", "value": "web", "points": 5}
    assert clean_scoring_rule({"points": 9}, stored) == {"points": 9}
    with pytest.raises(ValidationFailed) as exc:
        clean_scoring_rule({"operator": "in"}, stored)  # "web" is not a list
    assert fields_of(exc) == {"value"}
    assert clean_scoring_rule({"operator": "in", "value": ["web"]}, stored)["operator"] == "in"


# --- distribution rules (pure parts) ----------------------------------------------------


class R:
    def __init__(self, **kw: Any) -> None:
        self.is_active = kw.pop("is_active", True)
        for name in ("need_type", "source", "region", "team_id"):
            setattr(self, name, kw.pop(name, None))
        self.__dict__.update(kw)


def test_round_robin_turns_and_least_loaded_ties() -> None:
    assert [next_round_robin(["a", "b", "c"], i) for i in (-1, 0, 1, 2)] == [0, 1, 2, 0]
    assert next_round_robin(["a", "b"], 5) == 0  # the list got shorter meanwhile
    assert least_loaded(["a", "b", "c"], {"a": 3, "b": 1, "c": 1}) == "b"
    assert least_loaded(["a", "b"], {}) == "a"


def test_the_first_active_matching_rule_wins() -> None:
    lead = R(need_type="CRM", source="web", region="North", team_id="t1")
    rules = [
        R(id=1, need_type="erp"),
        R(id=2, source="WEB", is_active=False),
        R(id=3, region=" north ", team_id="t1"),
        R(id=4),
    ]
    assert first_matching(rules, lead).id == 3
    assert first_matching(rules[:2], lead) is None
    assert first_matching([R(id=5, team_id="t2"), R(id=6)], lead).id == 6


def test_distribution_rule_checks() -> None:
    with pytest.raises(ValidationFailed) as exc:
        clean_rule({"owner_ids": ["x"], "position": -1, "last_index": 3}, creating=True)
    assert fields_of(exc) == {"owner_ids", "position", "last_index", "name", "strategy"}
    with pytest.raises(ValidationFailed) as exc:
        check_rule({"strategy": "round_robin", "owner_ids": []})
    assert fields_of(exc) == {"owner_ids"}
    with pytest.raises(ValidationFailed) as exc:
        check_rule({"strategy": "fixed_owner", "owner_ids": []})
    assert fields_of(exc) == {"fixed_owner_id"}
