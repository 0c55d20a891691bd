"""The duplicate search's in-memory name indexes, for administrators and operators.

Each leads and sales process keeps an in-memory trigram index of its name keys
(docs/architecture.md, "Duplicate search at a million rows"); while one is being built
(a process starting, after a bulk load) the search answers from the table's trigram
index, slower. ``GET /api/v1/admin/name-indexes`` says, per service, whether the
process that answered has its index ready, how many keys it holds and how long its last
build took.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import Response as ResponseModel

router = APIRouter(prefix="/api/v1", tags=["administration"])

#: The services that search names in memory.
SERVICES = ("leads", "sales")


class NameIndexOut(ResponseModel):
    service: str
    table: str
    ready: bool
    keys: int
    high_seq: int | None = None
    built_at: float | None = None
    build_seconds: float | None = None


class NameIndexPage(ResponseModel):
    items: list[NameIndexOut]


@router.get("/admin/name-indexes", response_model=NameIndexPage, operation_id="list_name_indexes")
async def name_indexes(
    actor: dict[str, Any] = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """The state of each service's in-memory name index (administrators only)."""
    items = []
    for service in SERVICES:
        for status in await rpc.call(service, "name_index_status", actor=actor):
            items.append({"service": service, **status})
    return {"items": items}
