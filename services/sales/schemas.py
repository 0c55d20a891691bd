"""What crosses the wire: sales records as JSON-safe dicts, and their metadata."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.platform.events import isoformat
from services.platform.records import describe_entity

from .domain import (
    ACCOUNT,
    ACTIVITY,
    CONTACT,
    OPPORTUNITY,
    ZERO,
    Entity,
    follows_lines,
    period_end,
)


def wire(value: Any) -> Any:
    """A stored value as JSON carries it: money as a decimal string, times ISO 8601 UTC."""
    if isinstance(value, datetime):
        return isoformat(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, list):
        return [dict(item) if isinstance(item, dict) else wire(item) for item in value]
    return value


def dump_entity(entity: Entity, record: Any) -> dict[str, Any]:
    """A record's fields, in the entity's order, as JSON-safe values."""
    return {name: wire(getattr(record, name)) for name in entity.field_names}


# --- accounts and contacts ------------------------------------------------------------------


def dump_account(account: Any) -> dict[str, Any]:
    """An account with ids as strings and times as ISO 8601 UTC ending in ``Z``."""
    return dump_entity(ACCOUNT, account)


def dump_contact(contact: Any) -> dict[str, Any]:
    """A contact with ids as strings and times as ISO 8601 UTC ending in ``Z``."""
    return dump_entity(CONTACT, contact)


def describe_accounts() -> dict[str, Any]:
    """The account entity for ``meta/entities``."""
    return describe_entity(ACCOUNT, "accounts", "Accounts", "Account")


def describe_contacts() -> dict[str, Any]:
    """The contact entity for ``meta/entities``."""
    return describe_entity(CONTACT, "contacts", "Contacts", "Contact")


def dump_career(career: Any) -> dict[str, Any]:
    """A career with dates as ``YYYY-MM-DD`` and ``created_at`` as ISO 8601 UTC."""
    return {
        "id": career.id,
        "contact_id": career.contact_id,
        "account_id": career.account_id,
        "job_title": career.job_title,
        "is_primary": career.is_primary,
        "start_date": career.start_date.isoformat() if career.start_date else None,
        "end_date": career.end_date.isoformat() if career.end_date else None,
        "created_at": isoformat(career.created_at),
    }


def dump_merge(merge: Any) -> dict[str, Any]:
    """One merge of the log: who was merged into whom, its last state, what moved."""
    return {
        "id": merge.id,
        "entity": merge.entity,
        "kept_id": merge.kept_id,
        "merged_id": merge.merged_id,
        "merged_record": merge.merged_record,
        "moved": merge.moved,
        "merged_by": merge.merged_by,
        "merged_at": isoformat(merge.merged_at),
    }


# --- opportunities -----------------------------------------------------------------------------


def dump_opportunity(opportunity: Any) -> dict[str, Any]:
    """An opportunity with money as decimal strings and times as ISO 8601 UTC, and
    ``amount_from_lines``: whether its amount is its product lines' total (else it was
    set by hand, or there are no lines)."""
    result = dump_entity(OPPORTUNITY, opportunity)
    result["amount_from_lines"] = follows_lines(result.get("lines"), result.get("amount"))
    return result


def describe_opportunities() -> dict[str, Any]:
    """The opportunity entity for ``meta/entities``."""
    return describe_entity(OPPORTUNITY, "opportunities", "Opportunities", "Opportunity")


def dump_stage(stage: Any) -> dict[str, Any]:
    return {
        "id": stage.id,
        "name": stage.name,
        "position": stage.position,
        "probability": stage.probability,
        "is_final": stage.is_final,
        "is_successful": stage.is_successful,
        "version": stage.version,
    }


def dump_tactic(tactic: Any) -> dict[str, Any]:
    return {
        "id": tactic.id,
        "opportunity_id": tactic.opportunity_id,
        "kind": tactic.kind,
        "text": tactic.text,
        "created_at": isoformat(tactic.created_at),
        "created_by": tactic.created_by,
    }


def dump_competitor(competitor: Any, account_name: str | None) -> dict[str, Any]:
    return {
        "id": competitor.id,
        "opportunity_id": competitor.opportunity_id,
        "account_id": competitor.account_id,
        "account_name": account_name,
        "offer": competitor.offer,
        "comparison": competitor.comparison,
        "created_at": isoformat(competitor.created_at),
        "created_by": competitor.created_by,
    }


# --- activities ----------------------------------------------------------------------------


def dump_activity_row(record: Any) -> dict[str, Any]:
    """The stored fields in record order; ``participants`` is filled in by the caller."""
    result: dict[str, Any] = {}
    for name in ACTIVITY.field_names:
        result[name] = [] if name == "participants" else wire(getattr(record, name))
    return result


def describe_activities() -> dict[str, Any]:
    """The activity entity for ``meta/entities``."""
    return describe_entity(ACTIVITY, "activities", "Activities", "Activity")


# --- forecasts -----------------------------------------------------------------------------


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
