"""Record sharing of leads: a lead shared with a user or a team for reading or editing,
beyond the record scope of their roles (served by the leads service)."""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations.

from typing import Any, Literal

from fastapi import APIRouter, Depends, Response

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import Request
from ..schemas import Response as Out
from .common import require_json

router = APIRouter(prefix="/api/v1", tags=["leads"])

Actor = dict[str, Any]


class LeadShareIn(Request):
    """Whom to share the lead with — a user or a team — and for what."""

    user_id: str | None = None
    team_id: str | None = None
    access: Literal["read", "edit"] = "read"


class LeadShareOut(Out):
    id: str
    lead_id: str
    user_id: str | None
    team_id: str | None
    access: Literal["read", "edit"]
    created_by: str | None
    created_at: str


class LeadShareList(Out):
    items: list[LeadShareOut]


@router.get("/leads/{lead_id}/shares", response_model=LeadShareList)
async def list_lead_shares(
    lead_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """Whom the lead is shared with, oldest first."""
    return await rpc.call("leads", "list_lead_shares", lead_id, actor=actor)


@router.post(
    "/leads/{lead_id}/shares",
    status_code=201,
    response_model=LeadShareOut,
    dependencies=[Depends(require_json)],
)
async def share_lead(
    lead_id: str,
    body: LeadShareIn,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Share the lead with a user or a team (`access`: read, or edit — change but not
    delete); sharing again with the same one changes its access. Whoever may change the
    lead by their roles' scope shares it."""
    share = await rpc.call(
        "leads", "share_lead", lead_id, body.model_dump(exclude_unset=True), actor=actor
    )
    response.headers["Location"] = f"/api/v1/leads/{lead_id}/shares/{share['id']}"
    return share


@router.delete("/leads/{lead_id}/shares/{share_id}", status_code=204, response_class=Response)
async def unshare_lead(
    lead_id: str,
    share_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """Take a share back."""
    await rpc.call("leads", "unshare_lead", lead_id, share_id, actor=actor)
    return Response(status_code=204)
