"""The pipeline board in the database: per-stage counts and totals, and each column's
first cards.

Functions that take the session ``db`` first; none commits.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.events import isoformat

from . import access, domain
from .models import Account, Opportunity
from .schemas import wire


def board_conditions(caller: Actor, owners: list[str], teams: list[str]) -> list[Any]:
    """The open deals the caller may read (their roles read deals, by the read scope),
    of these owners and teams (when given)."""
    rights = access.OPPORTUNITIES
    caller.require(rights.entity, "read")
    conditions = [
        Opportunity.status == "open",
        rights.readable(caller, Opportunity.id, Opportunity.owner_id, Opportunity.team_id),
    ]
    if owners:
        conditions.append(Opportunity.owner_id.in_(owners))
    if teams:
        conditions.append(Opportunity.team_id.in_(teams))
    return conditions


def stage_sums(
    db: Any, conditions: list[Any]
) -> tuple[dict[str, int], dict[str, list[dict[str, Any]]]]:
    """Per stage: how many deals, and per currency their ``amount`` and ``weighted``
    (Σ amount × probability / 100) as decimal strings."""
    weighted = sa.func.sum(Opportunity.amount * sa.func.coalesce(Opportunity.probability, 0))
    sums = db.execute(
        sa.select(
            Opportunity.stage_id,
            Opportunity.currency,
            sa.func.count(),
            sa.func.sum(Opportunity.amount),
            weighted,
        )
        .where(*conditions)
        .group_by(Opportunity.stage_id, Opportunity.currency)
    ).all()
    counts: dict[str, int] = {}
    totals: dict[str, list[dict[str, Any]]] = {}
    for stage_id, currency, count, amount, weight in sums:
        counts[stage_id] = counts.get(stage_id, 0) + count
        if currency is not None and amount is not None:
            totals.setdefault(stage_id, []).append(
                {
                    "currency": currency,
                    "amount": wire(amount),
                    "weighted": wire((weight / 100).quantize(domain.CENT)),
                }
            )
    return counts, totals


def board_cards(
    db: Any, stage_ids: list[str], conditions: list[Any], per_stage: int
) -> dict[str, list[dict[str, Any]]]:
    """The first ``per_stage + 1`` cards of each column, in one statement.

    One ``UNION ALL`` of per-stage ``LIMIT`` queries, each an index scan of
    ``ix_opportunities_open_stage``, with only the card's columns (no ORM objects).
    Each card keeps its ``_updated_at`` for the column's cursor.
    """
    if not stage_ids:
        return {}
    columns = (
        Opportunity.id,
        Opportunity.stage_id,
        Opportunity.title,
        Opportunity.amount,
        Opportunity.currency,
        Opportunity.probability,
        Opportunity.owner_id,
        Opportunity.account_id,
        Account.name.label("account_name"),
        Opportunity.close_date,
        Opportunity.stage_entered_at,
        Opportunity.version,
        Opportunity.updated_at,
    )
    parts = [
        sa.select(*columns)
        .outerjoin(Account, Account.id == Opportunity.account_id)
        .where(*conditions, Opportunity.stage_id == stage_id)
        .order_by(Opportunity.updated_at.desc(), Opportunity.id.desc())
        .limit(per_stage + 1)
        for stage_id in stage_ids
    ]
    statement = parts[0] if len(parts) == 1 else sa.union_all(*parts)
    cards: dict[str, list[dict[str, Any]]] = {}
    for row in db.execute(statement).mappings():
        cards.setdefault(row["stage_id"], []).append(
            {
                "id": row["id"],
                "title": row["title"],
                "amount": wire(row["amount"]),
                "currency": row["currency"],
                "probability": row["probability"],
                "owner_id": row["owner_id"],
                "account_id": row["account_id"],
                "account_name": row["account_name"],
                "close_date": wire(row["close_date"]),
                "stage_entered_at": isoformat(row["stage_entered_at"]),
                "version": row["version"],
                "_updated_at": row["updated_at"],
            }
        )
    # UNION ALL keeps each part's rows together but not necessarily in order.
    for items in cards.values():
        items.sort(key=lambda c: (c["_updated_at"], c["id"]), reverse=True)
    return cards
