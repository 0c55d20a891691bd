"""What crosses the wire: the leads service's records as JSON-safe dicts, and the lead
entity's metadata."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import RowMapping

from services.platform.events import isoformat
from services.platform.records import describe_entity

from .domain import FIELD_NAMES, IDENTIFYING_FIELDS, LEAD, STAGES, embed_html, submit_path
from .models import Assignment, Lead, StageChange

_TIMES = frozenset({"created_at", "updated_at"})


def dump_lead(lead: Lead | sa.Row[Any] | RowMapping | Any) -> dict[str, Any]:
    """A lead (the model, a row of its columns, that row's mapping, or any object with
    the lead's fields) with ids as strings and times as ISO 8601 UTC ending in ``Z``."""
    if isinstance(lead, sa.Row | RowMapping):
        row = lead._mapping if isinstance(lead, sa.Row) else lead
        data = {name: row[name] for name in FIELD_NAMES}
    else:
        data = {name: getattr(lead, name) for name in FIELD_NAMES}
    for name in _TIMES:
        data[name] = isoformat(data[name])
    reasons = data.get("score_reasons")
    if isinstance(reasons, list):
        data["score_reasons"] = [dict(item) for item in reasons]
    return data


def describe() -> dict[str, Any]:
    """The lead entity for ``meta/entities``: enough for a generic list and form."""
    meta = describe_entity(LEAD, "leads", "Leads", "Lead")
    for out, spec in zip(meta["fields"], LEAD.fields, strict=True):
        # A lead's fields have never listed items (none holds a list the user edits)
        # and offer the lookup lists' codes as suggestions: the metadata stays as it was.
        del out["items"]
        out["suggestions"] = spec.suggestions
    # None of the four is required alone, but one of them is (checked on save).
    return {**meta, "required_one_of": list(IDENTIFYING_FIELDS), "filters": LIST_ONLY_FILTERS}


#: filters the list takes that are no field of a lead (meta/entities ``filters``)
LIST_ONLY_FILTERS: list[dict[str, Any]] = [
    {
        "name": "reached_stage",
        "type": "enum",
        "label": "Reached stage",
        "options": list(STAGES),
        # its options are the stage field's (and read as the web app names them)
        "options_field": "stage",
        "filter_op": "equals",
    }
]


def dump_stage_change(change: StageChange) -> dict[str, Any]:
    return {
        "id": change.id,
        "lead_id": change.lead_id,
        "from_stage": change.from_stage,
        "to_stage": change.to_stage,
        "action": change.action,
        "reason": change.reason,
        "changed_by": change.changed_by,
        "changed_at": isoformat(change.changed_at),
    }


def dump_scoring_rule(rule: Any) -> dict[str, Any]:
    """A scoring rule (an ORM object or a row) as it crosses the wire."""
    return {
        "id": rule.id,
        "name": rule.name,
        "field": rule.field,
        "operator": rule.operator,
        "value": rule.value,
        "points": rule.points,
        "is_active": rule.is_active,
        "version": rule.version,
        "created_at": isoformat(rule.created_at),
        "updated_at": isoformat(rule.updated_at),
    }


def dump_distribution_rule(rule: Any) -> dict[str, Any]:
    return {
        "id": rule.id,
        "name": rule.name,
        "position": rule.position,
        "is_active": rule.is_active,
        "need_type": rule.need_type,
        "source": rule.source,
        "region": rule.region,
        "team_id": rule.team_id,
        "strategy": rule.strategy,
        "owner_ids": list(rule.owner_ids or []),
        "fixed_owner_id": rule.fixed_owner_id,
        "last_index": rule.last_index,
        "version": rule.version,
        "created_at": isoformat(rule.created_at),
        "updated_at": isoformat(rule.updated_at),
    }


def dump_assignment(row: Assignment, rule_name: str | None = None) -> dict[str, Any]:
    return {
        "id": row.id,
        "lead_id": row.lead_id,
        "owner_id": row.owner_id,
        "previous_owner_id": row.previous_owner_id,
        "rule_id": row.rule_id,
        "rule_name": rule_name,
        "strategy": row.strategy,
        "assigned_by": row.assigned_by,
        "assigned_at": isoformat(row.assigned_at),
    }


def dump_lookup(lookup: Any) -> dict[str, Any]:
    return {
        "id": lookup.id,
        "kind": lookup.kind,
        "code": lookup.code,
        "name": lookup.name,
        "position": lookup.position,
        "is_active": lookup.is_active,
        "version": lookup.version,
        "created_at": isoformat(lookup.created_at),
        "updated_at": isoformat(lookup.updated_at),
    }


def dump_form(form: Any) -> dict[str, Any]:
    """The form as events carry it (without the embed snippet, which needs a base URL)."""
    return {
        "id": form.id,
        "name": form.name,
        "is_active": form.is_active,
        "allowed_origins": list(form.allowed_origins or []),
        "source": form.source,
        "channel": form.channel,
        "team_id": form.team_id,
        "owner_id": form.owner_id,
        "honeypot_field": form.honeypot_field,
        "rate_limit_per_minute": form.rate_limit_per_minute,
        "redirect_url": form.redirect_url,
        "submissions": form.submissions,
        "version": form.version,
        "created_at": isoformat(form.created_at),
        "updated_at": isoformat(form.updated_at),
        "created_by": form.created_by,
    }


def form_out(form: Any, base_url: str | None) -> dict[str, Any]:
    """The form as admins see it: with where to post and the snippet to paste."""
    return {
        **dump_form(form),
        "submit_url": f"{(base_url or '').rstrip('/')}{submit_path(form.id)}",
        "embed_html": embed_html(form, base_url),
    }
