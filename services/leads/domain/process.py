"""The lead process as pure functions: qualifying, disqualifying, reopening, handing off.

The guided path is qualification → distribution → handoff → awaiting_sale →
converted (plus disqualified and nurturing), but nothing forces it: a user may skip
or go back a stage by hand, and every change is logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from services.platform.errors import Conflict, DuplicatesFound
from services.platform.fields import failed
from services.platform.values import is_uuid, validation_failed

from .lead import CLOSED_STAGES, INITIAL_STAGE, STAGES

#: Stages a hand-off may start from: the lead has been qualified (or skipped ahead).
HANDOFF_FROM: tuple[str, ...] = ("qualification", "distribution", "handoff", "nurturing")
QUALIFY_FIELDS = frozenset(
    {"contact_id", "contact", "account_id", "account", "need_type", "allow_duplicates"}
)
#: The deal fields a hand-off may set; the sales service checks their values.
DEAL_FIELDS: tuple[str, ...] = ("title", "budget", "amount", "currency", "close_date")
MAX_DEAL_TITLE = 300


def _text(data: Mapping[str, Any], name: str, errors: list[dict[str, str]]) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        errors.append({"field": name, "message": "must be a string"})
        return None
    return value.strip() or None


def clean_qualify(data: Any) -> dict[str, Any]:
    """``{contact_id | contact, account_id | account, need_type, allow_duplicates}`` checked.

    The contact is required (an existing one or the fields of a new one); the account
    is optional (a private buyer has none). Every problem is reported at once.
    """
    if not isinstance(data, Mapping):
        raise failed("data", "must be an object")
    errors = [
        {"field": str(k), "message": "unknown field"} for k in data if k not in QUALIFY_FIELDS
    ]
    clean: dict[str, Any] = {"allow_duplicates": False}
    for kind in ("contact", "account"):
        given_id, given = data.get(f"{kind}_id"), data.get(kind)
        if given_id is not None and given is not None:
            errors.append({"field": kind, "message": f"give {kind}_id or {kind}, not both"})
        elif given_id is not None:
            if not is_uuid(given_id):
                errors.append({"field": f"{kind}_id", "message": "must be a UUID"})
            else:
                clean[f"{kind}_id"] = given_id
        elif given is not None:
            if not isinstance(given, Mapping):
                errors.append({"field": kind, "message": "must be an object of its fields"})
            else:
                clean[kind] = dict(given)
        elif kind == "contact":
            errors.append({"field": "contact_id", "message": "pick a contact or create one"})
    need_type = _text(data, "need_type", errors)
    if need_type is not None and len(need_type) > 100:
        errors.append({"field": "need_type", "message": "must be at most 100 characters"})
    clean["need_type"] = need_type
    allow = data.get("allow_duplicates", False)
    if not isinstance(allow, bool):
        errors.append({"field": "allow_duplicates", "message": "must be true or false"})
    else:
        clean["allow_duplicates"] = allow
    if errors:
        raise validation_failed(errors)
    return clean


def qualified_need(asked: str | None, current: str | None) -> str:
    """The need a qualified lead has: the one given, else the lead's own; one is needed."""
    need_type = asked or current
    if not need_type:
        raise failed("need_type", "say what the lead needs")
    return need_type


def qualified_stage(owner_id: str | None) -> str:
    """Where qualifying moves a lead: to hand-off when it has an owner, else to distribution."""
    return "handoff" if owner_id else "distribution"


def contact_from_lead(lead: Any, given: Mapping[str, Any]) -> dict[str, Any]:
    """A new contact's fields: what the user typed, else what the lead knows."""
    contact = dict(given)
    if lead.contact_name and not contact.get("full_name"):
        contact["full_name"] = lead.contact_name
    if lead.email and "emails" not in contact:
        contact["emails"] = [{"email": lead.email, "is_primary": True}]
    if lead.phone and "phones" not in contact:
        contact["phones"] = [{"phone": lead.phone, "is_primary": True}]
    contact.setdefault("owner_id", lead.owner_id)
    contact.setdefault("team_id", lead.team_id)
    return contact


def account_from_lead(lead: Any, given: Mapping[str, Any]) -> dict[str, Any]:
    """A new account's fields: what the user typed, else the lead's company."""
    account = dict(given)
    if lead.account_name and not account.get("name"):
        account["name"] = lead.account_name
    account.setdefault("owner_id", lead.owner_id)
    account.setdefault("team_id", lead.team_id)
    return account


def duplicates_found(candidates: list[dict[str, Any]]) -> DuplicatesFound:
    """The error that stops a qualification whose new contact or account looks like
    existing ones (each candidate names its ``entity``)."""
    return DuplicatesFound(
        "Contacts or accounts like these exist already: pick one, or create anyway",
        [{"field": c["entity"], "message": "looks like an existing record"} for c in candidates],
        candidates,
    )


def clean_disqualify_reason(reason: Any) -> str:
    """The disqualification reason's code, trimmed; one must be given."""
    if not isinstance(reason, str) or not reason.strip():
        raise failed("reason", "pick a disqualification reason")
    return reason.strip()


def check_reason_listed(code: str, reasons: set[str]) -> None:
    """The reason must be one of the active disqualification reasons."""
    if code not in reasons:
        raise failed("reason", f"must be one of {', '.join(sorted(reasons))}")


def reopen_target(stage: str | None) -> str:
    """The open stage a reopened lead goes to (qualification when not given)."""
    target = stage or INITIAL_STAGE
    if target not in STAGES or target in CLOSED_STAGES:
        open_stages = [s for s in STAGES if s not in CLOSED_STAGES]
        raise failed("stage", f"must be one of {', '.join(open_stages)}")
    return target


def check_reopenable(stage: str) -> None:
    """Only a converted or disqualified lead is reopened."""
    if stage not in CLOSED_STAGES:
        raise Conflict(
            f"The lead is open ({stage}); there is nothing to reopen",
            [{"field": "stage", "message": f"the lead is {stage}"}],
        )


def clean_deal(data: Any) -> dict[str, Any]:
    """The deal fields a hand-off may set (nulls left out); the sales service checks
    their values."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise failed("data", "must be an object")
    errors = [{"field": str(k), "message": "unknown field"} for k in data if k not in DEAL_FIELDS]
    if errors:
        raise validation_failed(errors)
    return {k: v for k, v in data.items() if v is not None}


def check_handoff(lead: Any) -> None:
    """A lead is handed off once qualified (a contact), assigned (an owner) and in a
    stage a hand-off starts from; every missing step is named at once."""
    errors = []
    if lead.contact_id is None:
        errors.append({"field": "contact_id", "message": "qualify the lead first"})
    if lead.owner_id is None:
        errors.append({"field": "owner_id", "message": "assign the lead first"})
    if lead.stage not in HANDOFF_FROM:
        errors.append({"field": "stage", "message": f"cannot hand off from {lead.stage}"})
    if errors:
        raise validation_failed(errors)


def deal_title(lead: Any) -> str:
    """A deal's title when the hand-off gives none: the need and who it is for."""
    who = lead.account_name or lead.contact_name or lead.email or "lead"
    return f"{lead.need_type or 'Deal'}: {who}"[:MAX_DEAL_TITLE]


def opportunity_data(lead: Any, deal: Mapping[str, Any]) -> dict[str, Any]:
    """What the sales service is asked to create for a handed-off lead."""
    rest = dict(deal)
    title = rest.pop("title", None) or deal_title(lead)
    return {
        "title": title,
        "account_id": lead.account_id,
        "contact_id": lead.contact_id,
        "need_type": lead.need_type,
        "owner_id": lead.owner_id,
        "team_id": lead.team_id,
        "lead_id": lead.id,
        **rest,
    }
