"""Exchange connections (Settings → Exchange): test, connect, choose what syncs, sync
now, see the health, the contact folders and the conflicts, disconnect.

Served by the exchange service (services/integrations/exchange). The password and the
OAuth2 token are write-only: no answer carries them.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Response

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas_exchange import (
    ExchangeConflictPage,
    ExchangeConnectionCreate,
    ExchangeConnectionOut,
    ExchangeConnectionPage,
    ExchangeConnectionTest,
    ExchangeConnectionUpdate,
    ExchangeFolder,
)
from .common import etag, require_json
from .records import record_routes

router = APIRouter(prefix="/api/v1", tags=["exchange"])

Actor = dict[str, Any]


# Before the record routes: a fixed path beside /exchange-connections/{connection_id}.
@router.post(
    "/exchange-connections/test-connection",
    response_model=ExchangeConnectionTest,
    dependencies=[Depends(require_json)],
)
async def test_exchange_connection(
    body: ExchangeConnectionCreate,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Sign in with these settings and open the mailbox, storing nothing: `ok`, the EWS
    URL (found by autodiscover when none was given) and the contact folders; when it
    failed, the reason in words a user can act on (wrong password, token refused, no
    such mailbox, server unreachable, certificate not trusted, autodiscover found
    nothing)."""
    return await rpc.call("exchange", "test_exchange_connection", body.changes(), actor=actor)


record_routes(
    router,
    service="exchange",
    path="exchange-connections",
    plural="exchange_connections",
    singular="exchange_connection",
    id_name="connection_id",
    create_model=ExchangeConnectionCreate,
    update_model=ExchangeConnectionUpdate,
    out_model=ExchangeConnectionOut,
    page_model=ExchangeConnectionPage,
    tags=["exchange"],
)


@router.post(
    "/exchange-connections/{connection_id}/sync",
    status_code=202,
    response_model=ExchangeConnectionOut,
)
async def sync_exchange_connection(
    response: Response,
    connection_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Sync now: the connection is due at once and the background sync takes it (202);
    its `health` shows when it ran and what it found."""
    connection = await rpc.call("exchange", "sync_exchange_connection", connection_id, actor=actor)
    response.headers["ETag"] = etag(connection)
    return connection


@router.get("/exchange-connections/{connection_id}/folders", response_model=list[ExchangeFolder])
async def list_exchange_folders(
    connection_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> list[dict[str, str]]:
    """The mailbox's contact folders to choose from (503 when Exchange fails)."""
    return await rpc.call("exchange", "list_exchange_folders", connection_id, actor=actor)


@router.get("/exchange-connections/{connection_id}/conflicts", response_model=ExchangeConflictPage)
async def list_exchange_conflicts(
    connection_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The last fields both sides had changed, and which side won (the one modified
    last)."""
    return await rpc.call("exchange", "list_exchange_conflicts", connection_id, actor=actor)
