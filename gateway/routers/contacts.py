"""Contacts: served by the sales service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import (
    CareerCreate,
    CareerOut,
    ContactCandidates,
    ContactCreate,
    ContactOut,
    ContactPage,
    ContactUpdate,
    MergeList,
    RecordMergeIn,
    SimilarContactOut,
)
from .common import etag, expected_version, require_json
from .records import IF_MATCH_DOC, record_routes

router = APIRouter(prefix="/api/v1", tags=["contacts"])

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
    skip=("create",),  # creating checks for duplicates first: its own route, below
)

ALLOW_DUPLICATES = Query(
    False, description="Create it even if likely duplicates exist (otherwise 409 with them)"
)


@router.post(
    "/contacts",
    status_code=201,
    response_model=ContactOut,
    dependencies=[Depends(require_json)],
    name="create_contact",
)
async def create_contact(
    body: ContactCreate,
    response: Response,
    allow_duplicates: bool = ALLOW_DUPLICATES,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Create a contact; answers 201 with its `Location` and `ETag`. When contacts like it
    exist: 409 `.../problems/duplicates` with `candidates`, unless `allow_duplicates=true`."""
    record = await rpc.call(
        "sales", "create_contact", body.changes(), actor=actor, allow_duplicates=allow_duplicates
    )
    response.headers["Location"] = f"/api/v1/contacts/{record['id']}"
    response.headers["ETag"] = etag(record)
    return record


@router.post(
    "/contacts/check-duplicates",
    response_model=ContactCandidates,
    dependencies=[Depends(require_json)],
)
async def check_contact_duplicates(
    body: ContactCreate,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The contacts that look like this new one (same body as create); nothing is written."""
    candidates = await rpc.call("sales", "check_contact_duplicates", body.changes(), actor=actor)
    return {"candidates": candidates}


@router.get(
    "/contacts/{contact_id}/careers",
    response_model=list[CareerOut],
    operation_id="list_contact_careers",
)
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
    operation_id="add_contact_career",
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


@router.post(
    "/contacts/{contact_id}/merge",
    response_model=ContactOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
)
async def merge_contacts(
    contact_id: str,
    body: RecordMergeIn,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Merge `merged_id` into this contact, which is kept (`If-Match` is its version):
    its empty fields are filled, emails and phones united, careers, deals, activities
    and participations move to it, and the merged contact is deleted."""
    record = await rpc.call(
        "sales",
        "merge_contacts",
        contact_id,
        body.merged_id,
        actor=actor,
        expected_version=expected_version(request),
    )
    response.headers["ETag"] = etag(record)
    return record


@router.get("/contacts/{contact_id}/merges", response_model=MergeList)
async def list_contact_merges(
    contact_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The contacts merged into this one, newest first, each with its last state."""
    return {"items": await rpc.call("sales", "list_contact_merges", contact_id, actor=actor)}
