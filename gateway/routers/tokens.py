"""Personal API tokens: a user's own (``/me/tokens``), and any user's for an
administrator (``/users/{id}/tokens``). Served by identity; from a signed-in session
only (gateway/scopes.py refuses these routes to a personal token)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from services.platform.errors import NotFound
from services.platform.scopes import grantable_scopes

from ..auth import ActorCache, actor_cache, current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas_tokens import ScopeList, TokenCreate, TokenCreated, TokenList, TokenOut
from .common import require_json

router = APIRouter(prefix="/api/v1", tags=["personal tokens"])

Actor = dict[str, Any]


@router.get("/me/token-scopes", response_model=ScopeList)
async def list_token_scopes(actor: Actor = Depends(current_actor)) -> dict[str, Any]:
    """The scopes the caller may give a token, in the catalog's order: an area's
    only when their roles show them its section, ``admin`` only to an administrator."""
    scopes = grantable_scopes(actor.get("roles") or (), actor.get("permissions") or ())
    return {"items": list(scopes)}


@router.get("/me/tokens", response_model=TokenList)
async def list_my_tokens(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """The caller's personal tokens (not revoked), newest first, without the tokens."""
    return await rpc.call("identity", "list_personal_tokens", actor["id"], actor=actor)


@router.post(
    "/me/tokens",
    status_code=201,
    response_model=TokenCreated,
    dependencies=[Depends(require_json)],
)
async def create_my_token(
    body: TokenCreate,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Make a personal token `{name, scopes, expires_on}`; the answer's `token` is shown
    this once (send it as `Authorization: Bearer <token>`)."""
    token = await rpc.call("identity", "create_personal_token", body.changes(), actor=actor)
    response.headers["Location"] = f"/api/v1/me/tokens/{token['id']}"
    response.headers["Cache-Control"] = "no-store"
    return token


@router.get("/me/tokens/{token_id}", response_model=TokenOut)
async def get_my_token(
    token_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """One of the caller's personal tokens (not revoked)."""
    listed = await rpc.call("identity", "list_personal_tokens", actor["id"], actor=actor)
    for token in listed["items"]:
        if token["id"] == token_id:
            return token
    raise NotFound("No such token", [{"field": "token_id", "message": "no such token"}])


@router.delete("/me/tokens/{token_id}", status_code=204, response_class=Response)
async def revoke_my_token(
    token_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
    cache: ActorCache = Depends(actor_cache),
) -> Response:
    """Revoke one of the caller's personal tokens: it stops working at once."""
    return await _revoke(rpc, cache, actor["id"], token_id, actor)


@router.get("/users/{user_id}/tokens", response_model=TokenList)
async def list_user_tokens(
    user_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """A user's personal tokens (administrators, or the user themself)."""
    return await rpc.call("identity", "list_personal_tokens", user_id, actor=actor)


@router.delete("/users/{user_id}/tokens/{token_id}", status_code=204, response_class=Response)
async def revoke_user_token(
    user_id: str,
    token_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
    cache: ActorCache = Depends(actor_cache),
) -> Response:
    """Revoke a user's personal token (administrators, or the user themself)."""
    return await _revoke(rpc, cache, user_id, token_id, actor)


async def _revoke(
    rpc: RpcClient, cache: ActorCache, user_id: str, token_id: str, actor: Actor
) -> Response:
    await rpc.call("identity", "revoke_personal_token", user_id, token_id, actor=actor)
    # this process forgets it now; another gateway process within its cache time
    cache.evict_session(token_id)
    return Response(status_code=204)
