"""Accounts: served by the sales service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import (
    AccountCandidates,
    AccountCreate,
    AccountOut,
    AccountPage,
    AccountUpdate,
    ContactOut,
    MergeList,
    RecordMergeIn,
    SimilarAccountOut,
)
from .common import etag, expected_version, require_json
from .contacts import ALLOW_DUPLICATES
from .records import IF_MATCH_DOC, record_routes

router = APIRouter(prefix="/api/v1", tags=["accounts"])

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
    skip=("create",),  # creating checks for duplicates first: its own route, below
)


@router.post(
    "/accounts",
    status_code=201,
    response_model=AccountOut,
    dependencies=[Depends(require_json)],
    name="create_account",
)
async def create_account(
    body: AccountCreate,
    response: Response,
    allow_duplicates: bool = ALLOW_DUPLICATES,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Create an account; answers 201 with its `Location` and `ETag`. When accounts like it
    exist: 409 `.../problems/duplicates` with `candidates`, unless `allow_duplicates=true`."""
    record = await rpc.call(
        "sales", "create_account", body.changes(), actor=actor, allow_duplicates=allow_duplicates
    )
    response.headers["Location"] = f"/api/v1/accounts/{record['id']}"
    response.headers["ETag"] = etag(record)
    return record


@router.post(
    "/accounts/check-duplicates",
    response_model=AccountCandidates,
    dependencies=[Depends(require_json)],
)
async def check_account_duplicates(
    body: AccountCreate,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The accounts that look like this new one (same body as create); nothing is written."""
    candidates = await rpc.call("sales", "check_account_duplicates", body.changes(), actor=actor)
    return {"candidates": candidates}


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


@router.post(
    "/accounts/{account_id}/merge",
    response_model=AccountOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
)
async def merge_accounts(
    account_id: str,
    body: RecordMergeIn,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Merge `merged_id` into this account, which is kept (`If-Match` is its version):
    its empty fields are filled, addresses united, careers, contacts, child accounts,
    deals, competitor entries and activities move to it, and the merged one is deleted."""
    record = await rpc.call(
        "sales",
        "merge_accounts",
        account_id,
        body.merged_id,
        actor=actor,
        expected_version=expected_version(request),
    )
    response.headers["ETag"] = etag(record)
    return record


@router.get("/accounts/{account_id}/merges", response_model=MergeList)
async def list_account_merges(
    account_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The accounts merged into this one, newest first, each with its last state."""
    return {"items": await rpc.call("sales", "list_account_merges", account_id, actor=actor)}
