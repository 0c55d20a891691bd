"""Accounts, contacts, deals with their stays in stages, activities, plans and stages,
page by page, as the events carry them: what the analytics read models are rebuilt
from (``osprey analytics rebuild``)."""

from __future__ import annotations

from typing import Any

from services.platform.errors import EXPECTED
from services.platform.events import isoformat
from services.platform.exports import check_exporter, export_page, unknown_entity
from services.platform.rpc import rpc

from .activities_store import dump_activity
from .dependencies import SalesBase
from .models import (
    Account,
    Activity,
    Contact,
    ForecastPlan,
    Opportunity,
    OpportunityStage,
    StageVisit,
)
from .schemas import dump_account, dump_contact, dump_opportunity, dump_plan, dump_stage


def _stay(visit: StageVisit) -> dict[str, Any]:
    return {
        "id": str(visit.id),
        "opportunity_id": str(visit.opportunity_id),
        "stage_id": str(visit.stage_id),
        "entered_at": isoformat(visit.entered_at),
        "left_at": isoformat(visit.left_at),
        "skipped": bool(visit.skipped),
    }


class ExportsRpc(SalesBase):
    """``export_records``: administrators and the system only."""

    @rpc(expected_exceptions=EXPECTED)
    def export_records(
        self,
        entity: str,
        after: str | None = None,
        limit: int = 500,
        *,
        actor: dict[str, Any],
    ) -> dict[str, Any]:
        """``{items, next_after}``: ``entity`` (``account``, ``contact``,
        ``opportunity``, ``opportunity_stay``, ``activity``, ``forecast_plan``,
        ``opportunity_stage``) in id order after the id ``after``, each as its events
        carry it."""
        check_exporter(actor)
        exports = {
            "account": (Account, dump_account),
            "contact": (Contact, dump_contact),
            "opportunity": (Opportunity, dump_opportunity),
            "opportunity_stay": (StageVisit, _stay),
            "activity": (Activity, lambda row: dump_activity(self.db, row)),
            "forecast_plan": (ForecastPlan, dump_plan),
            "opportunity_stage": (OpportunityStage, dump_stage),
        }
        if entity not in exports:
            raise unknown_entity(entity, list(exports))
        model, dump = exports[entity]
        return export_page(self.db, model, dump, after=after, limit=limit)
