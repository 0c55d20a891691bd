"""Forecasts: plans per owner or team and period, with fact and pipeline.

A plan is the amount a user (``owner_id``) or a team (``team_id``) means to win in one
month, quarter or year, in one currency. Its figures are computed from this
service's opportunities whenever a plan is read, one aggregate query per page:

- ``fact_amount``: Σ amount of won deals closing within the period;
- ``pipeline_amount``: Σ amount of open deals closing within the period;
- ``weighted_amount``: Σ amount × probability / 100 of those open deals (rounded
  half-up to the cent at the end; a deal without a probability weighs nothing);

counting deals of the plan's currency and owner (a user's plan) or team (a team's
plan: every deal whose ``team_id`` is the team's, whoever owns it).

Rights: administrators and sales managers make and change plans (a manager only
his own team's team plan, and users' plans); everyone reads their own plans and
their team's plan; managers also read users' plans. The sales service does not
know which team a user is in (identity does), so a manager's rights on users'
plans are not narrowed to the members of the team.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from services.platform.access import Actor
from services.platform.errors import (
    EXPECTED,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.listing import Filter, ListSpec, Sort, fetch_page
from services.platform.rpc import rpc

from . import domain
from .base import SalesBase
from .domain import PERIOD_KINDS, Entity, EntityField
from .models import ForecastPlan, Opportunity
from .schemas import wire

# --- the plan's input fields ------------------------------------------------------------

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

PLAN_LIST_SPEC = ListSpec(
    id_column=ForecastPlan.id,
    filters={
        "period_kind": Filter(ForecastPlan.period_kind, "enum", options=PERIOD_KINDS),
        "period_start": Filter(ForecastPlan.period_start, "date"),
        "owner_id": Filter(ForecastPlan.owner_id, "uuid"),
        "team_id": Filter(ForecastPlan.team_id, "uuid"),
        "currency": Filter(ForecastPlan.currency, "text", normalize=lambda v: v.strip().upper()),
    },
    sorts={
        "period_start": Sort(ForecastPlan.period_start, nullable=False),
        "created_at": Sort(ForecastPlan.created_at, nullable=False),
    },
    default_sort="-period_start",
)


# --- rules (pure) -------------------------------------------------------------------------


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
        raise domain.failed("data", "must be an object of plan fields")
    errors: list[dict[str, str]] = []
    values: dict[str, Any] = {}
    fields = PLAN.by_name
    for name in data:
        if name not in fields:
            errors.append({"field": str(name), "message": "unknown field"})
    for spec in PLAN_FIELDS:
        try:
            values[spec.name] = domain.normalize_value(spec, data.get(spec.name))
        except domain.Invalid as exc:
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
        raise _failed(errors)
    return values


def clean_plan_changes(data: Any) -> dict[str, Any]:
    """What a plan change may hold: ``amount`` (≥ 0, two decimals at most)."""
    if not isinstance(data, Mapping):
        raise domain.failed("data", "must be an object {amount}")
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
                changes["amount"] = domain.parse_money(data["amount"])
            except domain.Invalid as exc:
                errors.append({"field": "amount", "message": str(exc)})
    if errors:
        raise _failed(errors)
    return changes


def weighted(amount_times_probability: Decimal | None) -> Decimal:
    """Σ amount × probability, divided by 100 and rounded half-up to the cent."""
    if amount_times_probability is None:
        return ZERO
    return (Decimal(amount_times_probability) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def dump_plan(plan: Any) -> dict[str, Any]:
    """The plan as events carry it (no figures: those change with every deal)."""
    return {
        "id": plan.id,
        "owner_id": plan.owner_id,
        "team_id": plan.team_id,
        "period_kind": plan.period_kind,
        "period_start": wire(plan.period_start),
        "period_end": wire(period_end(plan.period_kind, plan.period_start)),
        "currency": plan.currency,
        "plan_amount": wire(plan.amount),
        "version": plan.version,
        "created_at": wire(plan.created_at),
        "updated_at": wire(plan.updated_at),
        "created_by": plan.created_by,
    }


def dump_forecast(plan: Any, figures: tuple[Decimal, Decimal, Decimal] | None) -> dict[str, Any]:
    """The plan with its fact, pipeline and weighted pipeline, as the API shows it."""
    fact, pipeline, weighted_amount = figures or (ZERO, ZERO, ZERO)
    record = dump_plan(plan)
    version = record.pop("version")
    tail = {k: record.pop(k) for k in ("created_at", "updated_at", "created_by")}
    return {
        **record,
        "fact_amount": wire(fact),
        "pipeline_amount": wire(pipeline),
        "weighted_amount": wire(weighted_amount),
        "version": version,
        **tail,
    }


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


def _failed(errors: list[dict[str, str]]) -> ValidationFailed:
    message = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return ValidationFailed(message, errors)


# --- the part -----------------------------------------------------------------------------


class ForecastsRpc(SalesBase):
    """Forecasts: plans per owner or team and period, with fact and pipeline."""

    @rpc(expected_exceptions=EXPECTED)
    def create_forecast_plan(self, data: dict[str, Any], actor: dict[str, Any]) -> dict[str, Any]:
        """Set a plan; emit ``forecast_plan_created`` (the plan). Returns it with its figures.

        ``data``: ``owner_id`` or ``team_id``, ``period_kind`` (month, quarter, year),
        ``period_start`` (the period's first day), ``amount`` (money ≥ 0),
        ``currency``. Raises ``ValidationFailed``, ``PermissionDenied`` (not an
        admin or sales manager; a manager naming another team), ``Conflict`` (a plan
        for the same user or team, period and currency exists).
        """
        caller = Actor.from_dict(actor)
        values = clean_plan(data)
        require_planner(caller, values.get("owner_id"), values.get("team_id"))
        now = utcnow()
        plan = ForecastPlan(
            id=new_id(),
            owner_id=values.get("owner_id"),
            team_id=values.get("team_id"),
            period_kind=values["period_kind"],
            period_start=values["period_start"],
            amount=values["amount"],
            currency=values["currency"],
            version=1,
            created_at=now,
            updated_at=now,
            created_by=caller.id,
        )
        self.db.add(plan)
        try:
            self.db.flush()
        except IntegrityError as exc:
            self.db.rollback()
            if "uq_forecast_plans" not in str(exc.orig):
                raise
            scope = "user" if plan.owner_id else "team"
            raise Conflict(
                f"The {scope} already has a {plan.currency} plan for this {plan.period_kind}",
                [{"field": "period_start", "message": "already has a plan in this currency"}],
            ) from None
        result = self._with_figures([plan])[0]
        self.db.emit("forecast_plan_created", dump_plan(plan), actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def get_forecast_plan(self, plan_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The plan with its figures. Raises ``NotFound`` (also when the caller may not read it)."""
        caller = Actor.from_dict(actor)
        result = self._with_figures([self._load_plan(plan_id, caller)])[0]
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def list_forecast_plans(
        self, query: dict[str, Any] | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """A page of the plans the caller may read, each with fact, pipeline and weighted.

        Filters: period_kind, period_start (a date), owner_id, team_id, currency.
        Sorts: period_start (default ``-period_start``), created_at. The figures of the
        whole page come from one aggregate query. Raises ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        stmt = sa.select(ForecastPlan).where(self._readable_plans(caller))
        page = fetch_page(self.db, stmt, PLAN_LIST_SPEC, query, lambda plan: plan)
        page["items"] = self._with_figures(page["items"])
        self.db.commit()
        return page

    @rpc(expected_exceptions=EXPECTED)
    def update_forecast_plan(
        self,
        plan_id: str,
        data: dict[str, Any],
        actor: dict[str, Any],
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Change the plan's ``amount``; emit ``forecast_plan_updated`` (+ ``changed_fields``).

        Nothing changes (and nothing is emitted) for the same amount. Raises
        ``NotFound``, ``PermissionDenied``, ``Conflict`` (stale ``expected_version``),
        ``ValidationFailed`` (also for any other field: delete and make another).
        """
        caller = Actor.from_dict(actor)
        changes = clean_plan_changes(data)
        expected = domain.parse_expected_version(expected_version)
        plan = self._load_plan(plan_id, caller, for_update=True)
        require_planner(caller, plan.owner_id, plan.team_id)
        self._check_version(PLAN, plan, expected)
        if "amount" in changes and changes["amount"] != plan.amount:
            plan.amount = changes["amount"]
            plan.version = plan.version + 1
            plan.updated_at = utcnow()
            self.db.flush()
            event = {**dump_plan(plan), "changed_fields": ["plan_amount"]}
            self.db.emit("forecast_plan_updated", event, actor=actor)
        result = self._with_figures([plan])[0]
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def delete_forecast_plan(
        self, plan_id: str, actor: dict[str, Any], expected_version: int | None = None
    ) -> None:
        """Delete the plan; emit ``forecast_plan_deleted`` with its last state.

        Raises ``NotFound``, ``PermissionDenied``, ``Conflict`` (stale ``expected_version``).
        """
        caller = Actor.from_dict(actor)
        expected = domain.parse_expected_version(expected_version)
        plan = self._load_plan(plan_id, caller, for_update=True)
        require_planner(caller, plan.owner_id, plan.team_id)
        self._check_version(PLAN, plan, expected)
        last_state = dump_plan(plan)
        self.db.delete(plan)
        self.db.flush()
        self.db.emit("forecast_plan_deleted", last_state, actor=actor)
        self.db.commit()

    # --- steps ------------------------------------------------------------------------

    def _load_plan(self, plan_id: str, caller: Actor, *, for_update: bool = False) -> Any:
        missing = NotFound(
            "No such forecast plan", [{"field": "forecast_id", "message": "no such plan"}]
        )
        if not domain.is_uuid(plan_id):
            raise missing
        stmt = sa.select(ForecastPlan).where(ForecastPlan.id == plan_id)
        if for_update:
            stmt = stmt.with_for_update()
        plan = self.db.execute(stmt).scalar_one_or_none()
        if plan is None or not may_read(caller, plan):
            raise missing
        return plan

    @staticmethod
    def _readable_plans(caller: Actor) -> Any:
        """The SQL twin of :func:`may_read`."""
        if caller.is_admin:
            return sa.true()
        conditions: list[Any] = []
        if domain.is_uuid(caller.id):
            conditions.append(ForecastPlan.owner_id == caller.id)
        if domain.is_uuid(caller.team_id):
            conditions.append(ForecastPlan.team_id == caller.team_id)
        if caller.is_manager:
            conditions.append(ForecastPlan.owner_id.is_not(None))
        return sa.or_(sa.false(), *conditions)

    def _with_figures(self, plans: list[Any]) -> list[dict[str, Any]]:
        """The plans as the API shows them; the figures of all of them in one query."""
        if not plans:
            return []
        p, o = ForecastPlan, Opportunity
        months = sa.case(PERIOD_MONTHS, value=p.period_kind)
        period_stop = p.period_start + sa.func.make_interval(0, months)
        won, open_ = o.status == "won", o.status == "open"
        stmt = (
            sa.select(
                p.id,
                sa.func.sum(o.amount).filter(won),
                sa.func.sum(o.amount).filter(open_),
                sa.func.sum(o.amount * o.probability).filter(open_),
            )
            .select_from(p)
            .outerjoin(
                o,
                sa.and_(
                    o.currency == p.currency,
                    o.close_date >= p.period_start,
                    o.close_date < period_stop,
                    o.status.in_(("won", "open")),
                    # one of the two is NULL on every plan, and NULL never matches
                    sa.or_(o.owner_id == p.owner_id, o.team_id == p.team_id),
                ),
            )
            .where(p.id.in_([plan.id for plan in plans]))
            .group_by(p.id)
        )
        figures = {
            plan_id: (fact or ZERO, pipeline or ZERO, weighted(product))
            for plan_id, fact, pipeline, product in self.db.execute(stmt).all()
        }
        return [dump_forecast(plan, figures.get(plan.id)) for plan in plans]
