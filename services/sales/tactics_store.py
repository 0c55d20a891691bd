"""A deal's tactics (SWOT entries) and competitors in the database.

Functions that take the session ``db`` first; none commits.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.platform.errors import Conflict, NotFound
from services.platform.events import utcnow
from services.platform.ids import new_id

from . import domain
from .domain import TACTIC_KINDS
from .models import Account, Competitor, Tactic
from .schemas import dump_competitor, dump_tactic


def tactics(db: Any, opportunity_id: str) -> list[dict[str, Any]]:
    """The deal's SWOT entries by kind (strength, weakness, opportunity, threat), oldest first."""
    order = sa.case({kind: i for i, kind in enumerate(TACTIC_KINDS)}, value=Tactic.kind)
    rows = db.execute(
        sa.select(Tactic)
        .where(Tactic.opportunity_id == opportunity_id)
        .order_by(order, Tactic.created_at, Tactic.id)
    ).scalars()
    return [dump_tactic(t) for t in rows]


def add_tactic(db: Any, opportunity_id: str, values: dict[str, Any], created_by: str) -> Any:
    tactic = Tactic(
        id=new_id(),
        opportunity_id=opportunity_id,
        created_at=utcnow(),
        created_by=created_by,
        **values,
    )
    db.add(tactic)
    db.flush()
    return tactic


def part(db: Any, model: Any, part_id: Any, opportunity_id: str, label: str) -> Any:
    """The deal's tactic or competitor ``part_id``; ``NotFound`` when the deal has none."""
    missing = NotFound(f"No such {label}", [{"field": f"{label}_id", "message": "no such one"}])
    if not domain.is_uuid(part_id):
        raise missing
    found = db.execute(
        sa.select(model).where(model.id == part_id, model.opportunity_id == opportunity_id)
    ).scalar_one_or_none()
    if found is None:
        raise missing
    return found


def remove(db: Any, record: Any) -> None:
    db.delete(record)
    db.flush()


def competitors(db: Any, opportunity_id: str) -> list[dict[str, Any]]:
    """The competitors in the deal with their account's name, oldest first."""
    rows = db.execute(
        sa.select(Competitor, Account.name)
        .join(Account, Account.id == Competitor.account_id)
        .where(Competitor.opportunity_id == opportunity_id)
        .order_by(Competitor.created_at, Competitor.id)
    ).all()
    return [dump_competitor(c, name) for c, name in rows]


def competitor_name(db: Any, account_id: str) -> str:
    """The competitor account's name; ``ValidationFailed`` when there is no such account."""
    name = db.execute(sa.select(Account.name).where(Account.id == account_id)).scalar_one_or_none()
    if name is None:
        raise domain.failed("account_id", "no such account")
    return name


def add_competitor(db: Any, opportunity_id: str, values: dict[str, Any], created_by: str) -> Any:
    """Add the competitor; ``Conflict`` when the account already is one in this deal."""
    taken = db.execute(
        sa.select(Competitor.id).where(
            Competitor.opportunity_id == opportunity_id,
            Competitor.account_id == values["account_id"],
        )
    ).scalar_one_or_none()
    if taken is not None:
        raise Conflict(
            "That account is already a competitor in this deal",
            [{"field": "account_id", "message": "is already a competitor in this deal"}],
        )
    competitor = Competitor(
        id=new_id(),
        opportunity_id=opportunity_id,
        created_at=utcnow(),
        created_by=created_by,
        **values,
    )
    db.add(competitor)
    db.flush()
    return competitor
