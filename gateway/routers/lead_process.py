"""The lead process: qualify, disqualify, reopen, hand off, and the stage history.

Served by the leads service (docs/rpc.md). Each action is
``POST /api/v1/leads/{lead_id}/<verb>`` and accepts ``If-Match``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import LeadOut
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from .common import etag, expected_version, require_json
from .records import IF_MATCH_DOC

router = APIRouter(prefix="/api/v1", tags=["leads"])

Actor = dict[str, Any]


class QualifyIn(RequestModel):
    # Pick (…_id) or create (the fields of a new one; empty fields come from the lead).
    contact_id: str | None = None
    contact: dict[str, Any] | None = None
    account_id: str | None = None
    account: dict[str, Any] | None = None
    need_type: str | None = None
    allow_duplicates: bool | None = None


class DisqualifyIn(RequestModel):
    reason: str | None = None


class ReopenIn(RequestModel):
    stage: str | None = None


class HandoffIn(RequestModel):
    title: str | None = None
    budget: str | int | float | None = None
    amount: str | int | float | None = None
    currency: str | None = None
    close_date: str | None = None


class StageChangeOut(ResponseModel):
    id: str
    lead_id: str
    from_stage: str | None = None
    to_stage: str
    action: str
    reason: str | None = None
    changed_by: str | None = None
    changed_at: str


class LeadHistory(ResponseModel):
    items: list[StageChangeOut]


def _answer(response: Response, lead: dict[str, Any]) -> dict[str, Any]:
    response.headers["ETag"] = etag(lead)
    return lead


@router.post(
    "/leads/{lead_id}/qualify",
    response_model=LeadOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
)
async def qualify_lead(
    lead_id: str,
    body: QualifyIn,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Link the lead to a contact (and account) and its need; it moves on to distribution
    or hand-off. New contacts and accounts are checked for duplicates first: likely ones
    come back as a 409 `.../problems/duplicates` with `candidates` (send
    `allow_duplicates: true` to create anyway)."""
    data = {k: v for k, v in body.changes().items() if v is not None}
    lead = await rpc.call(
        "leads",
        "qualify_lead",
        lead_id,
        data,
        actor=actor,
        expected_version=expected_version(request),
    )
    return _answer(response, lead)


@router.post(
    "/leads/{lead_id}/disqualify",
    response_model=LeadOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
)
async def disqualify_lead(
    lead_id: str,
    body: DisqualifyIn,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Disqualify the lead with a `reason` code from `GET /lookups/disqualification-reasons`."""
    lead = await rpc.call(
        "leads",
        "disqualify_lead",
        lead_id,
        body.reason,
        actor=actor,
        expected_version=expected_version(request),
    )
    return _answer(response, lead)


@router.post("/leads/{lead_id}/reopen", response_model=LeadOut, openapi_extra=IF_MATCH_DOC)
async def reopen_lead(
    lead_id: str,
    request: Request,
    response: Response,
    body: ReopenIn | None = None,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """A manager brings a converted or disqualified lead back (to `stage`, default
    qualification)."""
    lead = await rpc.call(
        "leads",
        "reopen_lead",
        lead_id,
        actor=actor,
        stage=body.stage if body else None,
        expected_version=expected_version(request),
    )
    return _answer(response, lead)


@router.post("/leads/{lead_id}/handoff", response_model=LeadOut, openapi_extra=IF_MATCH_DOC)
async def handoff_lead(
    lead_id: str,
    request: Request,
    response: Response,
    body: HandoffIn | None = None,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Hand the lead to sales: the opportunity is created once (a retry returns the lead
    as it is), the lead waits in `awaiting_sale` and converts when the deal exists."""
    lead = await rpc.call(
        "leads",
        "handoff_lead",
        lead_id,
        body.changes() if body else {},
        actor=actor,
        expected_version=expected_version(request),
    )
    return _answer(response, lead)


@router.get(
    "/leads/{lead_id}/history", response_model=LeadHistory, operation_id="list_lead_history"
)
async def lead_history(
    lead_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Every stage change of the lead, oldest first: from, to, action, reason, who, when."""
    return {"items": await rpc.call("leads", "lead_history", lead_id, actor=actor)}


# --- duplicates and merge -----------------------------------------------------------------


class SimilarLeadOut(ResponseModel):
    record: LeadOut
    score: float
    reasons: list[str]


class CandidatesOut(ResponseModel):
    candidates: list[SimilarLeadOut]


class LeadMergeIn(RequestModel):
    lead_ids: list[str]


class LeadMergeOut(ResponseModel):
    id: str
    kept_id: str
    merged_id: str
    merged_record: dict[str, Any]
    filled_fields: list[str]
    merged_by: str
    merged_at: str


class LeadMergeList(ResponseModel):
    items: list[LeadMergeOut]


@router.get("/leads/{lead_id}/similar", response_model=list[SimilarLeadOut])
async def similar_leads(
    lead_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> list[dict[str, Any]]:
    """Up to 10 likely duplicates: the same email or phone, a like name (a like company
    adds to the score), best first."""
    return await rpc.call("leads", "similar_leads", lead_id, actor=actor)


@router.post(
    "/leads/check-duplicates",
    response_model=CandidatesOut,
    dependencies=[Depends(require_json)],
)
async def check_lead_duplicates(
    body: dict[str, Any],
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The leads that look like this new one (the body of `POST /leads`); nothing is written."""
    return {"candidates": await rpc.call("leads", "check_lead_duplicates", body, actor=actor)}


class ImportIn(RequestModel):
    rows: list[Any] = Field(description="create payloads, as for `POST /leads`; 1 to 500")
    on_duplicate: str = Field(
        default="flag",
        description="`flag`: create a row with look-alikes and list them; "
        "`skip`: leave it out and list them",
    )


class ImportRowOut(ResponseModel):
    row: int
    status: str
    lead_id: str | None = None
    similar: list[SimilarLeadOut]
    errors: list[dict[str, Any]]


class LeadImportReport(ResponseModel):
    created: int
    skipped: int
    failed: int
    rows: list[ImportRowOut]


@router.post("/leads/import", response_model=LeadImportReport, dependencies=[Depends(require_json)])
async def import_leads(
    body: ImportIn,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Create up to 500 leads in one go, each checked for duplicates among the leads
    you may read and the rows before it: a row with look-alikes is created and flagged,
    or skipped (`on_duplicate`); a row with bad values is reported with its errors and
    the others go on. The report lists every row in order."""
    return await rpc.call(
        "leads", "import_leads", body.rows, actor=actor, on_duplicate=body.on_duplicate
    )


@router.post(
    "/leads/{lead_id}/merge",
    response_model=LeadOut,
    dependencies=[Depends(require_json)],
)
async def merge_leads(
    lead_id: str,
    body: LeadMergeIn,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Merge this lead and `lead_ids` into the oldest of them: its empty fields are filled
    from the others, their history moves to it, the others are gone (and recorded)."""
    lead = await rpc.call("leads", "merge_leads", lead_id, body.lead_ids, actor=actor)
    return _answer(response, lead)


@router.get("/leads/{lead_id}/merges", response_model=LeadMergeList)
async def list_lead_merges(
    lead_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """What was merged into the lead, newest first."""
    return {"items": await rpc.call("leads", "list_lead_merges", lead_id, actor=actor)}
