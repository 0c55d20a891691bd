"""The orders service's settings, which administrators change at run time."""

# No ``from __future__ import annotations``: FastAPI reads the route helpers' closures'
# annotations at run time, and they name the models passed in.

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from .common import etag, expected_version, require_json
from .records import IF_MATCH_DOC

router = APIRouter(prefix="/api/v1")

Actor = dict[str, Any]


# --- settings ---------------------------------------------------------------------------


def _with_etag(response: Response, record: dict[str, Any]) -> dict[str, Any]:
    response.headers["ETag"] = etag(record)
    return record


class OrdersSettingsIn(RequestModel):
    propose_order_on_win: bool | None = None
    # our company as every invoice PDF prints it; "" falls back to OSPREY_COMPANY_*
    company_name: str | None = Field(None, max_length=200)
    company_address: str | None = Field(None, max_length=1000, description="one line per line")
    company_tax_id: str | None = Field(None, max_length=64)
    company_email: str | None = Field(None, max_length=320)
    company_phone: str | None = Field(None, max_length=64)
    company_bank: str | None = Field(None, max_length=1000, description="one line per line")


class OrdersSettingsOut(ResponseModel):
    propose_order_on_win: bool
    company_name: str = ""
    company_address: str = ""
    company_tax_id: str = ""
    company_email: str = ""
    company_phone: str = ""
    company_bank: str = ""
    version: int
    updated_at: str | None = None
    updated_by: str | None = None


@router.get("/orders-settings", response_model=OrdersSettingsOut, tags=["orders"])
async def get_orders_settings(
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The orders settings (version 0 until an administrator first sets them)."""
    record = await rpc.call("orders", "get_orders_settings", actor=actor)
    return _with_etag(response, record)


@router.put(
    "/orders-settings",
    response_model=OrdersSettingsOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
    tags=["orders"],
)
async def update_orders_settings(
    body: OrdersSettingsIn,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Change the settings that are sent (administrators): `propose_order_on_win` drafts
    an order for every won deal."""
    record = await rpc.call(
        "orders",
        "update_orders_settings",
        body.model_dump(exclude_unset=True),
        actor=actor,
        expected_version=expected_version(request),
    )
    return _with_etag(response, record)
