"""The global search: one box in the shell finds leads, contacts, accounts, deals,
orders and invoices by name, email, phone or number.

``GET /api/v1/search?q=`` asks every section the caller may open at once, each by its
owning service's own list with ``q`` (the same search, rights and indexes as that
list's search box: an exact email or phone is a point lookup, a name a prefix, a number
a trigram match), and answers the first few of each, grouped by section. One call per
service, not per section: leads' list, sales' and orders' ``search_records`` (contacts,
accounts and deals; orders and invoices, whose customers by name are found once), none
counting a total: each section's first few found (``first_found``: each lookup's first
few from its own index, a name's start in the name's order, however many match), not
the newest of all that match. A service that cannot answer in time is left out and its
sections named in ``unavailable``; the others still answer.
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


#: section → (service, title, subtitle). Title and subtitle are plain text from the
#: record as its service answered it (its column rights applied). Leads answer through
#: their list; sales and orders answer all their sections in one ``search_records``.
SECTIONS: dict[str, tuple[str, Callable[[dict], str | None], Callable[[dict], str | None]]] = {
    "leads": (
        "leads",
        lambda r: _first(r, "contact_name", "account_name", "email", "phone"),
        lambda r: _joined(_first(r, "account_name"), _first(r, "email", "phone")),
    ),
    "contacts": (
        "sales",
        lambda r: _first(r, "full_name"),
        lambda r: _joined(_first(r, "job_title"), _first(r, "emails", "phones")),
    ),
    "accounts": (
        "sales",
        lambda r: _first(r, "name"),
        lambda r: _joined(_first(r, "email"), _first(r, "phone")),
    ),
    "opportunities": (
        "sales",
        lambda r: _first(r, "title"),
        lambda r: _money(r, "amount"),
    ),
    "orders": (
        "orders",
        lambda r: _first(r, "number"),
        lambda r: _money(r, "total"),
    ),
    "invoices": (
        "orders",
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


async def _ask(
    rpc: RpcClient, actor: dict[str, Any], service: str, sections: list[str], q: str, limit: int
) -> dict[str, dict[str, Any]]:
    """One service's pages for its ``sections``: ``{section: page | {"refused": why}}``."""
    if service == "leads":  # one section: its own list, without the total
        try:
            page = await rpc.call(
                "leads",
                "list_leads",
                {"q": q, "limit": limit, "first_found": True},
                actor=actor,
                timeout=SECTION_TIMEOUT,
            )
        except (RpcFailure, Unavailable):
            raise
        except OspreyError as refused:  # the list's own rule, or this caller
            return {"leads": {"refused": str(refused)}}
        return {"leads": page}
    return await rpc.call(
        service, "search_records", sections, q, limit, actor=actor, timeout=SECTION_TIMEOUT
    )


def _section(section: str, page: dict[str, Any], q: str) -> SearchSection | None:
    if "refused" in page:
        log.debug("search: %s refused %r: %s", section, q, page["refused"])
        return None
    items = page.get("items") or []
    if not items:
        return None
    _, title, subtitle = SECTIONS[section]
    return SearchSection(
        entity=section,
        items=[SearchHit(id=str(r["id"]), title=title(r), subtitle=subtitle(r)) for r in items],
        more=bool(page.get("more") or page.get("next_cursor")),
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
    by_service: dict[str, list[str]] = {}
    for section in sections:
        by_service.setdefault(SECTIONS[section][0], []).append(section)
    answers = await asyncio.gather(
        *(_ask(rpc, actor, service, asked, text, limit) for service, asked in by_service.items()),
        return_exceptions=True,
    )
    pages: dict[str, dict[str, Any]] = {}
    unavailable: list[str] = []
    for (service, asked), answer in zip(by_service.items(), answers, strict=True):
        if isinstance(answer, dict):
            pages.update(answer)
        elif isinstance(answer, (RpcFailure, TimeoutError, Unavailable)):
            unavailable.extend(asked)  # down, slow or failing: the others still answer
        elif isinstance(answer, OspreyError):
            log.debug("search: %s refused %r: %s", service, text, answer)
        elif isinstance(answer, BaseException):
            raise answer
    found = [
        hit
        for section in sections
        if section in pages and (hit := _section(section, pages[section], text)) is not None
    ]
    return SearchOut(q=text, sections=found, unavailable=unavailable)
