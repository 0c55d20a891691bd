"""The pure rules of activities and forecast plans (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from services.platform.errors import ValidationFailed
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
