"""The caller's rights on leads, applied (docs/architecture.md, "Access rights").

Object rights come from the caller's roles (``Actor.require("leads", op)``); record
rights are the read and write scopes plus the leads shared with the caller
(``lead_shares``); column rights hide fields from every answer and refuse them as
filters, sorts and search terms, and refuse read-only ones on write. Everything here is
decided from the actor the call carries: no query, except to look for a share when
the scope alone says no.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa

from services.platform.access import Actor
from services.platform.errors import ValidationFailed
from services.platform.similar import shared_with
from services.platform.values import is_uuid

from .models import LeadShare

ENTITY = "leads"
SHARES = LeadShare.__table__


# --- records ------------------------------------------------------------------------------


def is_shared(db: Any, caller: Actor, lead_id: str, *, edit: bool = False) -> bool:
    """Whether the lead is shared with the caller or the caller's team (``edit``: for
    editing)."""
    if not is_uuid(lead_id):
        return False
    return bool(db.scalar(sa.select(shared_with(caller, SHARES, lead_id, edit=edit))))


def may_read(db: Any, caller: Actor, lead: Any) -> bool:
    """Whether the caller reads the lead: by its read scope, or shared with them."""
    if caller.can_read(lead.owner_id, lead.team_id, ENTITY):
        return True
    return is_shared(db, caller, lead.id)


def may_change(db: Any, caller: Actor, lead: Any) -> bool:
    """Whether the caller changes the lead: by its write scope, or shared for editing."""
    if caller.can_change(lead.owner_id, lead.team_id, ENTITY):
        return True
    return is_shared(db, caller, lead.id, edit=True)


def shared_condition(caller: Actor, record_id: Any) -> Any:
    """The SQL "shared with the caller", for lists (None when the scope reads all)."""
    if caller.read_scope(ENTITY) == "all":
        return None
    return shared_with(caller, SHARES, record_id)


# --- columns ------------------------------------------------------------------------------


def visible(caller: Actor, lead: dict[str, Any]) -> dict[str, Any]:
    """The lead without the fields hidden from the caller."""
    hidden = caller.hidden(ENTITY)
    if not hidden:
        return lead
    return {name: value for name, value in lead.items() if name not in hidden}


def visible_all(caller: Actor, leads: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [visible(caller, lead) for lead in leads]


def visible_similar(caller: Actor, found: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Look-alikes ``[{record, score, reasons}]`` without hidden fields; a reason that
    names a hidden field (email, phone) is kept, as it says only that they match."""
    if not caller.hidden(ENTITY):
        return list(found)
    return [{**item, "record": visible(caller, item["record"])} for item in found]


def visible_page(caller: Actor, page: dict[str, Any]) -> dict[str, Any]:
    if not caller.hidden(ENTITY):
        return page
    return {**page, "items": visible_all(caller, page["items"])}


def check_writable(caller: Actor, data: Any) -> None:
    """``ValidationFailed`` (422) naming each field of ``data`` the caller may not write:
    hidden from them or read-only for them."""
    if not isinstance(data, Mapping):
        return
    hidden, read_only = caller.hidden(ENTITY), caller.read_only(ENTITY)
    if not (hidden or read_only):
        return
    errors = [
        {"field": str(name), "message": "is read-only for your role"}
        for name in data
        if name in read_only or name in hidden
    ]
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)


#: what the search box looks through when given an email or a phone number
_EMAIL, _PHONE = "email", "phone"


def check_query(caller: Actor, query: Any) -> None:
    """``ValidationFailed`` naming each filter, the sort or the search text that would
    look through a field hidden from the caller (what cannot be seen cannot be asked
    about either)."""
    hidden = caller.hidden(ENTITY)
    if not hidden or not isinstance(query, Mapping):
        return
    errors = []
    filters = query.get("filter")
    if isinstance(filters, Mapping):
        errors += [
            {"field": f"filter[{name}]", "message": "is hidden for your role"}
            for name in filters
            if name in hidden
        ]
    sort = query.get("sort")
    if isinstance(sort, str) and sort.lstrip("-") in hidden:
        errors.append({"field": "sort", "message": f"{sort.lstrip('-')} is hidden for your role"})
    q = query.get("q")
    if isinstance(q, str) and q.strip():
        text = q.strip()
        if _EMAIL in hidden and "@" in text:
            errors.append({"field": "q", "message": "email is hidden for your role"})
        elif _PHONE in hidden and sum(c.isdigit() for c in text) >= 7:
            errors.append({"field": "q", "message": "phone is hidden for your role"})
    if errors:
        raise ValidationFailed("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors)
