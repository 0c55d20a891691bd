"""Activities (tasks, calls, meetings, emails), ``complete``, and the caller's own list.

Served by the sales service (docs/rpc.md). The record routes come from
``record_routes``; ``POST /activities/{id}/complete`` is the action and
``GET /me/activities`` the caller's open activities, overdue first.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import Field

from ..auth import current_actor, rpc_client
from ..listing import MAX_LIMIT
from ..rpc import RpcClient
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from ..schemas import SentOut
from .common import etag, expected_version, require_json
from .records import IF_MATCH_DOC, record_routes

router = APIRouter(prefix="/api/v1", tags=["activities"])

Actor = dict[str, Any]


class ActivityFields(RequestModel):
    # Times are ISO 8601 with a zone; enumerations, lengths, due ≥ start and the links
    # are the sales service's to check (describe_activities).
    type: str | None = None
    title: str | None = None
    description: str | None = None
    status: str | None = None
    priority: str | None = None
    start_at: str | None = None
    due_at: str | None = None
    result: str | None = None
    related_type: str | None = None
    related_id: str | None = None
    participants: list[dict[str, Any]] | None = Field(
        default=None, description="[{type: contact|user, id}], the whole set: a change replaces it"
    )
    owner_id: str | None = None
    team_id: str | None = None


class ActivityCreate(ActivityFields):
    pass


class ActivityUpdate(ActivityFields):
    pass


class ParticipantOut(ResponseModel):
    type: str
    id: str


class ActivityOut(SentOut):
    id: str
    type: str
    title: str
    description: str | None = None
    status: str
    priority: str
    start_at: str | None = None
    due_at: str | None = None
    completed_at: str | None = None
    result: str | None = None
    related_type: str | None = None
    related_id: str | None = None
    participants: list[ParticipantOut] = []
    owner_id: str | None = None
    team_id: str | None = None
    version: int
    created_at: str | None = None
    updated_at: str | None = None
    created_by: str | None = None


class ActivityPage(ResponseModel):
    items: list[ActivityOut]
    next_cursor: str | None = None


class MyActivityOut(ActivityOut):
    is_overdue: bool


class MyActivityPage(ResponseModel):
    items: list[MyActivityOut]
    next_cursor: str | None = None


class ActivityCompleteIn(RequestModel):
    result: str | None = None


# /me/activities first: nothing else in the application matches it, and declaring it
# before the record routes keeps it that way whatever is added to this router later.
@router.get("/me/activities", response_model=MyActivityPage, operation_id="list_my_activities")
async def my_activities(
    limit: int = Query(50, ge=1, le=MAX_LIMIT, description=f"1..{MAX_LIMIT}"),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
    include_done: bool = Query(False, description="also completed and cancelled ones"),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The caller's open activities (owned, or taken part in as a user): overdue first
    (the oldest due first), then upcoming by due time, undated last; each with
    ``is_overdue``."""
    query = {"limit": limit, "cursor": cursor, "include_done": include_done}
    return await rpc.call("sales", "list_my_activities", query, actor=actor)


record_routes(
    router,
    service="sales",
    path="activities",
    plural="activities",
    singular="activity",
    create_model=ActivityCreate,
    update_model=ActivityUpdate,
    out_model=ActivityOut,
    page_model=ActivityPage,
)


@router.post(
    "/activities/{activity_id}/complete",
    response_model=ActivityOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
)
async def complete_activity(
    request: Request,
    response: Response,
    activity_id: str = Path(),
    body: ActivityCompleteIn | None = None,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Complete the activity (status ``completed``, ``completed_at`` now, the ``result``
    if sent); 409 when it is already completed or cancelled."""
    record = await rpc.call(
        "sales",
        "complete_activity",
        activity_id,
        body.changes() if body is not None else None,
        actor=actor,
        expected_version=expected_version(request),
    )
    response.headers["ETag"] = etag(record)
    return record
