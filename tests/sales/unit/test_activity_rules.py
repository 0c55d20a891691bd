"""The pure rules of activities and forecast plans (no database)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from services.platform.access import Actor
from services.platform.errors import PermissionDenied, ValidationFailed
from services.sales import domain
from services.sales.domain import (
    activity_errors,
    clean_activity,
    clean_participants,
    clean_plan,
    clean_plan_changes,
    is_overdue,
    participant_positions,
    period_end,
    period_start_error,
    weighted,
)

A = "0196f5c4-0000-7000-8000-00000000000a"
B = "0196f5c4-0000-7000-8000-00000000000b"


def fields(exc: pytest.ExceptionInfo) -> set[str]:
    return {e["field"] for e in exc.value.errors}


def test_participants_are_sorted_checked_and_not_repeated():
    clean, errors = clean_participants(
        [{"type": "user", "id": A}, {"type": "contact", "id": B.upper()}]
    )
    assert errors == []
    assert clean == [{"type": "contact", "id": B}, {"type": "user", "id": A}]
    assert clean_participants(None) == ([], [])
    _, errors = clean_participants("everyone")
    assert [e["field"] for e in errors] == ["participants"]
    _, errors = clean_participants(
        [
            {"type": "user", "id": A},
            {"type": "user", "id": A},
            {"type": "team", "id": A},
            {"type": "user", "id": "7"},
            {"type": "user", "id": B, "role": "host"},
            "ann",
        ]
    )
    assert [e["field"] for e in errors] == [
        "participants[1]",
        "participants[2].type",
        "participants[3].id",
        "participants[4].role",
        "participants[5]",
    ]
    _, errors = clean_participants([{"type": "user", "id": A}] * 101)
    assert [e["field"] for e in errors] == ["participants"]


def test_clean_activity_reports_fields_and_participants_together():
    with pytest.raises(ValidationFailed) as exc:
        clean_activity({"type": "party", "participants": [{"type": "x", "id": A}], "id": A})
    assert fields(exc) == {"type", "participants[0].type", "id"}
    changes = clean_activity({"title": "  Call  ", "participants": None})
    assert changes == {"title": "Call", "participants": []}
    assert participant_positions({"participants": [{"type": "contact", "id": A.upper()}]}) == {
        ("contact", A): 0
    }


def test_due_not_before_start_and_related_type_and_id_together():
    base = {"status": "not_started", "priority": "normal"}
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert activity_errors({**base, "start_at": start, "due_at": start}) == []
    errors = activity_errors(
        {**base, "start_at": "2026-03-02T09:00:00Z", "due_at": start - timedelta(seconds=1)}
    )
    assert [e["field"] for e in errors] == ["due_at"]
    assert [e["field"] for e in activity_errors({**base, "related_type": "lead"})] == ["related_id"]
    assert [e["field"] for e in activity_errors({**base, "related_id": A})] == ["related_type"]
    assert [e["field"] for e in activity_errors({"priority": "low"})] == ["status"]


def test_overdue_means_open_and_due_before_now():
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    past, future = now - timedelta(minutes=1), now + timedelta(minutes=1)
    assert is_overdue(SimpleNamespace(status="in_progress", due_at=past), now)
    assert not is_overdue(SimpleNamespace(status="in_progress", due_at=future), now)
    assert not is_overdue(SimpleNamespace(status="completed", due_at=past), now)
    assert not is_overdue(SimpleNamespace(status="not_started", due_at=None), now)


def test_periods_and_plan_values():
    assert period_end("quarter", date(2026, 1, 1)) == date(2026, 3, 31)
    assert period_end("month", date(2028, 2, 1)) == date(2028, 2, 29)
    assert period_start_error("quarter", date(2026, 7, 1)) is None
    assert period_start_error("quarter", date(2026, 8, 1))
    values = clean_plan(
        {
            "team_id": A,
            "period_kind": "year",
            "period_start": "2026-01-01",
            "amount": 5,
            "currency": "eur",
        }
    )
    assert values["amount"] == Decimal("5.00") and values["currency"] == "EUR"
    assert values["owner_id"] is None
    with pytest.raises(ValidationFailed) as exc:
        clean_plan(
            {
                "owner_id": A,
                "team_id": B,
                "period_kind": "year",
                "period_start": "2026-02-01",
                "amount": "1",
                "currency": "EUR",
            }
        )
    assert fields(exc) == {"team_id", "period_start"}
    with pytest.raises(ValidationFailed) as exc:
        clean_plan_changes({"amount": "1.001", "period_kind": "month"})
    assert fields(exc) == {"amount", "period_kind"}
    assert clean_plan_changes({}) == {}


def test_weighted_rounds_half_up_to_the_cent():
    assert weighted(None) == Decimal("0.00")
    assert weighted(Decimal("33333")) == Decimal("333.33")
    assert weighted(Decimal("50")) == Decimal("0.50")
    assert weighted(Decimal("0.5")) == Decimal("0.01")  # 0.005 → 0.01


# --- activities: every message, every boundary ------------------------------------------------


def test_participants_hold_at_most_a_hundred_and_each_problem_has_its_message():
    hundred = [{"type": "user", "id": str(uuid.UUID(int=i))} for i in range(100)]
    clean, errors = clean_participants(hundred)
    assert errors == [] and len(clean) == 100
    assert clean_participants([*hundred, {"type": "user", "id": A}]) == (
        [],
        [{"field": "participants", "message": "may hold at most 100 participants"}],
    )
    assert clean_participants("everyone") == (
        [],
        [{"field": "participants", "message": "must be a list of {type, id}"}],
    )
    _, errors = clean_participants(
        ["ann", {"type": "team", "id": A}, {"type": "user", "id": 7}, {"type": "user", "id": A}]
        + [{"type": "user", "id": A.upper()}]
    )
    assert errors == [
        {"field": "participants[0]", "message": "must be an object {type, id}"},
        {"field": "participants[1].type", "message": "must be one of contact, user"},
        {"field": "participants[2].id", "message": "must be a UUID"},
        {"field": "participants[4]", "message": "is listed twice"},
    ]
    _, errors = clean_participants([{"type": "user", "id": A, "role": "host"}])
    assert errors == [{"field": "participants[0].role", "message": "unknown field"}]
    # the same id as a contact and as a user is two participants
    clean, errors = clean_participants([{"type": "user", "id": A}, {"type": "contact", "id": A}])
    assert errors == [] and [p["type"] for p in clean] == ["contact", "user"]
    clean, _ = clean_participants([{"type": "user", "id": B}, {"type": "user", "id": A}])
    assert [p["id"] for p in clean] == [A, B]


def test_clean_activity_refuses_what_is_not_an_object_and_keeps_what_it_was_sent():
    with pytest.raises(ValidationFailed) as exc:
        clean_activity(["call"])
    assert exc.value.errors == [
        {"field": "data", "message": "must be an object of activity fields"}
    ]
    assert clean_activity({"type": "call"}) == {"type": "call"}
    assert "participants" not in clean_activity({"title": "x"})
    with pytest.raises(ValidationFailed) as exc:
        clean_activity({"participants": 5})
    assert exc.value.errors == [
        {"field": "participants", "message": "must be a list of {type, id}"}
    ]


def test_a_new_activity_is_not_started_and_of_normal_priority_unless_said():
    assert domain.with_defaults({"type": "call"}) == {
        "type": "call",
        "status": "not_started",
        "priority": "normal",
    }
    assert domain.with_defaults({"status": "completed", "priority": None})["priority"] == "normal"
    assert domain.with_defaults({"status": "completed", "priority": "high"}) == {
        "status": "completed",
        "priority": "high",
    }


def test_an_error_about_a_contact_participant_names_its_place():
    positions = participant_positions(
        {"participants": [{"type": "user", "id": B}, {"type": "contact", "id": A}, "x"]}
    )
    assert positions == {("user", B): 0, ("contact", A): 1}
    assert domain.participant_place(positions, A) == "participants[1].id"
    assert domain.participant_place(positions, B) == "participants"
    assert participant_positions({"participants": "x"}) == {}
    assert participant_positions(["x"]) == {}
    first = participant_positions(
        {"participants": [{"type": "user", "id": A}, {"type": "user", "id": A}, {"id": "7"}]}
    )
    assert first == {("user", A): 0}


def test_the_rules_of_an_activity_name_their_fields():
    base = {"status": "not_started", "priority": "normal"}
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert activity_errors({**base, "start_at": start, "due_at": start - timedelta(seconds=1)}) == [
        {"field": "due_at", "message": "must not be before start_at"}
    ]
    assert activity_errors({**base, "due_at": start}) == []
    assert activity_errors({**base, "start_at": start}) == []
    assert activity_errors({**base, "related_type": "lead"}) == [
        {"field": "related_id", "message": "is required with related_type"}
    ]
    assert activity_errors({**base, "related_id": A}) == [
        {"field": "related_type", "message": "is required with related_id"}
    ]
    assert activity_errors({**base, "related_type": "lead", "related_id": A}) == []
    assert activity_errors({}) == [
        {"field": "status", "message": "may not be empty"},
        {"field": "priority", "message": "may not be empty"},
    ]
    assert domain.moment(None) is None
    assert domain.moment(start) is start
    assert domain.moment("2026-03-02T12:00:00+03:00") == start


def test_an_update_may_not_complete_an_activity():
    values = {"status": "completed", "priority": "normal"}
    message = "use POST /activities/{id}/complete to complete an activity"
    assert domain.update_errors(values, ["status"]) == [{"field": "status", "message": message}]
    assert domain.update_errors(values, ["title"]) == []
    assert domain.update_errors({"status": "cancelled", "priority": "low"}, ["status"]) == []
    assert domain.update_errors({"status": None, "priority": "low"}, []) == [
        {"field": "status", "message": "may not be empty"}
    ]


def test_due_exactly_now_is_not_overdue_yet():
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert not is_overdue(SimpleNamespace(status="not_started", due_at=now), now)
    assert not is_overdue(SimpleNamespace(status="cancelled", due_at=now - timedelta(1)), now)
    assert is_overdue(SimpleNamespace(status="not_started", due_at=now - timedelta(1)), now)


def test_completing_takes_only_a_result():
    assert domain.clean_completion(None) == {}
    assert domain.clean_completion({}) == {}
    assert domain.clean_completion({"result": "  Agreed  "}) == {"result": "Agreed"}
    assert domain.clean_completion({"result": None}) == {"result": None}
    assert domain.clean_completion({"result": "r" * 2000}) == {"result": "r" * 2000}
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_completion({"result": "r" * 2001})
    assert exc.value.errors == [{"field": "result", "message": "must be at most 2000 characters"}]
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_completion({"result": "ok", "mood": 1, "score": 2})
    assert exc.value.errors == [
        {"field": "mood", "message": "unknown field"},
        {"field": "score", "message": "unknown field"},
    ]
    with pytest.raises(ValidationFailed) as exc:
        domain.clean_completion("done")
    assert exc.value.errors == [{"field": "data", "message": "must be an object {result}"}]


@pytest.mark.parametrize(
    ("value", "flag"),
    [(None, False), ("", False), (True, True), (False, False), (" TRUE ", True), ("1", True)]
    + [("yes", True), ("false", False), ("0", False), ("No", False)],
)
def test_a_flag_is_yes_or_no(value, flag):
    assert domain.parse_flag(value, "include_done") is flag


def test_a_flag_is_nothing_else():
    for bad in ("maybe", 1, 0, []):
        with pytest.raises(ValidationFailed) as exc:
            domain.parse_flag(bad, "include_done")
        assert exc.value.errors == [{"field": "include_done", "message": "must be true or false"}]


def test_the_participant_filter_comes_out_of_the_list_query():
    query = {"filter": {"participant_id": [A.upper(), B], "type": ["call"]}, "limit": 5}
    rest, ids, errors = domain.participant_filter(query)
    assert rest == {"filter": {"type": ["call"]}, "limit": 5}
    assert (ids, errors) == ([A, B], [])
    assert query["filter"]["participant_id"] == [A.upper(), B]  # the caller's query is kept
    assert domain.participant_filter({"filter": {"participant_id": A}})[1] == [A]
    rest, ids, errors = domain.participant_filter({"filter": {"type": ["call"]}})
    assert (rest, ids, errors) == ({"filter": {"type": ["call"]}}, [], [])
    for query in (None, "x", {"limit": 5}, {"filter": "x"}):
        assert domain.participant_filter(query) == (query, [], [])
    assert domain.participant_filter({"filter": {"participant_id": []}})[2] == [
        {"field": "filter[participant_id]", "message": "give at least one value"}
    ]
    rest, ids, errors = domain.participant_filter({"filter": {"participant_id": [A, "ann", "bob"]}})
    assert ids == [] and errors == [
        {"field": "filter[participant_id]", "message": "'ann' is not a UUID"}
    ]


# --- forecasts: every message, every boundary --------------------------------------------------


def test_periods_end_on_their_last_day_across_years():
    assert domain.add_months(date(2026, 11, 1), 3) == date(2027, 2, 1)
    assert domain.add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)
    assert domain.add_months(date(2026, 1, 1), 12) == date(2027, 1, 1)
    assert domain.add_months(date(2026, 1, 1), 0) == date(2026, 1, 1)
    assert period_end("month", date(2026, 12, 1)) == date(2026, 12, 31)
    assert period_end("quarter", date(2026, 10, 1)) == date(2026, 12, 31)
    assert period_end("year", date(2026, 1, 1)) == date(2026, 12, 31)
    assert period_end("month", date(2026, 2, 1)) == date(2026, 2, 28)


def test_a_period_starts_on_its_first_day():
    assert period_start_error("month", date(2026, 5, 1)) is None
    assert period_start_error("month", date(2026, 5, 2)) == "must be the first day of a month"
    quarter = "must be the first day of a quarter (1 January, April, July or October)"
    for month in (1, 4, 7, 10):
        assert period_start_error("quarter", date(2026, month, 1)) is None
    for day in (date(2026, 2, 1), date(2026, 4, 2), date(2026, 12, 1)):
        assert period_start_error("quarter", day) == quarter
    year = "must be the first day of a year (1 January)"
    assert period_start_error("year", date(2026, 1, 1)) is None
    assert period_start_error("year", date(2026, 1, 2)) == year
    assert period_start_error("year", date(2026, 2, 1)) == year
    assert period_start_error("year", date(2026, 7, 1)) == year


def plan_data(**data):
    return {
        "owner_id": A,
        "period_kind": "month",
        "period_start": "2026-03-01",
        "amount": "0",
        "currency": "EUR",
        **data,
    }


def test_a_plan_is_a_user_or_a_team_a_period_an_amount_and_a_currency():
    assert clean_plan(plan_data()) == {
        "owner_id": A,
        "team_id": None,
        "period_kind": "month",
        "period_start": date(2026, 3, 1),
        "amount": Decimal("0.00"),
        "currency": "EUR",
    }
    both = "give either owner_id (a user's plan) or team_id (a team's plan), not both"
    with pytest.raises(ValidationFailed) as exc:
        clean_plan(plan_data(owner_id=None))
    assert exc.value.errors == [{"field": "owner_id", "message": both}]
    with pytest.raises(ValidationFailed) as exc:
        clean_plan(plan_data(team_id=B))
    assert exc.value.errors == [{"field": "team_id", "message": both}]
    with pytest.raises(ValidationFailed) as exc:
        clean_plan(plan_data(owner_id="ann", team_id=B))
    assert exc.value.errors == [{"field": "owner_id", "message": "must be a UUID"}]
    # a bad scope is reported once, not also as a missing one
    with pytest.raises(ValidationFailed) as exc:
        clean_plan(plan_data(owner_id="ann"))
    assert exc.value.errors == [{"field": "owner_id", "message": "must be a UUID"}]
    with pytest.raises(ValidationFailed) as exc:
        clean_plan(plan_data(owner_id=None, team_id="sales"))
    assert exc.value.errors == [{"field": "team_id", "message": "must be a UUID"}]
    with pytest.raises(ValidationFailed) as exc:
        clean_plan(plan_data(period_start=None))
    assert exc.value.errors == [{"field": "period_start", "message": "is required"}]


def test_a_plan_reports_every_problem_at_once():
    with pytest.raises(ValidationFailed) as exc:
        clean_plan({"period_kind": "week", "amount": "-1", "colour": "red", "team_id": B})
    assert exc.value.errors == [
        {"field": "colour", "message": "unknown field"},
        {"field": "period_kind", "message": "must be one of month, quarter, year"},
        {"field": "period_start", "message": "is required"},
        {"field": "amount", "message": "must not be negative"},
        {"field": "currency", "message": "is required"},
    ]
    with pytest.raises(ValidationFailed) as exc:
        clean_plan(plan_data(period_start="2026-03-02"))
    assert exc.value.errors == [
        {"field": "period_start", "message": "must be the first day of a month"}
    ]
    with pytest.raises(ValidationFailed) as exc:
        clean_plan([])
    assert exc.value.errors == [{"field": "data", "message": "must be an object of plan fields"}]


def test_a_plan_change_is_its_amount_alone():
    assert clean_plan_changes({"amount": "12.5"}) == {"amount": Decimal("12.50")}
    assert clean_plan_changes({"amount": 0}) == {"amount": Decimal("0.00")}
    with pytest.raises(ValidationFailed) as exc:
        clean_plan_changes({"amount": None, "currency": "USD", "note": "x"})
    assert exc.value.errors == [
        {"field": "currency", "message": "cannot be changed; delete the plan and make another"},
        {"field": "note", "message": "unknown field"},
        {"field": "amount", "message": "is required"},
    ]
    with pytest.raises(ValidationFailed) as exc:
        clean_plan_changes({"amount": "1.001"})
    assert exc.value.errors == [
        {"field": "amount", "message": "may have at most two decimal places"}
    ]
    with pytest.raises(ValidationFailed) as exc:
        clean_plan_changes("1")
    assert exc.value.errors == [{"field": "data", "message": "must be an object {amount}"}]


def test_weighted_is_exact_at_the_cent():
    assert weighted(Decimal("0.4")) == Decimal("0.00")  # 0.004
    assert weighted(Decimal("0")) == Decimal("0.00")
    assert str(weighted(Decimal("1500000"))) == "15000.00"
    assert weighted(125) == Decimal("1.25")


def person(roles, user_id=A, team_id=B):
    return Actor.from_dict({"id": user_id, "roles": roles, "team_id": team_id})


def test_who_reads_a_plan():
    team_plan = SimpleNamespace(owner_id=None, team_id=B)
    user_plan = SimpleNamespace(owner_id=A, team_id=None)
    other_plan = SimpleNamespace(owner_id=B, team_id=None)
    other_team = SimpleNamespace(owner_id=None, team_id=A)
    rep = person(["sales_rep"])
    assert domain.may_read(rep, user_plan) and domain.may_read(rep, team_plan)
    assert not domain.may_read(rep, other_plan) and not domain.may_read(rep, other_team)
    manager = person(["sales_manager"])
    assert domain.may_read(manager, other_plan) and not domain.may_read(manager, other_team)
    assert domain.may_read(person(["admin"], team_id=None), other_team)
    teamless = person(["sales_rep"], team_id=None)
    assert not domain.may_read(teamless, SimpleNamespace(owner_id=None, team_id=None))


def test_who_sets_a_plan():
    manager = person(["sales_manager"])
    domain.require_planner(manager, A, None)
    domain.require_planner(manager, None, B)
    domain.require_planner(person(["admin"], team_id=None), None, A)
    with pytest.raises(PermissionDenied) as exc:
        domain.require_planner(manager, None, A)
    assert str(exc.value) == "A sales manager sets the plan of his own team only"
    assert exc.value.errors == [{"field": "team_id", "message": "is not your team"}]
    with pytest.raises(PermissionDenied) as exc:
        domain.require_planner(person(["sales_rep"]), A, None)
    assert str(exc.value) == "Only administrators and sales managers may set plans"


def test_a_second_plan_is_refused_in_words_of_its_scope():
    assert domain.plan_taken_message(A, "EUR", "month") == (
        "The user already has a EUR plan for this month"
    )
    assert domain.plan_taken_message(None, "USD", "year") == (
        "The team already has a USD plan for this year"
    )
