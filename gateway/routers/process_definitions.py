"""Process definitions: BPMN 2.0 XML in and out, versions, ``deploy``, validation for the
designer, the action catalogue and the shipped diagrams.

Served by the processes service (docs/processes.md). ``POST /process-definitions`` and
``POST /process-definitions/{id}/versions`` take the diagram as ``application/xml``
(``text/xml`` too); ``GET /process-definitions/{id}/xml`` gives it back.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.exceptions import HTTPException

from services.platform.errors import PermissionDenied

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from .common import expected_version, require_json
from .records import IF_MATCH_DOC

router = APIRouter(prefix="/api/v1", tags=["processes"])

Actor = dict[str, Any]
XML_TYPES = ("application/xml", "text/xml", "application/bpmn+xml")
XML_BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {"application/xml": {"schema": {"type": "string", "description": "BPMN 2.0"}}},
    }
}


class DefinitionOut(ResponseModel):
    id: str
    key: str
    name: str
    version: int
    latest_version: int
    deployed_version: int | None = None
    is_deployed: bool
    is_shipped: bool
    row_version: int


class DefinitionPage(ResponseModel):
    items: list[DefinitionOut]
    next_cursor: str | None = None


class VersionOut(ResponseModel):
    id: str
    number: int
    name: str
    triggers: list[dict[str, Any]]
    summary: dict[str, Any]
    is_deployed: bool
    created_at: str


class DefinitionDetail(DefinitionOut):
    versions: list[VersionOut]


class VersionPage(ResponseModel):
    items: list[VersionOut]
    next_cursor: str | None = None


class DeployIn(RequestModel):
    version: int | None = None


class ValidationOut(ResponseModel):
    valid: bool
    errors: list[dict[str, Any]]
    key: str | None = None
    name: str | None = None


async def _xml(request: Request) -> str:
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type not in XML_TYPES:
        raise HTTPException(415, "Send the diagram as application/xml (BPMN 2.0)")
    body = await request.body()
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        raise HTTPException(400, "The diagram must be UTF-8") from None


@router.get("/process-actions", operation_id="list_process_actions")
async def process_actions(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """What the designer's palette and side panel offer: every CRM action with its
    parameter form, the record events a start can bind to, the record types."""
    return await rpc.call("processes", "list_process_actions", actor=actor)


@router.get(
    "/process-definitions", response_model=DefinitionPage, operation_id="list_process_definitions"
)
async def list_definitions(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """The library: every process by name, with its latest and deployed versions."""
    return await rpc.call("processes", "list_process_definitions", None, actor=actor)


@router.post(
    "/process-definitions",
    status_code=201,
    response_model=DefinitionOut,
    openapi_extra=XML_BODY_DOC,
    operation_id="create_process_definition",
)
async def create_definition(
    request: Request,
    response: Response,
    comment: str | None = Query(None, max_length=1000),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Upload a BPMN 2.0 diagram as a new process (version 1, not deployed). 422 with
    the parser's message, the element and its line when the engine cannot run it."""
    xml = await _xml(request)
    record = await rpc.call(
        "processes", "create_process_definition", xml, actor=actor, comment=comment
    )
    response.headers["Location"] = f"/api/v1/process-definitions/{record['id']}"
    return record


@router.post(
    "/process-definitions/validate",
    response_model=ValidationOut,
    openapi_extra=XML_BODY_DOC,
    operation_id="validate_process_definition",
)
async def validate_definition(
    request: Request, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """Check a diagram without saving it (the designer's check before deploy)."""
    xml = await _xml(request)
    return await rpc.call("processes", "validate_process_definition", xml, actor=actor)


@router.post(
    "/process-definitions/shipped",
    response_model=DefinitionPage,
    operation_id="ensure_shipped_process_definitions",
)
async def ensure_shipped(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """Save and deploy the diagrams Osprey ships (Lead and Opportunity management) that
    are missing; processes users have already are left as they are. Administrators."""
    if "admin" not in (actor.get("roles") or []):
        raise PermissionDenied("Only an administrator may install the shipped processes")
    items = await rpc.call("processes", "ensure_shipped_process_definitions", actor=actor)
    return {"items": items, "next_cursor": None}


@router.get(
    "/process-definitions/{definition_id}",
    response_model=DefinitionDetail,
    operation_id="get_process_definition",
)
async def get_definition(
    response: Response,
    definition_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The process with its versions (newest first)."""
    record = await rpc.call("processes", "get_process_definition", definition_id, actor=actor)
    response.headers["ETag"] = f'"{record["row_version"]}"'
    return record


@router.get(
    "/process-definitions/{definition_id}/versions",
    response_model=VersionPage,
    operation_id="list_process_definition_versions",
)
async def list_versions(
    definition_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Every saved version, newest first."""
    items = await rpc.call(
        "processes", "list_process_definition_versions", definition_id, actor=actor
    )
    return {"items": items, "next_cursor": None}


@router.post(
    "/process-definitions/{definition_id}/versions",
    status_code=201,
    response_model=DefinitionOut,
    openapi_extra={**XML_BODY_DOC, **IF_MATCH_DOC},
    operation_id="save_process_definition_version",
)
async def save_version(
    request: Request,
    response: Response,
    definition_id: str = Path(),
    comment: str | None = Query(None, max_length=1000),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Save an edited diagram as the next version (deploy makes it current)."""
    xml = await _xml(request)
    record = await rpc.call(
        "processes",
        "save_process_definition_version",
        definition_id,
        xml,
        actor=actor,
        comment=comment,
        expected_version=expected_version(request),
    )
    response.headers["ETag"] = f'"{record["row_version"]}"'
    return record


@router.get(
    "/process-definitions/{definition_id}/xml",
    response_class=Response,
    operation_id="download_process_definition_xml",
)
async def download_xml(
    definition_id: str = Path(),
    version: int | None = Query(None, ge=1),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """The diagram of a version (default: the latest) as BPMN 2.0 XML."""
    found = await rpc.call(
        "processes", "get_process_definition_xml", definition_id, actor=actor, version=version
    )
    return Response(
        found["bpmn_xml"],
        media_type="application/xml",
        headers={"X-Process-Version": str(found["version"])},
    )


@router.post(
    "/process-definitions/{definition_id}/deploy",
    response_model=DefinitionOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
    operation_id="deploy_process_definition",
)
async def deploy(
    request: Request,
    response: Response,
    definition_id: str = Path(),
    body: DeployIn | None = None,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Make a version (default: the latest) the one new instances start on."""
    record = await rpc.call(
        "processes",
        "deploy_process_definition",
        definition_id,
        actor=actor,
        version=body.version if body is not None else None,
        expected_version=expected_version(request),
    )
    response.headers["ETag"] = f'"{record["row_version"]}"'
    return record
