"""Signing in and out, and who am I."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Body, Depends, Path, Request, Response

from ..auth import (
    SESSION_COOKIE,
    ActorCache,
    actor_cache,
    check_same_origin,
    current_actor,
    request_token,
    rpc_client,
)
from ..problems import also
from ..rpc import RpcClient
from ..schemas import LoginIn, LoginOut, MeOut, MeUpdate
from .common import require_json

router = APIRouter(prefix="/api/v1", tags=["auth"])


@router.post(
    "/auth/login",
    response_model=LoginOut,
    dependencies=[Depends(require_json)],
    responses=also(401, 429),
)
async def login(
    body: LoginIn,
    request: Request,
    response: Response,
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Exchange an email and password for a token; also sets the browser's session
    cookie: HttpOnly (no script reads it), SameSite=Lax (another site's POST does not
    carry it) and, when the request came over HTTPS, Secure."""
    # the client's address counts failed sign-ins (behind a proxy: its address, unless
    # the server runs with --proxy-headers and a trusted forwarder)
    address = request.client.host if request.client else None
    result = await rpc.call("identity", "login", body.email, body.password, address=address)
    response.set_cookie(
        SESSION_COOKIE,
        result["token"],
        max_age=_seconds_until(result.get("expires_at")),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return result


@router.post("/auth/logout", status_code=204, response_class=Response)
async def logout(
    request: Request,
    rpc: RpcClient = Depends(rpc_client),
    cache: ActorCache = Depends(actor_cache),
) -> Response:
    """Revoke the caller's token (an unknown one is fine) and clear the session cookie."""
    token, from_cookie = request_token(request)
    if from_cookie:
        check_same_origin(request)
    if token:
        cache.evict(token)
        await rpc.call("identity", "logout", token)
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.get("/me", response_model=MeOut, operation_id="get_me")
async def me(
    actor: dict[str, Any] = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The signed-in user, with the permissions their roles grant."""
    user = await rpc.call("identity", "get_user", actor["id"], actor=actor)
    return {**user, "permissions": actor.get("permissions") or []}


@router.patch("/me", response_model=MeOut, dependencies=[Depends(require_json)])
async def update_me(
    body: MeUpdate,
    request: Request,
    actor: dict[str, Any] = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
    cache: ActorCache = Depends(actor_cache),
) -> dict[str, Any]:
    """Change one's own name, password, language, theme or accent colour."""
    changes = body.model_dump(exclude_unset=True)
    user = await rpc.call("identity", "update_user", actor["id"], changes, actor=actor)
    token, _ = request_token(request)
    if "password" in changes:
        cache.evict_user(actor["id"])  # identity ended the user's other sessions
    elif token:
        cache.evict(token)  # the cached actor carries locale and theme
    return {**user, "permissions": actor.get("permissions") or []}


@router.get("/me/preferences", response_model=dict[str, Any], operation_id="get_my_preferences")
async def get_preferences(
    actor: dict[str, Any] = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The caller's saved UI settings, ``{key: value}`` (columns, saved views, ...)."""
    return await rpc.call("identity", "get_preferences", actor=actor)


@router.put(
    "/me/preferences/{key}", dependencies=[Depends(require_json)], operation_id="set_my_preference"
)
async def set_preference(
    key: str = Path(max_length=100),
    value: Any = Body(...),
    actor: dict[str, Any] = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Any:
    """Store one UI setting (any JSON value up to 64 KB) under a dotted key such as
    ``columns.leads``; returns the stored value."""
    return await rpc.call("identity", "set_preference", key, value, actor=actor)


def _seconds_until(expires_at: str | None) -> int | None:
    if not expires_at:
        return None
    try:
        when = datetime.fromisoformat(expires_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    return max(int((when - datetime.now(UTC)).total_seconds()), 0)
