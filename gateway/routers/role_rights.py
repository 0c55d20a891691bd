"""Access rights per role (administrators): served by the identity service.

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
from pydantic import Field

from ..auth import ActorCache, actor_cache, current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import Request, Response
from .common import require_json
from .meta import DESCRIBERS

router = APIRouter(prefix="/api/v1", tags=["users"])

Actor = dict[str, Any]
Scope = Literal["own", "team", "all"]


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
