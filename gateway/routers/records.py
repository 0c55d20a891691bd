"""The five routes every record resource has, made once: list, create, get, change, delete.

``record_routes(router, ...)`` adds ``GET/POST /<path>`` and ``GET/PATCH/DELETE
/<path>/{id}`` calling the owning service's ``list_<plural>``, ``create_<singular>``,
``get_<singular>``, ``update_<singular>`` and ``delete_<singular>`` (docs/rpc.md), with
ETags, ``If-Match`` and ``Location`` handled the same way for every resource.
"""

# No ``from __future__ import annotations`` here: FastAPI reads these closures'
# annotations at run time, and they name the models passed in.

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel

from ..auth import current_actor, rpc_client
from ..listing import FILTER_PARAMETER_DOC, list_query
from ..rpc import RpcClient
from .common import as_page, etag, expected_version, require_json

Actor = dict[str, Any]
IF_MATCH_DOC: dict[str, Any] = {
    "parameters": [
        {
            "name": "If-Match",
            "in": "header",
            "required": False,
            "description": "The version you last read (the ETag); stale → 409, nothing changes",
            "schema": {"type": "string"},
        }
    ]
}


def record_routes(
    router: APIRouter,
    *,
    service: str,
    path: str,
    plural: str,
    singular: str,
    create_model: type[BaseModel],
    update_model: type[BaseModel],
    out_model: type[BaseModel],
    page_model: type[BaseModel] | None = None,
    skip: tuple[str, ...] = (),
    id_name: str | None = None,
    tags: list[str] | None = None,
) -> None:
    """Add the record routes of one resource to ``router`` (prefix ``/api/v1``).

    ``skip`` names routes the resource writes itself: ``"create"`` when creating takes
    more than the record (a duplicate check's ``allow_duplicates``), ``"list"`` when
    its list is not a filtered page (a short list of rules). ``id_name`` is the path
    parameter's name when it is not ``<singular>_id``.
    """
    id_name = id_name or f"{singular}_id"  # the path parameter as clients and docs know it
    item_path = f"/{path}/{{{id_name}}}"
    RecordId = Annotated[str, Path(alias=id_name)]  # noqa: N806 - a type alias
    label = singular.replace("_", " ")

    async def list_records(
        query: dict[str, Any] = Depends(list_query),
        actor: Actor = Depends(current_actor),
        rpc: RpcClient = Depends(rpc_client),
    ) -> dict[str, Any]:
        return as_page(await rpc.call(service, f"list_{plural}", query, actor=actor))

    async def create_record(
        body: create_model,  # type: ignore[valid-type]
        response: Response,
        actor: Actor = Depends(current_actor),
        rpc: RpcClient = Depends(rpc_client),
    ) -> dict[str, Any]:
        record = await rpc.call(service, f"create_{singular}", body.changes(), actor=actor)
        response.headers["Location"] = f"/api/v1/{path}/{record['id']}"
        response.headers["ETag"] = etag(record)
        return record

    async def get_record(
        record_id: RecordId,
        response: Response,
        actor: Actor = Depends(current_actor),
        rpc: RpcClient = Depends(rpc_client),
    ) -> dict[str, Any]:
        record = await rpc.call(service, f"get_{singular}", record_id, actor=actor)
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
            service,
            f"update_{singular}",
            record_id,
            body.changes(),
            actor=actor,
            expected_version=expected_version(request),
        )
        response.headers["ETag"] = etag(record)
        return record

    async def delete_record(
        record_id: RecordId,
        request: Request,
        actor: Actor = Depends(current_actor),
        rpc: RpcClient = Depends(rpc_client),
    ) -> Response:
        await rpc.call(
            service,
            f"delete_{singular}",
            record_id,
            actor=actor,
            expected_version=expected_version(request),
        )
        return Response(status_code=204)

    routes: dict[str, dict[str, Any]] = {
        "list": {
            "path": f"/{path}",
            "endpoint": list_records,
            "methods": ["GET"],
            "response_model": page_model,
            "name": f"list_{plural}",
            "description": f"The {plural} the caller may read, a page at a time (keyset cursor).",
            "openapi_extra": FILTER_PARAMETER_DOC,
        },
        "create": {
            "path": f"/{path}",
            "endpoint": create_record,
            "methods": ["POST"],
            "status_code": 201,
            "response_model": out_model,
            "dependencies": [Depends(require_json)],
            "name": f"create_{singular}",
            "description": f"Create a {label}; answers 201 with its `Location` and `ETag`.",
        },
        "get": {
            "path": item_path,
            "endpoint": get_record,
            "methods": ["GET"],
            "response_model": out_model,
            "name": f"get_{singular}",
            "description": f"One {label}; its `ETag` is its version, to send back as `If-Match`.",
        },
        "update": {
            "path": item_path,
            "endpoint": update_record,
            "methods": ["PATCH"],
            "response_model": out_model,
            "dependencies": [Depends(require_json)],
            "openapi_extra": IF_MATCH_DOC,
            "name": f"update_{singular}",
            "description": f"Change some fields of a {label}; with `If-Match`, only if nobody "
            "changed it since.",
        },
        "delete": {
            "path": item_path,
            "endpoint": delete_record,
            "methods": ["DELETE"],
            "status_code": 204,
            "response_class": Response,
            "openapi_extra": IF_MATCH_DOC,
            "name": f"delete_{singular}",
            "description": f"Delete a {label}; with `If-Match`, only if nobody changed it since.",
        },
    }
    unknown = set(skip) - set(routes)
    if unknown:
        raise ValueError(f"record_routes cannot skip {sorted(unknown)}")
    for kind, route in routes.items():
        if kind not in skip:
            router.add_api_route(**route, tags=tags)


def record_action(
    router: APIRouter,
    *,
    service: str,
    path: str,
    id_name: str,
    verb: str,
    method: str,
    out_model: type[BaseModel],
    description: str,
    body_model: type[BaseModel] | None = None,
    body_required: bool = True,
    tags: list[str] | None = None,
) -> None:
    """Add ``POST /<path>/{id}/<verb>``, a business action on one record (API.md).

    It calls the service's ``method(id, actor=..., expected_version=<If-Match>)`` with
    the fields of ``body_model`` (when the action takes a body; optional unless
    ``body_required``) as keywords, and answers the record with its ``ETag``.
    """
    RecordId = Annotated[str, Path(alias=id_name)]  # noqa: N806 - a type alias

    async def call(
        record_id: str,
        fields: dict[str, Any],
        request: Request,
        response: Response,
        actor: Actor,
        rpc: RpcClient,
    ) -> dict[str, Any]:
        record = await rpc.call(
            service,
            method,
            record_id,
            actor=actor,
            expected_version=expected_version(request),
            **fields,
        )
        response.headers["ETag"] = etag(record)
        return record

    if body_model is None:

        async def act(
            record_id: RecordId,
            request: Request,
            response: Response,
            actor: Actor = Depends(current_actor),
            rpc: RpcClient = Depends(rpc_client),
        ) -> dict[str, Any]:
            return await call(record_id, {}, request, response, actor, rpc)

        dependencies = []
    else:
        Body = body_model if body_required else body_model | None  # noqa: N806

        async def act(  # type: ignore[misc]
            record_id: RecordId,
            request: Request,
            response: Response,
            body: Body = ... if body_required else None,  # type: ignore[valid-type,assignment]
            actor: Actor = Depends(current_actor),
            rpc: RpcClient = Depends(rpc_client),
        ) -> dict[str, Any]:
            fields = {name: getattr(body, name) for name in body_model.model_fields} if body else {}
            return await call(record_id, fields, request, response, actor, rpc)

        dependencies = [Depends(require_json)]
    router.add_api_route(
        f"/{path}/{{{id_name}}}/{verb}",
        act,
        methods=["POST"],
        response_model=out_model,
        dependencies=dependencies,
        openapi_extra=IF_MATCH_DOC,
        tags=tags,
        name=method,
        description=description,
    )
