"""The rules of forecast plans: periods, what a plan holds, who reads and sets plans.

A plan is the amount a user (``owner_id``) or a team (``team_id``) means to win in one
month, quarter or year, in one currency. Administrators and sales managers set plans
(a manager only his own team's team plan, and users' plans); everyone reads their own
plans and their team's plan; managers also read users' plans.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from services.platform.access import Actor
from services.platform.errors import PermissionDenied
from services.platform.fields import (
    Entity,
    EntityField,
    Invalid,
    failed,
    normalize_value,
    parse_money,
)
from services.platform.values import validation_failed

PERIOD_KINDS: tuple[str, ...] = ("month", "quarter", "year")

PLAN_FIELDS: tuple[EntityField, ...] = (
    EntityField("owner_id", "uuid", "User", lookup="users"),
    EntityField("team_id", "uuid", "Team", lookup="teams"),
    EntityField("period_kind", "enum", "Period", options=PERIOD_KINDS, required=True),
    EntityField("period_start", "date", "Period start", required=True),
    EntityField("amount", "money", "Plan amount", required=True),
    EntityField("currency", "currency", "Currency", max_length=3, required=True),
)
PLAN = Entity("forecast plan", PLAN_FIELDS)

#: How many months each kind of period lasts.
PERIOD_MONTHS: dict[str, int] = {"month": 1, "quarter": 3, "year": 12}
CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (used on first days of a month only)."""
    total = day.month - 1 + months
    return day.replace(year=day.year + total // 12, month=total % 12 + 1)


def period_end(kind: str, start: date) -> date:
    """The last day of the period that starts on ``start`` (inclusive)."""
    return add_months(start, PERIOD_MONTHS[kind]) - timedelta(days=1)


def period_start_error(kind: str, start: date) -> str | None:
    """Why ``start`` is not the first day of a ``kind`` period, or None."""
    if kind == "month" and start.day != 1:
        return "must be the first day of a month"
    if kind == "quarter" and (start.day != 1 or start.month not in (1, 4, 7, 10)):
        return "must be the first day of a quarter (1 January, April, July or October)"
    if kind == "year" and (start.day, start.month) != (1, 1):
        return "must be the first day of a year (1 January)"
    return None


def clean_plan(data: Any) -> dict[str, Any]:
    """A new plan's values: exactly one of owner_id and team_id, a period, amount ≥ 0, currency.

    Every problem is reported in one :class:`ValidationFailed`.
    """
    if not isinstance(data, Mapping):
        raise failed("data", "must be an object of plan fields")
    errors: list[dict[str, str]] = []
    values: dict[str, Any] = {}
    fields = PLAN.by_name
    for name in data:
        if name not in fields:
            errors.append({"field": str(name), "message": "unknown field"})
    for spec in PLAN_FIELDS:
        try:
            values[spec.name] = normalize_value(spec, data.get(spec.name))
        except Invalid as exc:
            errors.append({"field": spec.name, "message": str(exc)})
            continue
        if spec.required and values[spec.name] is None:
            errors.append({"field": spec.name, "message": "is required"})
    bad = {e["field"] for e in errors}
    scopes = [name for name in ("owner_id", "team_id") if values.get(name) is not None]
    if not {"owner_id", "team_id"} & bad and len(scopes) != 1:
        message = "give either owner_id (a user's plan) or team_id (a team's plan), not both"
        errors.append({"field": "owner_id" if not scopes else "team_id", "message": message})
    kind, start = values.get("period_kind"), values.get("period_start")
    if kind is not None and start is not None:
        problem = period_start_error(kind, start)
        if problem:
            errors.append({"field": "period_start", "message": problem})
    if errors:
        raise validation_failed(errors)
    return values


def clean_plan_changes(data: Any) -> dict[str, Any]:
    """What a plan change may hold: ``amount`` (≥ 0, two decimals at most)."""
    if not isinstance(data, Mapping):
        raise failed("data", "must be an object {amount}")
    errors: list[dict[str, str]] = []
    for name in data:
        if name == "amount":
            continue
        if name in PLAN.by_name:
            message = "cannot be changed; delete the plan and make another"
            errors.append({"field": str(name), "message": message})
        else:
            errors.append({"field": str(name), "message": "unknown field"})
    changes: dict[str, Any] = {}
    if "amount" in data:
        if data["amount"] is None:
            errors.append({"field": "amount", "message": "is required"})
        else:
            try:
                changes["amount"] = parse_money(data["amount"])
            except Invalid as exc:
                errors.append({"field": "amount", "message": str(exc)})
    if errors:
        raise validation_failed(errors)
    return changes


def weighted(amount_times_probability: Decimal | None) -> Decimal:
    """Σ amount × probability, divided by 100 and rounded half-up to the cent."""
    if amount_times_probability is None:
        return ZERO
    return (Decimal(amount_times_probability) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def may_read(caller: Actor, plan: Any) -> bool:
    """Own plans, the own team's plan; managers also users' plans; admins everything."""
    if caller.is_admin or plan.owner_id == caller.id:
        return True
    if plan.team_id is not None and plan.team_id == caller.team_id:
        return True
    return caller.is_manager and plan.owner_id is not None


def require_planner(caller: Actor, owner_id: str | None, team_id: str | None) -> None:
    """Only admins and sales managers plan; a manager sets his own team's team plan only."""
    if not caller.is_manager:
        raise PermissionDenied("Only administrators and sales managers may set plans")
    if caller.is_admin or team_id is None:
        return
    if team_id != caller.team_id:
        raise PermissionDenied(
            "A sales manager sets the plan of his own team only",
            [{"field": "team_id", "message": "is not your team"}],
        )


def plan_taken_message(owner_id: str | None, currency: str, period_kind: str) -> str:
    """Why a second plan for the same user or team, period and currency is refused."""
    scope = "user" if owner_id else "team"
    return f"The {scope} already has a {currency} plan for this {period_kind}"
