"""Accounts: served by the sales service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from ..auth import current_actor, rpc_client
from ..listing import FILTER_PARAMETER_DOC, list_query
from ..problems import PROBLEM_RESPONSES
from ..rpc import RpcClient
from ..schemas import (
    AccountCreate,
    AccountOut,
    AccountPage,
    AccountUpdate,
    ContactOut,
    SimilarAccountOut,
)
from .common import as_page, etag, expected_version, require_json

router = APIRouter(prefix="/api/v1", tags=["accounts"], responses=PROBLEM_RESPONSES)

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


@router.get("/accounts", response_model=AccountPage, openapi_extra=FILTER_PARAMETER_DOC)
async def list_accounts(
    query: dict[str, Any] = Depends(list_query),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The accounts the caller may read, a page at a time (keyset cursor)."""
    return as_page(await rpc.call("sales", "list_accounts", query, actor=actor))


@router.post(
    "/accounts", status_code=201, response_model=AccountOut, dependencies=[Depends(require_json)]
)
async def create_account(
    body: AccountCreate,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    account = await rpc.call("sales", "create_account", body.changes(), actor=actor)
    response.headers["Location"] = f"/api/v1/accounts/{account['id']}"
    response.headers["ETag"] = etag(account)
    return account


@router.get("/accounts/{account_id}", response_model=AccountOut)
async def get_account(
    account_id: str,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """One account; its `ETag` is its version, to send back as `If-Match`."""
    account = await rpc.call("sales", "get_account", account_id, actor=actor)
    response.headers["ETag"] = etag(account)
    return account


@router.patch(
    "/accounts/{account_id}",
    response_model=AccountOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
)
async def update_account(
    account_id: str,
    body: AccountUpdate,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Change some fields of a account; with `If-Match`, only if nobody changed it since."""
    account = await rpc.call(
        "sales",
        "update_account",
        account_id,
        body.changes(),
        actor=actor,
        expected_version=expected_version(request),
    )
    response.headers["ETag"] = etag(account)
    return account


@router.delete(
    "/accounts/{account_id}", status_code=204, response_class=Response, openapi_extra=IF_MATCH_DOC
)
async def delete_account(
    account_id: str,
    request: Request,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    await rpc.call(
        "sales",
        "delete_account",
        account_id,
        actor=actor,
        expected_version=expected_version(request),
    )
    return Response(status_code=204)


@router.get("/accounts/{account_id}/contacts", response_model=list[ContactOut])
async def list_account_contacts(
    account_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> list[dict[str, Any]]:
    """The contacts working at the account (its `account_id` or a career) the caller may read."""
    return await rpc.call("sales", "list_account_contacts", account_id, actor=actor)


@router.get("/accounts/{account_id}/similar", response_model=list[SimilarAccountOut])
async def similar_accounts(
    account_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> list[dict[str, Any]]:
    """Up to 10 likely duplicates (same web domain, email or phone, a similar name)."""
    return await rpc.call("sales", "similar_accounts", account_id, actor=actor)
