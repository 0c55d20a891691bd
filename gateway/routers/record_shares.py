"""Record sharing of accounts, contacts, opportunities, activities, orders and invoices:
a record shared with a user or a team for reading or editing, beyond the record scope
of their roles (served by the sales and orders services; leads have their own routes,
``lead_shares.py``)."""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations.

from typing import Any, Literal

from fastapi import APIRouter, Depends, Response
from pydantic import create_model

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import Request
from ..schemas import Response as Out
from .common import require_json

router = APIRouter(prefix="/api/v1")

Actor = dict[str, Any]

#: resource → (service, the entity as rights name it, the record's id field in a share)
SHARED: dict[str, tuple[str, str, str]] = {
    "accounts": ("sales", "accounts", "account_id"),
    "contacts": ("sales", "contacts", "contact_id"),
    "opportunities": ("sales", "opportunities", "opportunity_id"),
    "activities": ("sales", "activities", "activity_id"),
    "orders": ("orders", "orders", "order_id"),
    "invoices": ("orders", "invoices", "invoice_id"),
}


class RecordShareIn(Request):
    """Whom to share the record with — a user or a team — and for what."""

    user_id: str | None = None
    team_id: str | None = None
    access: Literal["read", "edit"] = "read"


class _ShareOut(Out):
    id: str
    user_id: str | None
    team_id: str | None
    access: Literal["read", "edit"]
    created_by: str | None
    created_at: str


def _share_routes(resource: str, service: str, entity: str, key: str) -> None:
    """``GET``/``POST /<resource>/{id}/shares`` and ``DELETE …/shares/{share_id}``."""
    singular = key.removesuffix("_id")
    title = singular.title()
    share_out = create_model(f"{title}ShareOut", __base__=_ShareOut, **{key: (str, ...)})
    share_list = create_model(f"{title}ShareList", __base__=Out, items=(list[share_out], ...))
    label = singular.replace("_", " ")
    tags = [resource]

    async def list_shares(
        record_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
    ) -> dict[str, Any]:
        return await rpc.call(service, "list_record_shares", entity, record_id, actor=actor)

    async def share(
        record_id: str,
        body: RecordShareIn,
        response: Response,
        actor: Actor = Depends(current_actor),
        rpc: RpcClient = Depends(rpc_client),
    ) -> dict[str, Any]:
        made = await rpc.call(
            service,
            "share_record",
            entity,
            record_id,
            body.model_dump(exclude_unset=True),
            actor=actor,
        )
        response.headers["Location"] = f"/api/v1/{resource}/{record_id}/shares/{made['id']}"
        return made

    async def unshare(
        record_id: str,
        share_id: str,
        actor: Actor = Depends(current_actor),
        rpc: RpcClient = Depends(rpc_client),
    ) -> Response:
        await rpc.call(service, "unshare_record", entity, record_id, share_id, actor=actor)
        return Response(status_code=204)

    path = f"/{resource}/{{record_id}}/shares"
    router.add_api_route(
        path,
        list_shares,
        methods=["GET"],
        response_model=share_list,
        name=f"list_{singular}_shares",
        summary=f"Whom the {label} is shared with",
        description=f"Whom the {label} is shared with, oldest first.",
        tags=tags,
    )
    router.add_api_route(
        path,
        share,
        methods=["POST"],
        status_code=201,
        response_model=share_out,
        dependencies=[Depends(require_json)],
        name=f"share_{singular}",
        summary=f"Share the {label}",
        description=(
            f"Share the {label} with a user or a team (`access`: read, or edit — change "
            "but not delete); sharing again with the same one changes its access. Whoever "
            f"may change the {label} by their roles' scope shares it."
        ),
        tags=tags,
    )
    router.add_api_route(
        f"{path}/{{share_id}}",
        unshare,
        methods=["DELETE"],
        status_code=204,
        response_class=Response,
        name=f"unshare_{singular}",
        summary="Take a share back",
        description=f"Take a share of the {label} back.",
        tags=tags,
    )


for _resource, (_service, _entity, _key) in SHARED.items():
    _share_routes(_resource, _service, _entity, _key)
