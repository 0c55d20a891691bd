"""Attachments: ``POST /files`` (multipart, field ``file``) and ``GET /files/{id}``.

The feed service keeps the bytes (base64 over RPC). An upload larger than
``OSPREY_FILE_MAX_BYTES`` (default 10 MiB) is refused with 413 before it is read
whole: a ``Content-Length`` over the limit (plus room for the multipart framing) is
refused at once by the body limit middleware, which also counts a chunked body as
it streams; the file part itself is then checked exactly.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations.

import base64
import email.parser
import email.policy
import os
import urllib.parse
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.exceptions import HTTPException

from services.platform.errors import ValidationFailed

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import Response as ResponseModel

router = APIRouter(prefix="/api/v1")

Actor = dict[str, Any]
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
#: Room for the multipart boundary and part headers around the file's bytes.
MULTIPART_OVERHEAD = 64 * 1024
PATH = "/api/v1/files"


def max_file_bytes() -> int:
    """``OSPREY_FILE_MAX_BYTES`` (default 10 MiB)."""
    try:
        return int(os.environ.get("OSPREY_FILE_MAX_BYTES") or DEFAULT_MAX_BYTES)
    except ValueError:
        return DEFAULT_MAX_BYTES


def upload_body_limit() -> int:
    """The largest request body ``POST /files`` reads (the body limit middleware's)."""
    return max_file_bytes() + MULTIPART_OVERHEAD


class FileOut(ResponseModel):
    id: str
    name: str
    content_type: str
    size: int
    sha256: str
    created_at: str


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"The file is larger than {limit} bytes")


def _file_part(content_type: str, body: bytes) -> tuple[str, str, bytes]:
    """``(name, content type, bytes)`` of the multipart body's ``file`` part."""
    if (
        not content_type.lower().startswith("multipart/form-data")
        or "boundary=" not in content_type
    ):
        raise HTTPException(415, "Send the file as multipart/form-data (field `file`)")
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise ValidationFailed(
            "The body is not multipart", [{"field": "file", "message": "required"}]
        )
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") != "file":
            continue
        data = part.get_payload(decode=True) or b""
        name = part.get_filename() or "file"
        return name, part.get_content_type() or "application/octet-stream", data
    raise ValidationFailed("No file was sent", [{"field": "file", "message": "required"}])


@router.post(
    "/files",
    status_code=201,
    response_model=FileOut,
    tags=["files"],
    openapi_extra={
        "requestBody": {
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                }
            }
        }
    },
)
async def upload_file(
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Store an attachment; 413 when larger than `OSPREY_FILE_MAX_BYTES`."""
    limit = max_file_bytes()
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise _too_large(limit)
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit + MULTIPART_OVERHEAD:
            raise _too_large(limit)
        chunks.append(chunk)
    name, content_type, data = _file_part(request.headers.get("content-type", ""), b"".join(chunks))
    if len(data) > limit:
        raise _too_large(limit)
    stored = await rpc.call(
        "feed",
        "upload_file",
        name,
        content_type,
        base64.b64encode(data).decode("ascii"),
        actor=actor,
    )
    response.headers["Location"] = f"{PATH}/{stored['id']}"
    return stored


@router.get(
    "/files/{file_id}",
    response_class=Response,
    responses={
        200: {
            # a file is served under the type its bytes showed when it was kept
            # (services/feed/file_types: image/png, application/pdf, text/plain...)
            "content": {"application/octet-stream": {}, "*/*": {}},
            "description": "The bytes, under the type they were kept as (read from them)",
        }
    },
    tags=["files"],
)
async def download_file(
    file_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """The file's bytes (its uploader, or whoever may see a post carrying it)."""
    answer = await rpc.call("feed", "get_file", file_id, actor=actor)
    quoted = urllib.parse.quote(answer["name"])
    ascii_name = answer["name"].encode("ascii", "replace").decode().replace('"', "'")
    return Response(
        content=base64.b64decode(answer["content"]),
        media_type=answer["content_type"],
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quoted}"
            ),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )
