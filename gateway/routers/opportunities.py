"""Opportunities, their stages, history, tactics, competitors and the pipeline board.

Served by the sales service (docs/rpc.md). The record routes come from
``record_routes``; the business actions are ``POST /opportunities/{id}/<verb>``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import DealLineIn, DealLineOut, SentOut
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from .common import etag, expected_version, require_json
from .records import IF_MATCH_DOC, record_action, record_routes

router = APIRouter(prefix="/api/v1", tags=["opportunities"])

Actor = dict[str, Any]
Money = str | int | float


class OpportunityFields(RequestModel):
    # Money is a decimal string ("1500.00"); numbers are accepted too. Formats,
    # ranges and links are the sales service's to check (describe_opportunities).
    title: str | None = None
    account_id: str | None = None
    contact_id: str | None = None
    need_type: str | None = None
    budget: Money | None = None
    amount: Money | None = None
    currency: str | None = None
    probability: int | None = None
    close_date: str | None = None
    lead_id: str | None = None
    lines: list[DealLineIn] | None = None
    owner_id: str | None = None
    team_id: str | None = None


class OpportunityCreate(OpportunityFields):
    stage_id: str | None = None


class OpportunityUpdate(OpportunityFields):
    # The stage changes by moving the deal; the service explains that if it is sent.
    stage_id: str | None = None


class OpportunityOut(SentOut):
    id: str
    title: str | None = None
    account_id: str | None = None
    contact_id: str | None = None
    stage_id: str | None = None
    need_type: str | None = None
    budget: str | None = None
    amount: str | None = None
    amount_from_lines: bool | None = Field(
        None,
        description="The amount is the product lines' total and follows them; false: set "
        "by hand (kept when the lines change; send amount null to follow them again)",
    )
    currency: str | None = None
    probability: int | None = None
    close_date: str | None = None
    status: str
    lost_reason: str | None = None
    lead_id: str | None = None
    lines: list[DealLineOut] = []
    stage_entered_at: str | None = None
    owner_id: str
    team_id: str | None = None
    version: int
    created_at: str | None = None
    updated_at: str | None = None
    created_by: str | None = None


class OpportunityPage(ResponseModel):
    items: list[OpportunityOut]
    next_cursor: str | None = None


class MoveIn(RequestModel):
    stage_id: str = Field(min_length=1, max_length=64)
    reason: str | None = None


class LoseIn(RequestModel):
    reason: str | None = None


class StageVisitOut(ResponseModel):
    id: str
    stage_id: str
    stage_name: str
    entered_at: str
    left_at: str | None = None
    seconds_in_stage: int
    moved_by: str | None = None
    skipped: bool


class OpportunityHistory(ResponseModel):
    items: list[StageVisitOut]


class TacticIn(RequestModel):
    kind: str | None = None
    text: str | None = None


class TacticOut(ResponseModel):
    id: str
    opportunity_id: str
    kind: str
    text: str
    created_at: str
    created_by: str


class TacticList(ResponseModel):
    items: list[TacticOut]


class CompetitorIn(RequestModel):
    account_id: str | None = None
    offer: str | None = None
    comparison: str | None = None


class CompetitorOut(ResponseModel):
    id: str
    opportunity_id: str
    account_id: str
    account_name: str | None = None
    offer: str | None = None
    comparison: str | None = None
    created_at: str
    created_by: str


class CompetitorList(ResponseModel):
    items: list[CompetitorOut]


class StageFields(RequestModel):
    name: str | None = None
    position: int | None = None
    probability: int | None = None
    is_final: bool | None = None
    is_successful: bool | None = None


class StageOut(ResponseModel):
    id: str
    name: str
    position: int
    probability: int
    is_final: bool
    is_successful: bool
    version: int


class StageList(ResponseModel):
    items: list[StageOut]
    next_cursor: str | None = None


class BoardTotal(ResponseModel):
    currency: str
    amount: str
    weighted: str


class BoardCard(ResponseModel):
    id: str
    title: str
    amount: str | None = None
    currency: str | None = None
    probability: int | None = None
    owner_id: str
    account_id: str | None = None
    account_name: str | None = None
    close_date: str | None = None
    stage_entered_at: str | None = None
    version: int


class BoardColumn(ResponseModel):
    stage: StageOut
    count: int
    totals: list[BoardTotal]
    items: list[BoardCard]
    next_cursor: str | None = None


class BoardOut(ResponseModel):
    stages: list[BoardColumn]


record_routes(
    router,
    service="sales",
    path="opportunities",
    plural="opportunities",
    singular="opportunity",
    create_model=OpportunityCreate,
    update_model=OpportunityUpdate,
    out_model=OpportunityOut,
    page_model=OpportunityPage,
)


def _with_etag(response: Response, record: dict[str, Any]) -> dict[str, Any]:
    response.headers["ETag"] = etag(record)
    return record


def opportunity_action(verb: str, method: str, description: str, **options: Any) -> None:
    """``POST /opportunities/{opportunity_id}/<verb>`` calling the sales service's ``method``."""
    record_action(
        router,
        service="sales",
        path="opportunities",
        id_name="opportunity_id",
        verb=verb,
        method=method,
        out_model=OpportunityOut,
        description=description,
        **options,
    )


opportunity_action(
    "move",
    "move_opportunity",
    "Move the deal to another stage (stages jumped over are logged as skipped). Into a"
    " successful final stage the deal is won; into an unsuccessful one it is lost and needs"
    " `reason`. A won or lost deal does not move: 409.",
    body_model=MoveIn,
)
opportunity_action(
    "win",
    "win_opportunity",
    "Win the deal: it moves to the successful final stage, probability 100.",
)
opportunity_action(
    "lose",
    "lose_opportunity",
    "Lose the deal with a `reason`: it moves to the unsuccessful final stage.",
    body_model=LoseIn,
)


@router.get(
    "/opportunities/{opportunity_id}/history",
    response_model=OpportunityHistory,
    operation_id="list_opportunity_history",
)
async def opportunity_history(
    opportunity_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The deal's stays in stages, oldest first, with the time spent in each."""
    items = await rpc.call("sales", "opportunity_history", opportunity_id, actor=actor)
    return {"items": items}


@router.get("/opportunities/{opportunity_id}/tactics", response_model=TacticList)
async def list_tactics(
    opportunity_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The deal's SWOT entries: strengths, weaknesses, opportunities, threats."""
    return {"items": await rpc.call("sales", "list_tactics", opportunity_id, actor=actor)}


@router.post(
    "/opportunities/{opportunity_id}/tactics",
    status_code=201,
    response_model=TacticOut,
    dependencies=[Depends(require_json)],
)
async def add_tactic(
    opportunity_id: str,
    body: TacticIn,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Add a SWOT entry `{kind, text}`."""
    return await rpc.call("sales", "add_tactic", opportunity_id, body.changes(), actor=actor)


@router.delete(
    "/opportunities/{opportunity_id}/tactics/{tactic_id}",
    status_code=204,
    response_class=Response,
)
async def remove_tactic(
    opportunity_id: str,
    tactic_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """Remove a SWOT entry."""
    await rpc.call("sales", "remove_tactic", opportunity_id, tactic_id, actor=actor)
    return Response(status_code=204)


@router.get("/opportunities/{opportunity_id}/competitors", response_model=CompetitorList)
async def list_competitors(
    opportunity_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The competitors in the deal, with their offer and how we compare."""
    return {"items": await rpc.call("sales", "list_competitors", opportunity_id, actor=actor)}


@router.post(
    "/opportunities/{opportunity_id}/competitors",
    status_code=201,
    response_model=CompetitorOut,
    dependencies=[Depends(require_json)],
)
async def add_competitor(
    opportunity_id: str,
    body: CompetitorIn,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Add a competitor account `{account_id, offer, comparison}`."""
    return await rpc.call("sales", "add_competitor", opportunity_id, body.changes(), actor=actor)


@router.delete(
    "/opportunities/{opportunity_id}/competitors/{competitor_id}",
    status_code=204,
    response_class=Response,
)
async def remove_competitor(
    opportunity_id: str,
    competitor_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """Remove a competitor from the deal."""
    await rpc.call("sales", "remove_competitor", opportunity_id, competitor_id, actor=actor)
    return Response(status_code=204)


# --- stages -----------------------------------------------------------------------------


@router.get("/opportunity-stages", response_model=StageList, tags=["opportunity-stages"])
async def list_opportunity_stages(
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The pipeline's stages by position (all of them: it is one short list)."""
    items = await rpc.call("sales", "list_opportunity_stages", actor=actor)
    return {"items": items, "next_cursor": None}


@router.post(
    "/opportunity-stages",
    status_code=201,
    response_model=StageOut,
    dependencies=[Depends(require_json)],
    tags=["opportunity-stages"],
)
async def create_opportunity_stage(
    body: StageFields,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Add a stage (administrators)."""
    stage = await rpc.call("sales", "create_opportunity_stage", body.changes(), actor=actor)
    response.headers["Location"] = f"/api/v1/opportunity-stages/{stage['id']}"
    return _with_etag(response, stage)


@router.patch(
    "/opportunity-stages/{stage_id}",
    response_model=StageOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
    tags=["opportunity-stages"],
)
async def update_opportunity_stage(
    stage_id: str,
    body: StageFields,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Rename, reorder or re-weight a stage (administrators)."""
    stage = await rpc.call(
        "sales",
        "update_opportunity_stage",
        stage_id,
        body.changes(),
        actor=actor,
        expected_version=expected_version(request),
    )
    return _with_etag(response, stage)


@router.delete(
    "/opportunity-stages/{stage_id}",
    status_code=204,
    response_class=Response,
    openapi_extra=IF_MATCH_DOC,
    tags=["opportunity-stages"],
)
async def delete_opportunity_stage(
    stage_id: str,
    request: Request,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """Delete a stage no deal is or was in (administrators)."""
    await rpc.call(
        "sales",
        "delete_opportunity_stage",
        stage_id,
        actor=actor,
        expected_version=expected_version(request),
    )
    return Response(status_code=204)


# --- the pipeline board -----------------------------------------------------------------


@router.get("/pipeline", response_model=BoardOut, tags=["pipeline"], operation_id="get_pipeline")
async def pipeline(
    owner_id: str | None = Query(None, description="owners' ids, comma-separated (any of)"),
    team_id: str | None = Query(None, description="teams' ids, comma-separated (any of)"),
    per_stage: int = Query(50, description="cards per column, 1–200"),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The pipeline board: each stage with its open deals, count and totals per currency.

    More cards of a column: `GET /opportunities?filter[stage_id]=…&filter[status]=open
    &sort=-updated_at&cursor=<next_cursor>`.
    """
    query: dict[str, Any] = {"per_stage": per_stage}
    if owner_id:
        query["owner_id"] = [v.strip() for v in owner_id.split(",") if v.strip()]
    if team_id:
        query["team_id"] = [v.strip() for v in team_id.split(",") if v.strip()]
    return await rpc.call("sales", "pipeline", query, actor=actor)
