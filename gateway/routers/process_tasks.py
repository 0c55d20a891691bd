"""User tasks of processes: the list (``filter[mine]=true`` for the caller's), one task
with its form, and ``complete`` with the form's data.

Served by the processes service (docs/processes.md). Each task is also an activity in
"my activities"; completing either completes the step.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request

from ..auth import current_actor, rpc_client
from ..listing import MAX_LIMIT
from ..rpc import RpcClient
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from .common import expected_version, require_json
from .records import IF_MATCH_DOC

router = APIRouter(prefix="/api/v1", tags=["processes"])

Actor = dict[str, Any]


class TaskOut(ResponseModel):
    id: str
    instance_id: str
    name: str
    assignee_id: str | None = None
    candidate_role: str | None = None
    state: str
    form: list[dict[str, Any]] = []
    activity_id: str | None = None
    record_type: str | None = None
    record_id: str | None = None
    due_at: str | None = None
    version: int


class TaskPage(ResponseModel):
    items: list[TaskOut]
    next_cursor: str | None = None


class TaskCompleteIn(RequestModel):
    data: dict[str, Any] | None = None


@router.get("/process-tasks", response_model=TaskPage, operation_id="list_process_tasks")
async def list_tasks(
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None),
    mine: bool = Query(False, alias="filter[mine]", description="assigned to me or my role"),
    state: str | None = Query(
        None, alias="filter[state]", description="open, completed, cancelled"
    ),
    instance_id: str | None = Query(None, alias="filter[instance_id]"),
    assignee_id: str | None = Query(None, alias="filter[assignee_id]"),
    record_type: str | None = Query(None, alias="filter[record_type]"),
    record_id: str | None = Query(None, alias="filter[record_id]"),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """User tasks, newest first."""
    filters = {
        name: value.split(",")
        for name, value in (
            ("state", state),
            ("instance_id", instance_id),
            ("assignee_id", assignee_id),
            ("record_type", record_type),
            ("record_id", record_id),
        )
        if value
    }
    query = {"limit": limit, "cursor": cursor, "filter": filters, "mine": mine}
    return await rpc.call("processes", "list_process_tasks", query, actor=actor)


@router.get("/process-tasks/{task_id}", response_model=TaskOut, operation_id="get_process_task")
async def get_task(
    task_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The task with its form (``[{name, type}]``)."""
    return await rpc.call("processes", "get_process_task", task_id, actor=actor)


@router.post(
    "/process-tasks/{task_id}/complete",
    response_model=TaskOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
    operation_id="complete_process_task",
)
async def complete_task(
    request: Request,
    task_id: str = Path(),
    body: TaskCompleteIn | None = None,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Complete the task with its form's data; the process goes on and its activity is
    completed too. 403 for another's task, 409 when done already, 422 off the form."""
    return await rpc.call(
        "processes",
        "complete_process_task",
        task_id,
        body.data if body else None,
        actor=actor,
        expected_version=expected_version(request),
    )
