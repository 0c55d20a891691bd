"""Opportunities (deals) in the database: the list, links, a deal's stays in stages.

Functions that take the session ``db`` first; none commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.errors import ValidationFailed
from services.platform.events import isoformat
from services.platform.ids import new_id
from services.platform.listing import Filter, ListSpec, Sort

from . import access, domain, store
from .domain import OPPORTUNITY_STATUSES, Move
from .models import Account, Contact, Opportunity, OpportunityStage, StageVisit
from .schemas import dump_opportunity

OPPORTUNITIES = store.Kind(Opportunity, domain.OPPORTUNITY, dump_opportunity, access.OPPORTUNITIES)

OPPORTUNITY_LIST_SPEC = ListSpec(
    id_column=Opportunity.id,
    filters={
        "stage_id": Filter(Opportunity.stage_id, "uuid"),
        "status": Filter(Opportunity.status, "enum", options=OPPORTUNITY_STATUSES),
        "owner_id": Filter(Opportunity.owner_id, "uuid"),
        "team_id": Filter(Opportunity.team_id, "uuid"),
        "account_id": Filter(Opportunity.account_id, "uuid"),
        "contact_id": Filter(Opportunity.contact_id, "uuid"),
        "lead_id": Filter(Opportunity.lead_id, "uuid"),
        "need_type": Filter(Opportunity.need_type, "text"),
        # why a deal was lost, exactly as given (the loss reasons' drill-down; sales_0010)
        "lost_reason": Filter(Opportunity.lost_reason, "text"),
        "title": Filter(Opportunity.title, "contains"),
        "close_date": Filter(Opportunity.close_date, "datetime"),
        "created_at": Filter(Opportunity.created_at, "datetime"),
        "updated_at": Filter(Opportunity.updated_at, "datetime"),
    },
    sorts={
        "created_at": Sort(Opportunity.created_at, nullable=False),
        "updated_at": Sort(Opportunity.updated_at, nullable=False),
        "title": Sort(Opportunity.title, nullable=False),
        "amount": Sort(Opportunity.amount),
        "close_date": Sort(Opportunity.close_date),
    },
    default_sort="-created_at",
    search_vector=Opportunity.search,
)


def list_opportunities(db: Any, query: Any, caller: Actor) -> dict[str, Any]:
    """A page of the deals the caller may read (by the read scope of their roles),
    without the fields hidden from them; ``purpose: "export"`` takes the export right."""
    return access.OPPORTUNITIES.list_page(
        db, caller, Opportunity, OPPORTUNITY_LIST_SPEC, query, dump_opportunity
    )


def deal_of_lead(db: Any, lead_id: str) -> Any:
    """The deal made from the lead, or None."""
    return db.execute(
        sa.select(Opportunity).where(Opportunity.lead_id == lead_id)
    ).scalar_one_or_none()


def check_links(db: Any, values: dict[str, Any]) -> None:
    """The deal's account and contact, when given, must exist; both errors at once."""
    errors = []
    for field, model, label in (
        ("account_id", Account, "account"),
        ("contact_id", Contact, "contact"),
    ):
        try:
            store.check_exists(db, model, values.get(field), field, label)
        except ValidationFailed as exc:
            errors.extend(exc.errors)
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)


def insert(db: Any, values: dict[str, Any], moved_by: str) -> Any:
    """Add the deal and its first stay (in ``values["stage_id"]`` from its creation)."""
    record = Opportunity(**values)
    db.add(record)
    db.flush()
    db.add(
        StageVisit(
            id=new_id(),
            opportunity_id=record.id,
            stage_id=values["stage_id"],
            entered_at=values["created_at"],
            moved_by=moved_by,
        )
    )
    db.flush()
    return record


def record_move(db: Any, opportunity: Any, move: Move, now: datetime, moved_by: str) -> None:
    """Close the current stay, log the skipped stages as stays of no length, open the
    stay in the target stage, and write the deal's new stage, probability and status."""
    db.execute(
        sa.update(StageVisit)
        .where(StageVisit.opportunity_id == opportunity.id, StageVisit.left_at.is_(None))
        .values(left_at=now)
    )
    for stage in move.skipped:
        db.add(
            StageVisit(
                id=new_id(),
                opportunity_id=opportunity.id,
                stage_id=stage.id,
                entered_at=now,
                left_at=now,
                moved_by=moved_by,
                skipped=True,
            )
        )
    db.flush()
    db.add(
        StageVisit(
            id=new_id(),
            opportunity_id=opportunity.id,
            stage_id=move.target.id,
            entered_at=now,
            moved_by=moved_by,
        )
    )
    opportunity.stage_id = move.target.id
    opportunity.stage_entered_at = now
    opportunity.probability = move.target.probability
    if move.target.is_final:
        opportunity.status = move.status
        opportunity.lost_reason = move.lost_reason
    opportunity.version = opportunity.version + 1
    opportunity.updated_at = now
    db.flush()


def history(db: Any, opportunity_id: str, now: datetime) -> list[dict[str, Any]]:
    """The deal's stays in stages, oldest first (the current one counted up to ``now``)."""
    rows = db.execute(
        sa.select(StageVisit, OpportunityStage.name, OpportunityStage.position)
        .join(OpportunityStage, OpportunityStage.id == StageVisit.stage_id)
        .where(StageVisit.opportunity_id == opportunity_id)
        .order_by(
            StageVisit.entered_at,
            StageVisit.left_at.is_(None),
            OpportunityStage.position,
        )
    ).all()
    return [
        {
            "id": visit.id,
            "stage_id": visit.stage_id,
            "stage_name": name,
            "entered_at": isoformat(visit.entered_at),
            "left_at": isoformat(visit.left_at),
            "seconds_in_stage": domain.seconds_between(visit.entered_at, visit.left_at or now),
            "moved_by": visit.moved_by,
            "skipped": visit.skipped,
        }
        for visit, name, _position in rows
    ]


def move_lead_deals(db: Any, kept_id: str, merged_ids: list[str]) -> None:
    """Deals made from any of the merged leads are now the kept lead's."""
    db.execute(
        sa.update(Opportunity).where(Opportunity.lead_id.in_(merged_ids)).values(lead_id=kept_id)
    )
