"""Forecast plans in the database, and their figures from this service's deals.

Functions that take the session ``db`` first; none commits.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from services.platform.access import Actor
from services.platform.errors import Conflict
from services.platform.events import utcnow
from services.platform.ids import new_id
from services.platform.listing import Filter, ListSpec, Sort, fetch_page
from services.platform.records import load_record, not_found

from . import domain
from .domain import PERIOD_KINDS, PERIOD_MONTHS, ZERO
from .models import ForecastPlan, Opportunity
from .schemas import dump_forecast

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


def insert(db: Any, values: dict[str, Any], created_by: str) -> Any:
    """Add the plan; ``Conflict`` when the user or team has one for that period and
    currency (the transaction is rolled back)."""
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
        created_by=created_by,
    )
    db.add(plan)
    try:
        db.flush()
    except IntegrityError as exc:
        db.rollback()
        if "uq_forecast_plans" not in str(exc.orig):
            raise
        raise Conflict(
            domain.plan_taken_message(plan.owner_id, plan.currency, plan.period_kind),
            [{"field": "period_start", "message": "already has a plan in this currency"}],
        ) from None
    return plan


def load_plan(db: Any, plan_id: Any, caller: Actor, *, for_update: bool = False) -> Any:
    """The plan the caller may read (:func:`domain.may_read`); otherwise ``NotFound``."""
    plan = load_record(
        db, ForecastPlan, plan_id, "forecast plan", for_update=for_update, field="forecast_id"
    )
    if not domain.may_read(caller, plan):
        raise not_found("forecast plan", "forecast_id")
    return plan


def readable_plans(caller: Actor) -> Any:
    """The SQL twin of :func:`domain.may_read`."""
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


def list_plans(db: Any, query: Any, caller: Actor) -> dict[str, Any]:
    """A page of the plans the caller may read, with their figures."""
    stmt = sa.select(ForecastPlan).where(readable_plans(caller))
    page = fetch_page(db, stmt, PLAN_LIST_SPEC, query, lambda plan: plan)
    page["items"] = with_figures(db, page["items"])
    return page


def with_figures(db: Any, plans: list[Any]) -> list[dict[str, Any]]:
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
        plan_id: (fact or ZERO, pipeline or ZERO, domain.weighted(product))
        for plan_id, fact, pipeline, product in db.execute(stmt).all()
    }
    return [dump_forecast(plan, figures.get(plan.id)) for plan in plans]
