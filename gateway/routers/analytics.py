"""Reports, section charts and the Results page, served by the analytics service.

A report is API.md's ``{name, entity, columns, filters, group_by, aggregates, chart}``;
``POST /reports/run`` runs one without saving it, ``POST /reports/{id}/run`` runs a
saved one; ``POST /reports/export`` and ``GET /reports/{id}/export`` answer the same
rows as an Excel file. Every figure counts only the records the caller may read. The section
charts that are more than a grouping: ``GET /charts/lead-funnel`` and
``GET /charts/deals``, over the section's filter (``filter[<field>]=…`` as lists take
it). The Results page: ``GET /dashboards/results`` (the caller's, else the team's,
else Osprey's), ``PUT /dashboards/results`` and, for managers and administrators,
``PUT /dashboards/team-results``.
"""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response

from ..auth import current_actor, rpc_client
from ..listing import FILTER_PARAMETER_DOC
from ..rpc import RpcClient
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from .common import expected_version
from .records import record_routes

router = APIRouter(prefix="/api/v1", tags=["analytics"])

Actor = dict[str, Any]


class ReportSpec(RequestModel):
    entity: str
    group_by: list[str | dict[str, Any]] | None = None
    aggregates: list[dict[str, Any]] | None = None
    filters: dict[str, Any] | None = None
    chart: str | None = None
    columns: list[str] | None = None


class ReportCreate(ReportSpec):
    name: str
    shared_with_team: bool | None = None


class ReportUpdate(RequestModel):
    name: str | None = None
    entity: str | None = None
    group_by: list[str | dict[str, Any]] | None = None
    aggregates: list[dict[str, Any]] | None = None
    filters: dict[str, Any] | None = None
    chart: str | None = None
    columns: list[str] | None = None
    shared_with_team: bool | None = None


class ReportOut(ResponseModel):
    id: str
    name: str
    entity: str
    group_by: list[dict[str, Any]]
    aggregates: list[dict[str, Any]]
    filters: dict[str, Any]
    chart: str
    owner_id: str
    team_id: str | None = None
    shared_with_team: bool
    version: int
    created_at: str | None = None
    updated_at: str | None = None


class ReportPage(ResponseModel):
    items: list[ReportOut]
    next_cursor: str | None = None


class ReportResult(ResponseModel):
    report: dict[str, Any]
    rows: list[dict[str, Any]]
    truncated: bool


class Widget(RequestModel):
    id: str | None = None
    kind: str
    title: str | None = None
    report: dict[str, Any]
    x: int | None = None
    y: int | None = None
    w: int | None = None
    h: int | None = None


class ResultsPageIn(RequestModel):
    name: str | None = None
    widgets: list[Widget]


class ResultsPageOut(ResponseModel):
    id: str | None = None
    name: str
    widgets: list[dict[str, Any]]
    source: str
    version: int
    is_team_default: bool
    updated_at: str | None = None


@router.post("/reports/run", response_model=ReportResult)
async def run_report(
    body: ReportSpec,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Run a report without saving it: ``rows`` of ``{<group field>: value, …,
    count | <fn>_<field>: n}`` (at most 1,000; ``truncated`` says when more)."""
    return await rpc.call("analytics", "run_report", body.changes(), actor=actor)


@router.post("/reports/{report_id}/run", response_model=ReportResult)
async def run_saved_report(
    report_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    return await rpc.call("analytics", "run_saved_report", report_id, actor=actor)


_XLSX = {
    200: {
        "content": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {}},
        "description": "The report's rows as an Excel workbook",
    }
}


def _file(answer: dict[str, Any]) -> Response:
    """An exported file as a download, named in ASCII and (RFC 6266) in UTF-8."""
    name = answer["filename"]
    ascii_name = name.encode("ascii", "replace").decode("ascii").replace("?", "_")
    return Response(
        content=base64.b64decode(answer["content"]),
        media_type=answer["content_type"],
        headers={
            "Content-Disposition": (
                f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
            ),
            "Cache-Control": "private, no-store",
        },
    )


@router.post("/reports/export", response_class=Response, responses=_XLSX)
async def export_report(
    body: ReportSpec,
    name: str | None = Query(None, description="the file's name (the report's name)"),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """Run a report without saving it and answer its rows as an ``.xlsx`` file: the
    header row in the caller's language, groups as text or dates, figures as numbers.
    The same rights as running it."""
    return _file(
        await rpc.call("analytics", "export_report", body.changes(), actor=actor, name=name)
    )


@router.get("/reports/{report_id}/export", response_class=Response, responses=_XLSX)
async def export_saved_report(
    report_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """A saved report's rows as an ``.xlsx`` file named after the report."""
    return _file(await rpc.call("analytics", "export_saved_report", report_id, actor=actor))


record_routes(
    router,
    service="analytics",
    path="reports",
    plural="reports",
    singular="report",
    create_model=ReportCreate,
    update_model=ReportUpdate,
    out_model=ReportOut,
    page_model=ReportPage,
)


def _filters(request: Request) -> dict[str, str]:
    """``filter[<field>]=a,b`` of the query string as ``{field: "a,b"}``."""
    out: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key.startswith("filter[") and key.endswith("]"):
            out[key[7:-1]] = value
    return out


@router.get(
    "/charts/lead-funnel", openapi_extra=FILTER_PARAMETER_DOC, operation_id="get_lead_funnel"
)
async def lead_funnel(
    request: Request,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The qualification funnel of the leads matching the filter: per stage how many
    entered it, the share of the stage before that went on (``conversion_rate``) and
    the average seconds spent in it."""
    return await rpc.call("analytics", "lead_funnel", _filters(request), actor=actor)


@router.get("/charts/deals", openapi_extra=FILTER_PARAMETER_DOC, operation_id="get_deal_summary")
async def deal_summary(
    request: Request,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Won, lost and open deals, the win rate, the average cycle of closed deals, the
    average time in each stage and why deals were lost."""
    return await rpc.call("analytics", "deal_summary", _filters(request), actor=actor)


@router.get("/dashboards/results", response_model=ResultsPageOut)
async def get_results_page(
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    return await rpc.call("analytics", "get_results_page", actor=actor)


@router.put("/dashboards/results", response_model=ResultsPageOut)
async def save_results_page(
    body: ResultsPageIn,
    request: Request,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Save the caller's Results page (``If-Match`` with its version guards a change)."""
    return await rpc.call(
        "analytics",
        "save_results_page",
        body.changes(),
        actor=actor,
        expected_version=expected_version(request),
    )


@router.put("/dashboards/team-results", response_model=ResultsPageOut)
async def save_team_results_page(
    body: ResultsPageIn,
    request: Request,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Share a Results page as the caller's team's default (managers, administrators)."""
    return await rpc.call(
        "analytics",
        "save_results_page",
        body.changes(),
        actor=actor,
        team_default=True,
        expected_version=expected_version(request),
    )
