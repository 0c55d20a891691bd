"""Entity metadata that drives the generic list and record views."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends

from services.platform.access import OPERATIONS, Actor

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import EntitiesOut

router = APIRouter(prefix="/api/v1", tags=["meta"])

#: (entity, service, describe method). A new service adds its entities here.
DESCRIBERS: list[tuple[str, str, str]] = [
    ("leads", "leads", "describe_leads"),
    ("accounts", "sales", "describe_accounts"),
    ("contacts", "sales", "describe_contacts"),
    ("opportunities", "sales", "describe_opportunities"),
    ("activities", "sales", "describe_activities"),
    ("products", "orders", "describe_products"),
    ("orders", "orders", "describe_orders"),
    ("invoices", "orders", "describe_invoices"),
]


@router.get("/meta/entities", response_model=EntitiesOut)
async def describe_entities(
    actor: dict[str, Any] = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Fields, types and enumerations of every entity, keyed by entity name, with what
    the caller may do (`permissions`: the operations, the record scopes, the hidden and
    read-only fields). Fields hidden from the caller are left out."""
    described = await asyncio.gather(
        *(rpc.call(service, method) for _entity, service, method in DESCRIBERS)
    )
    caller = Actor.from_dict(actor)
    return {
        "entities": {
            entity: with_permissions(caller, entity, description)
            for (entity, _service, _method), description in zip(DESCRIBERS, described, strict=True)
        }
    }


def with_permissions(caller: Actor, entity: str, description: dict[str, Any]) -> dict[str, Any]:
    """The entity as this caller sees it: its ``permissions`` (docs/architecture.md,
    "Access rights"), without the hidden fields. A field's own ``read_only`` stays as
    the service says (nobody writes it); the fields read-only for the caller's roles
    are listed in ``permissions.read_only``, for the web app to show them disabled."""
    hidden, read_only = caller.hidden(entity), caller.read_only(entity)
    permissions = {op: caller.may(entity, op) for op in OPERATIONS}
    permissions |= {
        "read_scope": caller.read_scope(entity),
        "write_scope": caller.write_scope(entity),
        "hidden": sorted(hidden),
        "read_only": sorted(read_only),
    }
    fields = [field for field in description["fields"] if field["name"] not in hidden]
    return {**description, "fields": fields, "permissions": permissions}
