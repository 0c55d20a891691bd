"""Forecasts: plans per owner or team and period, with fact and pipeline — a part of
the sales service.

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

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.events import utcnow
from services.platform.records import check_version
from services.platform.rpc import rpc

from . import domain, forecasts_store
from .dependencies import SalesBase
from .domain import PLAN
from .schemas import dump_plan


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
        values = domain.clean_plan(data)
        domain.require_planner(caller, values.get("owner_id"), values.get("team_id"))
        plan = forecasts_store.insert(self.db, values, caller.id)
        result = forecasts_store.with_figures(self.db, [plan])[0]
        self.db.emit("forecast_plan_created", dump_plan(plan), actor=actor)
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def get_forecast_plan(self, plan_id: str, actor: dict[str, Any]) -> dict[str, Any]:
        """The plan with its figures. Raises ``NotFound`` (also when the caller may not read it)."""
        caller = Actor.from_dict(actor)
        plan = forecasts_store.load_plan(self.db, plan_id, caller)
        result = forecasts_store.with_figures(self.db, [plan])[0]
        self.db.commit()
        return result

    @rpc(expected_exceptions=EXPECTED)
    def list_forecast_plans(
        self, query: dict[str, Any] | None, actor: dict[str, Any]
    ) -> dict[str, Any]:
        """A page of the plans the caller may read, each with fact, pipeline and weighted.

        ``query`` is the list query every sales list takes (``filter``, ``sort``,
        ``limit``, ``cursor``). Filters: period_kind, period_start (a date), owner_id,
        team_id, currency (any of the values given for each). Sorts: period_start
        (default ``-period_start``), created_at. The figures of the whole page come
        from one aggregate query. Raises ``ValidationFailed``.
        """
        caller = Actor.from_dict(actor)
        page = forecasts_store.list_plans(self.db, query, caller)
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
        changes = domain.clean_plan_changes(data)
        expected = domain.parse_expected_version(expected_version)
        plan = forecasts_store.load_plan(self.db, plan_id, caller, for_update=True)
        domain.require_planner(caller, plan.owner_id, plan.team_id)
        check_version(PLAN.name, plan.version, expected)
        if "amount" in changes and changes["amount"] != plan.amount:
            plan.amount = changes["amount"]
            plan.version = plan.version + 1
            plan.updated_at = utcnow()
            self.db.flush()
            event = {**dump_plan(plan), "changed_fields": ["plan_amount"]}
            self.db.emit("forecast_plan_updated", event, actor=actor)
        result = forecasts_store.with_figures(self.db, [plan])[0]
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
        plan = forecasts_store.load_plan(self.db, plan_id, caller, for_update=True)
        domain.require_planner(caller, plan.owner_id, plan.team_id)
        check_version(PLAN.name, plan.version, expected)
        last_state = dump_plan(plan)
        self.db.delete(plan)
        self.db.flush()
        self.db.emit("forecast_plan_deleted", last_state, actor=actor)
        self.db.commit()
