"""Leads: served by the leads service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from ..auth import current_actor, rpc_client
from ..listing import FILTER_PARAMETER_DOC, list_query
from ..problems import PROBLEM_RESPONSES
from ..rpc import RpcClient
from ..schemas import LeadCreate, LeadOut, LeadPage, LeadUpdate
from .common import as_page, etag, expected_version, require_json

router = APIRouter(prefix="/api/v1", tags=["leads"], responses=PROBLEM_RESPONSES)

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


@router.get("/leads", response_model=LeadPage, openapi_extra=FILTER_PARAMETER_DOC)
async def list_leads(
    query: dict[str, Any] = Depends(list_query),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The leads the caller may read, a page at a time (keyset cursor)."""
    return as_page(await rpc.call("leads", "list_leads", query, actor=actor))


@router.post(
    "/leads", status_code=201, response_model=LeadOut, dependencies=[Depends(require_json)]
)
async def create_lead(
    body: LeadCreate,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    lead = await rpc.call("leads", "create_lead", body.changes(), actor=actor)
    response.headers["Location"] = f"/api/v1/leads/{lead['id']}"
    response.headers["ETag"] = etag(lead)
    return lead


@router.get("/leads/{lead_id}", response_model=LeadOut)
async def get_lead(
    lead_id: str,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """One lead; its `ETag` is its version, to send back as `If-Match`."""
    lead = await rpc.call("leads", "get_lead", lead_id, actor=actor)
    response.headers["ETag"] = etag(lead)
    return lead


@router.patch(
    "/leads/{lead_id}",
    response_model=LeadOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
)
async def update_lead(
    lead_id: str,
    body: LeadUpdate,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Change some fields of a lead; with `If-Match`, only if nobody changed it since."""
    lead = await rpc.call(
        "leads",
        "update_lead",
        lead_id,
        body.changes(),
        actor=actor,
        expected_version=expected_version(request),
    )
    response.headers["ETag"] = etag(lead)
    return lead


@router.delete(
    "/leads/{lead_id}", status_code=204, response_class=Response, openapi_extra=IF_MATCH_DOC
)
async def delete_lead(
    lead_id: str,
    request: Request,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    await rpc.call(
        "leads", "delete_lead", lead_id, actor=actor, expected_version=expected_version(request)
    )
    return Response(status_code=204)
