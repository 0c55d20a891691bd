"""Lead rules: distribution rules and assigning leads, scoring rules and explained scores.

Served by the leads service (docs/rpc.md, "leads: distribution" and "leads:
scoring"). Everyone signed in reads the rules; sales managers and administrators
change them. ``POST /leads/{id}/assign`` with ``{}`` lets the rules choose the owner,
with ``{"owner_id": ...}`` assigns by hand.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import Field

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import LeadOut
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from .common import as_page, etag, expected_version, require_json
from .records import IF_MATCH_DOC, record_routes

router = APIRouter(prefix="/api/v1", tags=["leads"])

Actor = dict[str, Any]


# -- models ---------------------------------------------------------------------------------


class DistributionRuleFields(RequestModel):
    # The leads service checks the values (strategies, UUIDs, owners for the strategy).
    name: str | None = None
    position: int | None = Field(default=None, description="rules are tried in this order")
    is_active: bool | None = None
    need_type: str | None = Field(default=None, description="condition; null = any")
    source: str | None = Field(default=None, description="condition; null = any")
    region: str | None = Field(default=None, description="condition; null = any")
    team_id: str | None = Field(
        default=None, description="condition on the lead's team (null = any); also its team"
    )
    strategy: str | None = Field(default=None, description="round_robin, least_open, fixed_owner")
    owner_ids: list[str] | None = Field(
        default=None, description="the candidates of round_robin and least_open, in order"
    )
    fixed_owner_id: str | None = Field(default=None, description="the owner of fixed_owner")


class DistributionRuleOut(ResponseModel):
    id: str
    name: str
    position: int
    is_active: bool
    need_type: str | None = None
    source: str | None = None
    region: str | None = None
    team_id: str | None = None
    strategy: str
    owner_ids: list[str] = []
    fixed_owner_id: str | None = None
    last_index: int
    version: int
    created_at: str | None = None
    updated_at: str | None = None


class DistributionRulePage(ResponseModel):
    items: list[DistributionRuleOut]
    next_cursor: str | None = None


class AssignIn(RequestModel):
    owner_id: str | None = Field(
        default=None, description="assign by hand; leave out to let the distribution rules choose"
    )


class AssignmentOut(ResponseModel):
    id: str
    lead_id: str
    owner_id: str
    previous_owner_id: str | None = None
    rule_id: str | None = None
    rule_name: str | None = None
    strategy: str | None = None
    assigned_by: str | None = None
    assigned_at: str


class AssignmentPage(ResponseModel):
    items: list[AssignmentOut]
    next_cursor: str | None = None


class ScoringRuleFields(RequestModel):
    name: str | None = None
    field: str | None = Field(default=None, description="a lead field")
    operator: str | None = Field(
        default=None, description="equals, not_equals, in, contains, is_set, is_empty, gte, lte"
    )
    value: Any = Field(
        default=None,
        description="a value; a list for in; none for is_set/is_empty; a number or ISO date "
        "for gte/lte",
    )
    points: int | None = Field(default=None, description="-100..100")
    is_active: bool | None = None


class ScoringRuleOut(ResponseModel):
    id: str
    name: str
    field: str
    operator: str
    value: Any = None
    points: int
    is_active: bool
    version: int
    created_at: str | None = None
    updated_at: str | None = None


class ScoringRulePage(ResponseModel):
    items: list[ScoringRuleOut]
    next_cursor: str | None = None


class ScoreReasonOut(ResponseModel):
    rule_id: str
    name: str
    points: int


class ScoreOut(ResponseModel):
    lead_id: str
    score: int | None = None
    reasons: list[ScoreReasonOut]


# -- distribution rules -----------------------------------------------------------------------


@router.get("/distribution-rules", response_model=DistributionRulePage)
async def list_distribution_rules(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """Every distribution rule in the order they are tried (``position``)."""
    return as_page(await rpc.call("leads", "list_distribution_rules", actor=actor))


# Add (managers and administrators), read one, change, delete; the list is above.
record_routes(
    router,
    service="leads",
    path="distribution-rules",
    plural="distribution_rules",
    singular="distribution_rule",
    create_model=DistributionRuleFields,
    update_model=DistributionRuleFields,
    out_model=DistributionRuleOut,
    skip=("list",),  # a short ordered list of every rule, not a filtered page
    id_name="rule_id",
)


# -- assigning ----------------------------------------------------------------------------------


@router.post(
    "/leads/{lead_id}/assign",
    response_model=LeadOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
)
async def assign_lead(
    request: Request,
    response: Response,
    lead_id: str = Path(),
    body: AssignIn | None = None,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """``{}`` (or no body): the first active distribution rule that matches chooses the
    owner (422 when none matches); ``{owner_id}``: by hand. A lead in ``distribution``
    moves to ``handoff``; converted and disqualified leads → 409."""
    record = await rpc.call(
        "leads",
        "assign_lead",
        lead_id,
        body.changes() if body is not None else {},
        actor=actor,
        expected_version=expected_version(request),
    )
    response.headers["ETag"] = etag(record)
    return record


@router.get("/leads/{lead_id}/assignments", response_model=AssignmentPage)
async def list_lead_assignments(
    lead_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The lead's assignments, newest first: owner, previous owner, rule, who, when."""
    return as_page(await rpc.call("leads", "list_lead_assignments", lead_id, actor=actor))


# -- scoring ------------------------------------------------------------------------------------


@router.get("/scoring-rules", response_model=ScoringRulePage)
async def list_scoring_rules(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """Every scoring rule, oldest first."""
    return as_page(await rpc.call("leads", "list_scoring_rules", actor=actor))


# Add (managers and administrators), read one, change, delete; the list is above.
record_routes(
    router,
    service="leads",
    path="scoring-rules",
    plural="scoring_rules",
    singular="scoring_rule",
    create_model=ScoringRuleFields,
    update_model=ScoringRuleFields,
    out_model=ScoringRuleOut,
    skip=("list",),  # a short ordered list of every rule, not a filtered page
    id_name="rule_id",
)


@router.get("/leads/{lead_id}/score", response_model=ScoreOut, operation_id="get_lead_score")
async def explain_score(
    lead_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The lead's score and why: the rules it meets with their points."""
    return await rpc.call("leads", "explain_score", lead_id, actor=actor)
