"""The audit trail: who changed what, when, from where, each field's old and new value,
served by the audit service (docs/api.md, "Audit trail").

Administrators search everything; others see the entries of the records they may read.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations.

from typing import Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient

router = APIRouter(prefix="/api/v1")

Actor = dict[str, Any]


class AuditActor(BaseModel):
    id: str | None = None
    email: str | None = None


class AuditEntry(BaseModel):
    id: str
    entity: str
    record_id: str
    version: int | None = None
    action: str
    event: str
    actor: AuditActor | None = None
    at: str
    source: str
    changes: dict[str, list[Any]]
    old_known: bool


class AuditPage(BaseModel):
    items: list[AuditEntry]
    next_cursor: str | None = None


def _query(**values: Any) -> dict[str, Any]:
    return {name: value for name, value in values.items() if value not in (None, "")}


@router.get("/audit", response_model=AuditPage, tags=["audit"])
async def list_audit_entries(
    entity: str | None = Query(None, description="lead, account, contact, opportunity, …"),
    record_id: str | None = Query(None),
    actor_id: str | None = Query(None, description="who made the change"),
    field: str | None = Query(None, description="entries that changed this field"),
    from_: str | None = Query(None, alias="from", description="ISO 8601, included"),
    to: str | None = Query(None, description="ISO 8601, excluded"),
    limit: int | None = Query(None),
    cursor: str | None = Query(None),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Search the audit trail, newest first (administrators: everything; others: the
    entries of records they may read)."""
    query = _query(
        entity=entity,
        record_id=record_id,
        actor_id=actor_id,
        field=field,
        to=to,
        limit=limit,
        cursor=cursor,
    )
    if from_:
        query["from"] = from_
    return await rpc.call("audit", "list_audit_entries", query, actor=actor)


@router.get("/audit/{entity}/{record_id}", response_model=AuditPage, tags=["audit"])
async def list_record_audit(
    entity: str,
    record_id: str,
    field: str | None = Query(None),
    limit: int | None = Query(None),
    cursor: str | None = Query(None),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """One record's trail (its History tab), newest first."""
    query = _query(field=field, limit=limit, cursor=cursor)
    return await rpc.call("audit", "list_record_audit", entity, record_id, query, actor=actor)
