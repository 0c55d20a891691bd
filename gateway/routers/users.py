"""Users, teams and roles: served by the identity service."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response

from ..auth import ActorCache, actor_cache, current_actor, rpc_client
from ..listing import FILTER_PARAMETER_DOC, list_query
from ..problems import PROBLEM_RESPONSES
from ..rpc import RpcClient
from ..schemas import (
    RoleList,
    TeamCreate,
    TeamList,
    TeamOut,
    UserCreate,
    UserOut,
    UserPage,
    UserUpdate,
)
from .common import as_page, require_json

router = APIRouter(prefix="/api/v1", tags=["users"], responses=PROBLEM_RESPONSES)

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
    "/users", status_code=201, response_model=UserOut, dependencies=[Depends(require_json)]
)
async def create_user(
    body: UserCreate,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Create a user (administrators only)."""
    user = await rpc.call("identity", "create_user", body.changes(), actor=actor)
    response.headers["Location"] = f"/api/v1/users/{user['id']}"
    return user


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
    if "password" in changes or changes.get("is_active") is False:
        cache.evict_user(user_id)
    return user


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


@router.get("/roles", response_model=RoleList)
async def list_roles(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    return as_page(await rpc.call("identity", "list_roles", actor=actor))
