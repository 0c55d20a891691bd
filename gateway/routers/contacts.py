"""Contacts: served by the sales service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from ..auth import current_actor, rpc_client
from ..problems import PROBLEM_RESPONSES
from ..rpc import RpcClient
from ..schemas import (
    CareerCreate,
    CareerOut,
    ContactCreate,
    ContactOut,
    ContactPage,
    ContactUpdate,
    SimilarContactOut,
)
from .common import require_json
from .records import record_routes

router = APIRouter(prefix="/api/v1", tags=["contacts"], responses=PROBLEM_RESPONSES)

Actor = dict[str, Any]


record_routes(
    router,
    service="sales",
    path="contacts",
    plural="contacts",
    singular="contact",
    create_model=ContactCreate,
    update_model=ContactUpdate,
    out_model=ContactOut,
    page_model=ContactPage,
)


@router.get("/contacts/{contact_id}/careers", response_model=list[CareerOut])
async def list_careers(
    contact_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> list[dict[str, Any]]:
    """The contact's places of work, the primary one first."""
    return await rpc.call("sales", "list_careers", contact_id, actor=actor)


@router.post(
    "/contacts/{contact_id}/careers",
    status_code=201,
    response_model=CareerOut,
    dependencies=[Depends(require_json)],
)
async def add_career(
    contact_id: str,
    body: CareerCreate,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Add a place of work; a new primary one unsets the old."""
    return await rpc.call("sales", "add_career", contact_id, body.changes(), actor=actor)


@router.get("/contacts/{contact_id}/similar", response_model=list[SimilarContactOut])
async def similar_contacts(
    contact_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> list[dict[str, Any]]:
    """Up to 10 likely duplicates (same email or phone, a similar name), best first."""
    return await rpc.call("sales", "similar_contacts", contact_id, actor=actor)
