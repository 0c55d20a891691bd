"""The global search: one box in the shell finds leads, contacts, accounts, deals,
orders and invoices by name, email, phone or number.

``GET /api/v1/search?q=`` asks every section the caller may open at once, each through
its owning service's own list with ``q`` (the same search, rights and indexes as that
list's search box: an exact email or phone is a point lookup, a name a prefix, a number
a trigram match), and answers the first few of each, grouped by section. A section
that cannot answer in time is left out and named in ``unavailable``; the others still
answer.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from services.platform.errors import OspreyError, Unavailable
from services.platform.scopes import READ, scope

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient, RpcFailure
from ..scopes import SEGMENTS

log = logging.getLogger(__name__)

router = APIRouter(prefix="/api/v1", tags=["search"])

#: How long one section may take before the answer goes without it (seconds).
SECTION_TIMEOUT = 2.0


def _first(record: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = record.get(key)
        if isinstance(value, list):  # a contact's emails and phones
            value = next((v.get("value") for v in value if isinstance(v, dict)), None)
        if value not in (None, ""):
            return str(value)
    return None


def _money(record: dict[str, Any], key: str) -> str | None:
    amount = record.get(key)
    return f"{amount} {record.get('currency') or ''}".strip() if amount else None


def _joined(*parts: str | None) -> str | None:
    kept = [p for p in parts if p]
    return " · ".join(kept) if kept else None


#: section → (service, list method, title, subtitle). Title and subtitle are plain text
#: from the record as its service answered it (its column rights applied).
SECTIONS: dict[str, tuple[str, str, Callable[[dict], str | None], Callable[[dict], str | None]]] = {
    "leads": (
        "leads",
        "list_leads",
        lambda r: _first(r, "contact_name", "account_name", "email", "phone"),
        lambda r: _joined(_first(r, "account_name"), _first(r, "email", "phone")),
    ),
    "contacts": (
        "sales",
        "list_contacts",
        lambda r: _first(r, "full_name"),
        lambda r: _joined(_first(r, "job_title"), _first(r, "emails", "phones")),
    ),
    "accounts": (
        "sales",
        "list_accounts",
        lambda r: _first(r, "name"),
        lambda r: _joined(_first(r, "email"), _first(r, "phone")),
    ),
    "opportunities": (
        "sales",
        "list_opportunities",
        lambda r: _first(r, "title"),
        lambda r: _money(r, "amount"),
    ),
    "orders": (
        "orders",
        "list_orders",
        lambda r: _first(r, "number"),
        lambda r: _money(r, "total"),
    ),
    "invoices": (
        "orders",
        "list_invoices",
        lambda r: _first(r, "number"),
        lambda r: _money(r, "total"),
    ),
}


class SearchHit(BaseModel):
    id: str
    title: str | None = Field(None, description="what the record is called")
    subtitle: str | None = Field(None, description="a line more: company, email, amount")


class SearchSection(BaseModel):
    entity: str = Field(description="the section: leads, contacts, accounts, ...")
    items: list[SearchHit]
    more: bool = Field(description="more records match than are shown")


class SearchOut(BaseModel):
    q: str
    sections: list[SearchSection] = Field(description="sections with matches, in menu order")
    unavailable: list[str] = Field(
        default_factory=list, description="sections that did not answer in time"
    )


def may_open(actor: dict[str, Any], section: str) -> bool:
    """Whether the caller sees the section: its ``<section>.read`` permission, and for a
    personal token the read scope of the section's area as well."""
    scopes = actor.get("scopes")
    if scopes is not None and scope(SEGMENTS[section], READ) not in scopes:
        return False
    if "admin" in (actor.get("roles") or []):
        return True
    granted = actor.get("permissions") or []
    return "*" in granted or f"{section}.read" in granted


async def _section(
    rpc: RpcClient, actor: dict[str, Any], section: str, q: str, limit: int
) -> SearchSection | None:
    service, method, title, subtitle = SECTIONS[section]
    page = await rpc.call(
        service, method, {"q": q, "limit": limit}, actor=actor, timeout=SECTION_TIMEOUT
    )
    items = page.get("items") or []
    if not items:
        return None
    return SearchSection(
        entity=section,
        items=[SearchHit(id=str(r["id"]), title=title(r), subtitle=subtitle(r)) for r in items],
        more=bool(page.get("next_cursor")),
    )


@router.get("/search", response_model=SearchOut, response_model_exclude_none=True)
async def search_everything(
    q: str = Query(..., min_length=2, max_length=200, description="a name, email, phone or number"),
    limit: int = Query(5, ge=1, le=20, description="records per section"),
    actor: dict[str, Any] = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> SearchOut:
    """Every section the caller may open, searched at once by its own search box."""
    text = " ".join(q.split())
    sections = [s for s in SECTIONS if may_open(actor, s)]
    answers = await asyncio.gather(
        *(_section(rpc, actor, s, text, limit) for s in sections), return_exceptions=True
    )
    found: list[SearchSection] = []
    unavailable: list[str] = []
    for section, answer in zip(sections, answers, strict=True):
        if isinstance(answer, SearchSection):
            found.append(answer)
        elif isinstance(answer, (RpcFailure, TimeoutError, Unavailable)):
            unavailable.append(section)  # down, slow or failing: the others still answer
        elif isinstance(answer, OspreyError):
            # the section refused this text (a list's own rule) or this caller: nothing
            # to show there
            log.debug("search: %s refused %r: %s", section, text, answer)
        elif isinstance(answer, BaseException):
            raise answer
    return SearchOut(q=text, sections=found, unavailable=unavailable)
