"""Accounts: served by the sales service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from ..auth import current_actor, rpc_client
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
from .records import record_routes

router = APIRouter(prefix="/api/v1", tags=["accounts"], responses=PROBLEM_RESPONSES)

Actor = dict[str, Any]


record_routes(
    router,
    service="sales",
    path="accounts",
    plural="accounts",
    singular="account",
    create_model=AccountCreate,
    update_model=AccountUpdate,
    out_model=AccountOut,
    page_model=AccountPage,
)


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
