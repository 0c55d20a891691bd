"""Imports of spreadsheets and CSV files (the Import wizard, ``osprey import``).

``POST /imports`` (multipart: ``entity``, then ``file``) streams the file to the imports
service in pieces and answers with the job: the file's kind, its columns and a
suggested ``mapping``. A file over ``OSPREY_IMPORT_MAX_BYTES`` is refused with 413 as
soon as that many bytes have come; a file that is no spreadsheet, is protected by a
password, unpacks to far more than it weighs or is too wide is a 422 problem of type
``…/problems/import-file`` whose ``reason`` says which; nothing is kept of either.
Then ``PATCH /imports/{id}`` (mapping, options), ``GET /imports/{id}/preview``,
``POST /imports/{id}/start``, ``GET /imports/{id}`` (progress), ``GET
/imports/{id}/errors`` (xlsx) and ``POST /imports/{id}/rollback``.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations.

import base64
import contextlib
import os
import urllib.parse
from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException

from services.platform.errors import ValidationFailed

from ..auth import current_actor, rpc_client
from ..multipart_stream import Parts, boundary_of
from ..openapi_entities import options
from ..problems import PROBLEM_RESPONSES, problem_response
from ..rpc import RpcClient
from .common import require_json

router = APIRouter(prefix="/api/v1", tags=["imports"], responses=PROBLEM_RESPONSES)

Actor = dict[str, Any]
PATH = "/api/v1/imports"
DEFAULT_MAX_BYTES = 200 * 1024 * 1024
MULTIPART_OVERHEAD = 64 * 1024
#: bytes per RPC call carrying the file (base64 makes them a third larger)
PIECE_BYTES = 1024 * 1024
BAD_FILE_TYPE = "https://osprey.dev/problems/import-file"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def max_import_bytes() -> int:
    """``OSPREY_IMPORT_MAX_BYTES`` (default 200 MiB)."""
    try:
        return int(os.environ.get("OSPREY_IMPORT_MAX_BYTES") or DEFAULT_MAX_BYTES)
    except ValueError:
        return DEFAULT_MAX_BYTES


def upload_body_limit() -> int:
    return max_import_bytes() + MULTIPART_OVERHEAD


class Progress(BaseModel):
    total: int
    done: int
    failed: int


class ImportOut(BaseModel):
    model_config = ConfigDict(extra="allow")

    id: str
    entity: str
    status: str
    file_name: str
    columns: list[str]
    mapping: list[str | None]
    options: dict[str, Any]
    progress: Progress


class ImportPage(BaseModel):
    items: list[ImportOut]
    next_cursor: str | None


class ImportChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mapping: list[str | None] | None = None
    options: dict[str, Any] | None = None


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"The file is larger than {limit} bytes")


def bad_file_response(error: ValidationFailed) -> JSONResponse:
    reason = next((e.get("code") for e in error.errors if e.get("code")), None)
    return problem_response(
        422,
        error.message,
        error.errors,
        title="The file cannot be imported",
        problem_type=BAD_FILE_TYPE,
        extensions={"reason": reason},
    )


@router.post(
    "/imports",
    status_code=201,
    response_model=ImportOut,
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "entity": {"type": "string", "enum": options("import_entities")},
                            "file": {"type": "string", "format": "binary"},
                        },
                        "required": ["entity", "file"],
                    }
                }
            }
        }
    },
)
async def upload_import(
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Any:
    """Upload a file to import (`entity` first, then `file`): 201 with its columns and a
    suggested mapping; 413 over `OSPREY_IMPORT_MAX_BYTES`; 422 for a bad file."""
    limit = max_import_bytes()
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise _too_large(limit)
    boundary = boundary_of(request.headers.get("content-type", ""))
    if not boundary:
        raise HTTPException(415, "Send the file as multipart/form-data (fields entity, file)")
    parts = Parts(request.stream(), boundary)
    entity = request.query_params.get("entity")
    job: dict[str, Any] | None = None
    try:
        while (part := await parts.next_part()) is not None:
            name, filename = part
            if name == "entity" and job is None:
                entity = (await parts.text()).strip()
                continue
            if name != "file" or job is not None:
                async for _ in parts.pieces():
                    pass
                continue
            if not entity:
                raise ValidationFailed(
                    "Say which records the file holds before the file",
                    [{"field": "entity", "message": "required (send it before file)"}],
                )
            job = await rpc.call(
                "imports", "create_import", {"entity": entity, "file_name": filename or ""},
                actor=actor,
            )  # fmt: skip
            await _send_file(rpc, job["id"], parts, limit, actor)
        if job is None:
            raise ValidationFailed("No file was sent", [{"field": "file", "message": "required"}])
        try:
            result = await rpc.call("imports", "finish_import_upload", job["id"], actor=actor)
        except ValidationFailed as error:
            return bad_file_response(error)
    except BaseException:
        if job is not None:
            with contextlib.suppress(Exception):
                await rpc.call("imports", "delete_import", job["id"], actor=actor)
        raise
    response.headers["Location"] = f"{PATH}/{result['id']}"
    return result


async def _send_file(rpc: RpcClient, job_id: str, parts: Parts, limit: int, actor: Actor) -> None:
    received = 0
    pending = b""
    async for piece in parts.pieces():
        received += len(piece)
        if received > limit:
            raise _too_large(limit)
        pending += piece
        while len(pending) >= PIECE_BYTES:
            chunk, pending = pending[:PIECE_BYTES], pending[PIECE_BYTES:]
            await rpc.call("imports", "append_import_data", job_id,
                           base64.b64encode(chunk).decode("ascii"), actor=actor)  # fmt: skip
    if pending:
        await rpc.call("imports", "append_import_data", job_id,
                       base64.b64encode(pending).decode("ascii"), actor=actor)  # fmt: skip


@router.get("/imports", response_model=ImportPage)
async def list_imports(
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = None,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Any:
    """The history of the caller's imports (an administrator's: everyone's), newest first."""
    return await rpc.call(
        "imports", "list_imports", {"limit": limit, "cursor": cursor}, actor=actor
    )


@router.get("/imports/{import_id}", response_model=ImportOut)
async def get_import(
    import_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> Any:
    """The import with its `progress` {total, done, failed} and `counts`."""
    return await rpc.call("imports", "get_import", import_id, actor=actor)


@router.patch(
    "/imports/{import_id}", response_model=ImportOut, dependencies=[Depends(require_json)]
)
async def change_import(
    import_id: str,
    body: ImportChange,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Any:
    """Change the `mapping` (a field or null per column) and the duplicate `options`
    (`match_on`, `on_duplicate` ∈ skip, update, create, `create_accounts`)."""
    return await rpc.call(
        "imports", "update_import", import_id, body.model_dump(exclude_unset=True), actor=actor
    )


@router.delete("/imports/{import_id}", status_code=204)
async def delete_import(
    import_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> Response:
    """Forget an import that is not running (its records stay; roll it back first)."""
    await rpc.call("imports", "delete_import", import_id, actor=actor)
    return Response(status_code=204)


@router.get("/imports/{import_id}/preview")
async def preview_import(
    import_id: str,
    limit: int = Query(10, ge=1, le=50),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Any:
    """The first rows as the mapping reads them, each cell with its `error` or null."""
    return await rpc.call("imports", "preview_import", import_id, actor=actor, limit=limit)


@router.post("/imports/{import_id}/start", response_model=ImportOut)
async def start_import(
    import_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> Any:
    """Start the import; follow its progress with `GET /imports/{id}`."""
    return await rpc.call("imports", "start_import", import_id, actor=actor)


@router.post("/imports/{import_id}/rollback", response_model=ImportOut)
async def rollback_import(
    import_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> Any:
    """Undo a finished import: what it created is deleted, what it updated restored."""
    return await rpc.call("imports", "rollback_import", import_id, actor=actor)


@router.get(
    "/imports/{import_id}/errors",
    response_class=Response,
    responses={200: {"content": {XLSX: {}}, "description": "The rejected rows"}},
)
async def import_errors(
    import_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> Response:
    """The rejected rows as an xlsx workbook, with the reason for each bad cell."""
    answer = await rpc.call("imports", "import_error_report", import_id, actor=actor)
    return attachment(base64.b64decode(answer["content"]), answer["name"], XLSX)


def attachment(content: bytes, name: str, media_type: str) -> Response:
    return Response(content=content, media_type=media_type, headers=disposition(name))


def disposition(name: str) -> dict[str, str]:
    quoted = urllib.parse.quote(name)
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'")
    return {
        "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quoted}",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
