"""Exports of any list view to xlsx or csv (the Export button of every list).

``POST /exports {resource, filter, sort, q, columns, format}`` reads the list as its
view shows it — the owning service's list RPC with the caller's rights, paged by its
keyset cursor, 500 rows a page. A list of up to 10,000 rows is the answer itself,
streamed (CSV a page at a time; an xlsx written a row at a time to a temporary file
and then sent). A longer one is a job of the imports service: ``202`` with the job,
``GET /exports/{id}`` for its progress and ``GET /exports/{id}/file`` for the file.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations.

import base64
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from services.platform import tabular

from ..auth import current_actor, rpc_client
from ..problems import PROBLEM_RESPONSES
from ..rpc import RpcClient
from .common import require_json
from .imports import ImportOut, ImportPage, disposition

router = APIRouter(prefix="/api/v1", tags=["exports"], responses=PROBLEM_RESPONSES)

Actor = dict[str, Any]
PATH = "/api/v1/exports"
PAGE = 500
DEFAULT_STREAM_MAX = 10_000


def stream_max() -> int:
    """``OSPREY_EXPORT_STREAM_ROWS``: the longest list answered with the file itself."""
    try:
        return int(os.environ.get("OSPREY_EXPORT_STREAM_ROWS") or DEFAULT_STREAM_MAX)
    except ValueError:
        return DEFAULT_STREAM_MAX


#: the list views that can be exported: resource → (service, list RPC)
LISTS: dict[str, tuple[str, str]] = {
    "leads": ("leads", "list_leads"),
    "accounts": ("sales", "list_accounts"),
    "contacts": ("sales", "list_contacts"),
    "opportunities": ("sales", "list_opportunities"),
    "activities": ("sales", "list_activities"),
    "products": ("orders", "list_products"),
    "price-lists": ("orders", "list_price_lists"),
    "orders": ("orders", "list_orders"),
    "invoices": ("orders", "list_invoices"),
}
#: the lists whose service checks the caller's export right (list RPC ``purpose: export``;
#: docs/architecture.md, "Access rights"); the others export whatever their list shows
EXPORT_RIGHT_CHECKED = frozenset(
    {"leads", "accounts", "contacts", "opportunities", "activities", "products", "orders",
     "invoices"}
)  # fmt: skip
Resource = Literal[
    "leads", "accounts", "contacts", "opportunities", "activities", "products",
    "price-lists", "orders", "invoices",
]  # fmt: skip


class ExportRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource: Resource
    columns: list[str] = Field(min_length=1, max_length=100)
    format: Literal["xlsx", "csv"] = "xlsx"
    filter: dict[str, str | list[str]] = Field(default_factory=dict)
    sort: str | None = None
    q: str | None = None


def list_query(body: ExportRequest) -> dict[str, Any]:
    filters = {
        field: [v.strip() for v in (value.split(",") if isinstance(value, str) else value)
                if v.strip()]
        for field, value in body.filter.items()
    }  # fmt: skip
    query: dict[str, Any] = {"filter": filters}
    if body.sort:
        query["sort"] = body.sort
    if body.q:
        query["q"] = body.q
    return query


def file_name(resource: str, fmt: str) -> str:
    return f"{resource}-{datetime.now(UTC):%Y%m%d-%H%M}.{fmt}"


@router.post(
    "/exports",
    dependencies=[Depends(require_json)],
    responses={
        200: {
            "content": {tabular.MEDIA_TYPES["xlsx"]: {}, "text/csv": {}},
            "description": "The file, when the list has up to 10,000 rows",
        },
        202: {"model": ImportOut, "description": "A job, when the list is longer"},
    },
)
async def create_export(
    body: ExportRequest,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """The list (its filter, sort, search and columns) as xlsx or csv: the file itself
    up to 10,000 rows, else 202 with an export job to follow."""
    service, method = LISTS[body.resource]
    query = list_query(body)
    # the first page says the export is for export: a service that checks the export
    # right refuses it there, before any file or job is made
    purpose = {"purpose": "export"} if body.resource in EXPORT_RIGHT_CHECKED else {}
    first = await rpc.call(
        service, method, {**query, **purpose, "limit": PAGE, "cursor": None}, actor=actor
    )
    total = first.get("total")
    if total is not None and total > stream_max():
        job = await rpc.call(
            "imports",
            "create_export",
            {"resource": body.resource, "query": query, "columns": body.columns,
             "format": body.format},
            actor=actor,
        )  # fmt: skip
        return JSONResponse(job, status_code=202, headers={"Location": f"{PATH}/{job['id']}"})

    async def pages() -> AsyncIterator[list[dict[str, Any]]]:
        page = first
        while True:
            yield page["items"]
            if not page.get("next_cursor"):
                return
            page = await rpc.call(
                service, method, {**query, "limit": PAGE, "cursor": page["next_cursor"]},
                actor=actor,
            )  # fmt: skip

    name = file_name(body.resource, body.format)
    headers = disposition(name)
    if body.format == "csv":

        async def csv_stream() -> AsyncIterator[bytes]:
            yield tabular.csv_bytes([body.columns], first=True)
            async for items in pages():
                yield tabular.csv_bytes([tabular.row_cells(r, body.columns) for r in items])

        return StreamingResponse(csv_stream(), media_type="text/csv; charset=utf-8",
                                 headers=headers)  # fmt: skip
    handle, path = tempfile.mkstemp(prefix="osprey-export-", suffix=".xlsx")
    os.close(handle)
    try:
        sheet = tabular.XlsxRows(path, body.columns)
        async for items in pages():
            for record in items:
                sheet.add(tabular.row_cells(record, body.columns))
        sheet.close()
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(path)
        raise

    async def file_stream() -> AsyncIterator[bytes]:
        try:
            with open(path, "rb") as handle_in:
                while chunk := handle_in.read(256 * 1024):
                    yield chunk
        finally:
            with contextlib.suppress(OSError):
                os.unlink(path)

    return StreamingResponse(file_stream(), media_type=tabular.MEDIA_TYPES["xlsx"],
                             headers=headers)  # fmt: skip


@router.get("/exports", response_model=ImportPage)
async def list_exports(
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = None,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Any:
    """The caller's export jobs, newest first."""
    return await rpc.call("imports", "list_exports", {"limit": limit, "cursor": cursor},
                          actor=actor)  # fmt: skip


@router.get("/exports/{export_id}", response_model=ImportOut)
async def get_export(
    export_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> Any:
    """The export job with its `progress` {total, done, failed}."""
    return await rpc.call("imports", "get_export", export_id, actor=actor)


@router.get(
    "/exports/{export_id}/file",
    response_class=StreamingResponse,
    responses={200: {"content": {tabular.MEDIA_TYPES["xlsx"]: {}, "text/csv": {}},
                     "description": "The exported file"}},
)  # fmt: skip
async def download_export(
    export_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> StreamingResponse:
    """The finished export's file, streamed; 409 until it is done."""
    job = await rpc.call("imports", "get_export", export_id, actor=actor)
    first = await rpc.call("imports", "read_export_piece", export_id, 0, actor=actor)

    async def stream() -> AsyncIterator[bytes]:
        piece, seq = first, 0
        while True:
            yield base64.b64decode(piece["data"])
            if piece["last"]:
                return
            seq += 1
            piece = await rpc.call("imports", "read_export_piece", export_id, seq, actor=actor)

    media = tabular.MEDIA_TYPES.get(job["format"] or "xlsx", "application/octet-stream")
    return StreamingResponse(stream(), media_type=media, headers=disposition(job["file_name"]))
