"""Users, teams and roles: served by the identity service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Response

from ..auth import ActorCache, actor_cache, current_actor, rpc_client
from ..listing import FILTER_PARAMETER_DOC, list_query
from ..rpc import RpcClient
from ..schemas import (
    PasswordReset,
    RoleList,
    TeamCreate,
    TeamList,
    TeamOut,
    TeamUpdate,
    UserCreate,
    UserOut,
    UserPage,
    UserUpdate,
    UserWithPassword,
)
from .common import as_page, require_json

router = APIRouter(prefix="/api/v1", tags=["users"])

Actor = dict[str, Any]


@router.get("/users", response_model=UserPage, openapi_extra=FILTER_PARAMETER_DOC)
async def list_users(
    query: dict[str, Any] = Depends(list_query),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Users, filterable by `team_id`, `is_active`, `role`; `q` searches name and email."""
    return as_page(await rpc.call("identity", "list_users", query, actor=actor))


@router.post(
    "/users",
    status_code=201,
    response_model=UserWithPassword,
    dependencies=[Depends(require_json)],
)
async def create_user(
    body: UserCreate,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Create (invite) a user (administrators only). Without a `password` Osprey makes a
    temporary one and answers it once as `temporary_password`, for the administrator
    to pass on; it is kept only as its hash."""
    invited = await rpc.call("identity", "invite_user", body.changes(), actor=actor)
    user = invited["user"]
    response.headers["Location"] = f"/api/v1/users/{user['id']}"
    return {**user, "temporary_password": invited["temporary_password"]}


@router.get("/users/{user_id}", response_model=UserOut)
async def get_user(
    user_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    return await rpc.call("identity", "get_user", user_id, actor=actor)


@router.patch("/users/{user_id}", response_model=UserOut, dependencies=[Depends(require_json)])
async def update_user(
    user_id: str,
    body: UserUpdate,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
    cache: ActorCache = Depends(actor_cache),
) -> dict[str, Any]:
    """Change a user: administrators anything; users their own name, password, locale,
    theme. A new password or a deactivation ends the user's sessions (but the one that
    changed its own password)."""
    changes = body.changes()
    user = await rpc.call("identity", "update_user", user_id, changes, actor=actor)
    if changes.keys() & _CACHED_ACTOR_FIELDS:
        # identity ended their sessions, or what their cached actor says changed
        cache.evict_user(user_id)
    return user


#: what a cached actor carries or depends on: changing it evicts the user's sessions
_CACHED_ACTOR_FIELDS = frozenset(
    {"password", "is_active", "role_ids", "team_id", "email", "full_name", "locale", "theme"}
)


@router.post(
    "/users/{user_id}/reset-password",
    response_model=UserWithPassword,
    dependencies=[Depends(require_json)],
)
async def reset_password(
    user_id: str,
    body: PasswordReset | None = Body(default=None),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
    cache: ActorCache = Depends(actor_cache),
) -> dict[str, Any]:
    """Give a user a new password (administrators only): the one sent, or without one a
    temporary password answered once as `temporary_password`. Every session of the
    user ends at once."""
    changes = body.changes() if body is not None else {}
    reset = await rpc.call("identity", "reset_password", user_id, changes, actor=actor)
    cache.evict_user(user_id)
    return {**reset["user"], "temporary_password": reset["temporary_password"]}


@router.get("/teams", response_model=TeamList)
async def list_teams(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    return as_page(await rpc.call("identity", "list_teams", actor=actor))


@router.post(
    "/teams", status_code=201, response_model=TeamOut, dependencies=[Depends(require_json)]
)
async def create_team(
    body: TeamCreate,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    team = await rpc.call("identity", "create_team", body.changes(), actor=actor)
    response.headers["Location"] = f"/api/v1/teams/{team['id']}"
    return team


@router.get("/teams/{team_id}", response_model=TeamOut)
async def get_team(
    team_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """A team with its `user_count`."""
    return await rpc.call("identity", "get_team", team_id, actor=actor)


@router.patch("/teams/{team_id}", response_model=TeamOut, dependencies=[Depends(require_json)])
async def update_team(
    team_id: str,
    body: TeamUpdate,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Rename a team or choose its manager (`manager_id` null: none); administrators only."""
    return await rpc.call("identity", "update_team", team_id, body.changes(), actor=actor)


@router.delete("/teams/{team_id}", status_code=204, response_class=Response)
async def delete_team(
    team_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> Response:
    """Delete a team nobody is in (administrators only); 409 naming the users still in it."""
    await rpc.call("identity", "delete_team", team_id, actor=actor)
    return Response(status_code=204)


@router.get("/roles", response_model=RoleList)
async def list_roles(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    return as_page(await rpc.call("identity", "list_roles", actor=actor))
