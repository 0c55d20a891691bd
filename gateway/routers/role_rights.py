"""Roles and their access rights (administrators): served by the identity service.

``POST /roles`` makes a role (from nothing, or ``based_on`` another role's permissions
and rights), ``PATCH /roles/{role_id}`` renames it, ``DELETE`` deletes one nobody holds
(409 naming its holders); Osprey's own three roles are neither renamed nor deleted
(409).

``GET /roles/{role_id}/rights`` answers the role's object rights, record scopes and
column rights per entity; ``PUT`` replaces them for the entities sent. The fields named
hidden or read-only are checked against the entities' own descriptions (the services
that own them say which fields there are). A change clears this gateway's cache of
checked callers, so the holders' next request carries the new rights (other gateway
processes take up to ``OSPREY_AUTH_CACHE_SECONDS``).
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations.

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Depends
from fastapi import Response as HttpResponse
from pydantic import Field

from ..auth import ActorCache, actor_cache, current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import Request, Response, RoleOut
from .common import require_json
from .meta import DESCRIBERS

router = APIRouter(prefix="/api/v1", tags=["users"])

Actor = dict[str, Any]
Scope = Literal["own", "team", "all"]


class RoleIn(Request):
    name: str = Field(min_length=1, max_length=200)
    based_on: str | None = Field(
        default=None,
        max_length=64,
        description="a role whose permissions and access rights the new role starts with",
    )


class RoleRename(Request):
    name: str = Field(min_length=1, max_length=200)


@router.post(
    "/roles", response_model=RoleOut, status_code=201, dependencies=[Depends(require_json)]
)
async def create_role(
    body: RoleIn,
    response: HttpResponse,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Make a role (administrators only): `name` (1–50 characters, not one taken in any
    letter case nor reserved), `based_on` (optional: a role whose permissions and rights
    it starts with; otherwise it sees the sections and grants no rights until set)."""
    role = await rpc.call(
        "identity", "create_role", body.model_dump(exclude_none=True), actor=actor
    )
    response.headers["Location"] = f"/api/v1/roles/{role['id']}"
    return role


@router.patch("/roles/{role_id}", response_model=RoleOut, dependencies=[Depends(require_json)])
async def update_role(
    role_id: str,
    body: RoleRename,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
    cache: ActorCache = Depends(actor_cache),
) -> dict[str, Any]:
    """Rename a role of one's own (administrators only); 409 for Osprey's own roles or
    a name another role has. Its holders carry the new name from their next request."""
    role = await rpc.call("identity", "update_role", role_id, body.model_dump(), actor=actor)
    cache.clear()  # its holders' cached actors name the old one
    return role


@router.delete("/roles/{role_id}", status_code=204, response_class=HttpResponse)
async def delete_role(
    role_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> HttpResponse:
    """Delete a role nobody holds (administrators only): 409 naming its holders
    (deactivated ones too), or for Osprey's own roles."""
    await rpc.call("identity", "delete_role", role_id, actor=actor)
    return HttpResponse(status_code=204)


class EntityRightsIn(Request):
    """One entity's rights for a role: an operation left out is not granted."""

    create: bool = False
    read: bool = False
    update: bool = False
    delete: bool = False
    export: bool = False
    read_scope: Scope = "own"
    write_scope: Scope = "own"
    hidden: list[str] = Field(default_factory=list, max_length=200)
    read_only: list[str] = Field(default_factory=list, max_length=200)


class EntityRightsOut(Response):
    create: bool
    read: bool
    update: bool
    delete: bool
    export: bool
    read_scope: Scope
    write_scope: Scope
    hidden: list[str]
    read_only: list[str]


class RoleRightsOut(Response):
    role_id: str
    role_name: str
    rights: dict[str, EntityRightsOut]


@router.get("/roles/{role_id}/rights", response_model=RoleRightsOut)
async def get_role_rights(
    role_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """The role's rights on every entity (administrators only)."""
    return await rpc.call("identity", "get_role_rights", role_id, actor=actor)


@router.put(
    "/roles/{role_id}/rights",
    response_model=RoleRightsOut,
    dependencies=[Depends(require_json)],
)
async def update_role_rights(
    role_id: str,
    body: dict[str, EntityRightsIn],
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
    cache: ActorCache = Depends(actor_cache),
) -> dict[str, Any]:
    """Replace the role's rights on each entity sent, keyed by entity (`leads`,
    `accounts`, ...); administrators only. A field named hidden or read-only must be a
    field of its entity (422 naming `<entity>.hidden` or `<entity>.read_only`)."""
    data = {entity: rights.model_dump() for entity, rights in body.items()}
    known = await known_fields(rpc, [entity for entity in data if entity in _SERVICES])
    result = await rpc.call(
        "identity", "update_role_rights", role_id, data, actor=actor, known_fields=known
    )
    cache.clear()  # its holders' cached rights are stale now
    return result


_SERVICES = {entity: (service, method) for entity, service, method in DESCRIBERS}


async def known_fields(rpc: RpcClient, entities: list[str]) -> dict[str, list[str]]:
    """Each entity's field names, as its service describes it."""
    described = await asyncio.gather(*(rpc.call(*_SERVICES[entity]) for entity in entities))
    return {
        entity: [field["name"] for field in description["fields"]]
        for entity, description in zip(entities, described, strict=True)
    }
