"""Google accounts (Settings → Google): connect through Google's consent screen, choose
what syncs, sync now, see the health and the conflicts, disconnect.

Served by the google service (services/integrations/google). No answer carries a token.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request, Response

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas_google import (
    AuthorizationCallback,
    AuthorizationStart,
    AuthorizationStarted,
    ContactGroup,
    GoogleCalendar,
    GoogleConnectionOut,
    GoogleConnectionPage,
    GoogleConnectionUpdate,
    SyncConflictPage,
)
from .common import etag, expected_version, require_json

router = APIRouter(prefix="/api/v1", tags=["google"])

Actor = dict[str, Any]
BASE = "/google-connections"


@router.post(
    f"{BASE}/authorize",
    response_model=AuthorizationStarted,
    dependencies=[Depends(require_json)],
)
async def start_google_authorization(
    body: AuthorizationStart,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Begin connecting (or reconnecting) the caller's Google account: open
    `authorization_url`; Google sends the user back to the redirect URI with `code` and
    `state` for `POST /google-connections/callback`. 503 when Google sign-in is not set up
    on the server."""
    response.headers["Cache-Control"] = "no-store"
    return await rpc.call("google", "start_google_authorization", body.changes(), actor=actor)


@router.post(
    f"{BASE}/callback",
    status_code=201,
    response_model=GoogleConnectionOut,
    dependencies=[Depends(require_json)],
)
async def complete_google_authorization(
    body: AuthorizationCallback,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Finish connecting with what Google sent back (`state`, `code`, or `error` when the
    user declined): the connection, syncing at once. 422 on `state` or `code` when the
    sign-in expired, is another user's, or Google refused it."""
    connection = await rpc.call(
        "google", "complete_google_authorization", body.changes(), actor=actor
    )
    response.headers["Location"] = f"/api/v1{BASE}/{connection['id']}"
    response.headers["ETag"] = etag(connection)
    return connection


@router.get(BASE, response_model=GoogleConnectionPage)
async def list_google_connections(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """The caller's Google connections (an administrator's: everyone's) with their health."""
    return await rpc.call("google", "list_google_connections", {}, actor=actor)


@router.get(f"{BASE}/{{connection_id}}", response_model=GoogleConnectionOut)
async def get_google_connection(
    response: Response,
    connection_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """One connection: what it syncs, its state (`needs_reconnect` when Google revoked
    the access), the last sync, counts and the last error in words."""
    connection = await rpc.call("google", "get_google_connection", connection_id, actor=actor)
    response.headers["ETag"] = etag(connection)
    return connection


@router.patch(
    f"{BASE}/{{connection_id}}",
    response_model=GoogleConnectionOut,
    dependencies=[Depends(require_json)],
)
async def update_google_connection(
    body: GoogleConnectionUpdate,
    request: Request,
    response: Response,
    connection_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Choose what syncs and which way: contact groups, which contacts to export, the
    calendars, mail and its visibility, what deletions do (`If-Match` for the version)."""
    connection = await rpc.call(
        "google",
        "update_google_connection",
        connection_id,
        body.changes(),
        actor=actor,
        expected_version=expected_version(request),
    )
    response.headers["ETag"] = etag(connection)
    return connection


@router.delete(f"{BASE}/{{connection_id}}", status_code=204)
async def delete_google_connection(
    request: Request,
    connection_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """Disconnect: the token, cursors and links go; what was synced stays."""
    await rpc.call(
        "google",
        "delete_google_connection",
        connection_id,
        actor=actor,
        expected_version=expected_version(request),
    )
    return Response(status_code=204)


@router.post(f"{BASE}/{{connection_id}}/sync", status_code=202, response_model=GoogleConnectionOut)
async def sync_google_connection(
    response: Response,
    connection_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Sync now: due at once for the background sync (202). 409 when the account must
    be reconnected first."""
    connection = await rpc.call("google", "sync_google_connection", connection_id, actor=actor)
    response.headers["ETag"] = etag(connection)
    return connection


@router.get(f"{BASE}/{{connection_id}}/contact-groups", response_model=list[ContactGroup])
async def list_google_contact_groups(
    connection_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> list[dict[str, Any]]:
    """The account's contact groups, to choose which to import (503 when Google fails)."""
    return await rpc.call("google", "list_google_contact_groups", connection_id, actor=actor)


@router.get(f"{BASE}/{{connection_id}}/calendars", response_model=list[GoogleCalendar])
async def list_google_calendars(
    connection_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> list[dict[str, Any]]:
    """The account's calendars, to choose which to sync (503 when Google fails)."""
    return await rpc.call("google", "list_google_calendars", connection_id, actor=actor)


@router.get(f"{BASE}/{{connection_id}}/conflicts", response_model=SyncConflictPage)
async def list_google_conflicts(
    connection_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The last fields changed on both sides and which side won (the newer change)."""
    return await rpc.call("google", "list_google_conflicts", connection_id, actor=actor)
