"""Orders and invoices have numbers without gaps, so they have no ``DELETE`` (cancel
instead): ``GET/POST /<path>`` and ``GET/PATCH /<path>/{id}``, served by the orders
service.
"""

# No ``from __future__ import annotations``: FastAPI reads the route helpers' closures'
# annotations at run time, and they name the models passed in.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel

from ..auth import current_actor, rpc_client
from ..listing import FILTER_PARAMETER_DOC, list_query
from ..rpc import RpcClient
from .common import as_page, etag, expected_version, require_json
from .records import IF_MATCH_DOC

Actor = dict[str, Any]


# --- orders and invoices: list, create, get, change (no delete) -------------------------


def numbered_routes(
    router: APIRouter,
    *,
    path: str,
    plural: str,
    singular: str,
    create_model: type[BaseModel],
    update_model: type[BaseModel],
    out_model: type[BaseModel],
    page_model: type[BaseModel],
) -> None:
    """``GET/POST /<path>`` and ``GET/PATCH /<path>/{id}`` of a numbered record."""
    item_path = f"/{path}/{{{singular}_id}}"
    RecordId = Annotated[str, Path(alias=f"{singular}_id")]  # noqa: N806 - a type alias

    async def list_records(
        query: dict[str, Any] = Depends(list_query),
        actor: Actor = Depends(current_actor),
        rpc: RpcClient = Depends(rpc_client),
    ) -> dict[str, Any]:
        return as_page(await rpc.call("orders", f"list_{plural}", query, actor=actor))

    async def create_record(
        body: create_model,  # type: ignore[valid-type]
        response: Response,
        actor: Actor = Depends(current_actor),
        rpc: RpcClient = Depends(rpc_client),
    ) -> dict[str, Any]:
        record = await rpc.call("orders", f"create_{singular}", body.changes(), actor=actor)
        response.headers["Location"] = f"/api/v1/{path}/{record['id']}"
        response.headers["ETag"] = etag(record)
        return record

    async def get_record(
        record_id: RecordId,
        response: Response,
        actor: Actor = Depends(current_actor),
        rpc: RpcClient = Depends(rpc_client),
    ) -> dict[str, Any]:
        record = await rpc.call("orders", f"get_{singular}", record_id, actor=actor)
        response.headers["ETag"] = etag(record)
        return record

    async def update_record(
        record_id: RecordId,
        body: update_model,  # type: ignore[valid-type]
        request: Request,
        response: Response,
        actor: Actor = Depends(current_actor),
        rpc: RpcClient = Depends(rpc_client),
    ) -> dict[str, Any]:
        record = await rpc.call(
            "orders",
            f"update_{singular}",
            record_id,
            body.changes(),
            actor=actor,
            expected_version=expected_version(request),
        )
        response.headers["ETag"] = etag(record)
        return record

    tags = [path]
    router.add_api_route(
        f"/{path}",
        list_records,
        methods=["GET"],
        response_model=page_model,
        tags=tags,
        name=f"list_{plural}",
        description=f"The {plural} the caller may read, a page at a time (keyset cursor).",
        openapi_extra=FILTER_PARAMETER_DOC,
    )
    router.add_api_route(
        f"/{path}",
        create_record,
        methods=["POST"],
        status_code=201,
        response_model=out_model,
        dependencies=[Depends(require_json)],
        tags=tags,
        name=f"create_{singular}",
        description=f"Create a draft {singular} with the next number of the year.",
    )
    router.add_api_route(
        item_path,
        get_record,
        methods=["GET"],
        response_model=out_model,
        tags=tags,
        name=f"get_{singular}",
        description=f"One {singular}; its `ETag` is its version, to send back as `If-Match`.",
    )
    router.add_api_route(
        item_path,
        update_record,
        methods=["PATCH"],
        response_model=out_model,
        dependencies=[Depends(require_json)],
        openapi_extra=IF_MATCH_DOC,
        tags=tags,
        name=f"update_{singular}",
        description=f"Change some fields of a {singular}; with `If-Match`, only if nobody "
        "changed it since.",
    )
