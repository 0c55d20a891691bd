"""Entity metadata that drives the generic list and record views."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends

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
    """Fields, types and enumerations of every entity, keyed by entity name."""
    described = await asyncio.gather(
        *(rpc.call(service, method) for _entity, service, method in DESCRIBERS)
    )
    return {
        "entities": {
            entity: description
            for (entity, _service, _method), description in zip(DESCRIBERS, described, strict=True)
        }
    }
