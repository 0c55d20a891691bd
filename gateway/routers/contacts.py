"""Contacts: served by the sales service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from ..auth import current_actor, rpc_client
from ..listing import FILTER_PARAMETER_DOC, list_query
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
from .common import as_page, etag, expected_version, require_json

router = APIRouter(prefix="/api/v1", tags=["contacts"], responses=PROBLEM_RESPONSES)

Actor = dict[str, Any]
IF_MATCH_DOC: dict[str, Any] = {
    "parameters": [
        {
            "name": "If-Match",
            "in": "header",
            "required": False,
            "description": "The version you last read (the ETag); stale → 409, nothing changes",
            "schema": {"type": "string"},
        }
    ]
}


@router.get("/contacts", response_model=ContactPage, openapi_extra=FILTER_PARAMETER_DOC)
async def list_contacts(
    query: dict[str, Any] = Depends(list_query),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The contacts the caller may read, a page at a time (keyset cursor)."""
    return as_page(await rpc.call("sales", "list_contacts", query, actor=actor))


@router.post(
    "/contacts", status_code=201, response_model=ContactOut, dependencies=[Depends(require_json)]
)
async def create_contact(
    body: ContactCreate,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    contact = await rpc.call("sales", "create_contact", body.changes(), actor=actor)
    response.headers["Location"] = f"/api/v1/contacts/{contact['id']}"
    response.headers["ETag"] = etag(contact)
    return contact


@router.get("/contacts/{contact_id}", response_model=ContactOut)
async def get_contact(
    contact_id: str,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """One contact; its `ETag` is its version, to send back as `If-Match`."""
    contact = await rpc.call("sales", "get_contact", contact_id, actor=actor)
    response.headers["ETag"] = etag(contact)
    return contact


@router.patch(
    "/contacts/{contact_id}",
    response_model=ContactOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
)
async def update_contact(
    contact_id: str,
    body: ContactUpdate,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Change some fields of a contact; with `If-Match`, only if nobody changed it since."""
    contact = await rpc.call(
        "sales",
        "update_contact",
        contact_id,
        body.changes(),
        actor=actor,
        expected_version=expected_version(request),
    )
    response.headers["ETag"] = etag(contact)
    return contact


@router.delete(
    "/contacts/{contact_id}", status_code=204, response_class=Response, openapi_extra=IF_MATCH_DOC
)
async def delete_contact(
    contact_id: str,
    request: Request,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    await rpc.call(
        "sales",
        "delete_contact",
        contact_id,
        actor=actor,
        expected_version=expected_version(request),
    )
    return Response(status_code=204)


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
