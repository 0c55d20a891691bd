"""Process instances: start one by hand, send a message, the list with filters, one
with its log, and an administrator's repairs (retry, skip, cancel, migrate).

Served by the processes service (docs/processes.md).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Response
from pydantic import Field

from ..auth import current_actor, rpc_client
from ..listing import MAX_LIMIT
from ..rpc import RpcClient
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from .common import require_json

router = APIRouter(prefix="/api/v1", tags=["processes"])

Actor = dict[str, Any]


class StartIn(RequestModel):
    definition_id: str
    record_type: str | None = None
    record_id: str | None = None
    data: dict[str, Any] | None = None


class MessageIn(RequestModel):
    name: str = Field(min_length=1, max_length=200)
    data: dict[str, Any] | None = None
    record_type: str | None = None
    record_id: str | None = None


class SkipIn(RequestModel):
    task_id: str | None = None
    data: dict[str, Any] | None = None


class InstanceCancelIn(RequestModel):
    reason: str | None = Field(default=None, max_length=500)


class MigrateIn(RequestModel):
    version: int = Field(ge=1)


class InstanceOut(ResponseModel):
    id: str
    definition_id: str
    version: int
    name: str
    state: str
    record_type: str | None = None
    record_id: str | None = None
    started_at: str
    next_due_at: str | None = None
    current: list[dict[str, Any]] = []
    error: dict[str, Any] | None = None


class InstanceDetail(InstanceOut):
    log: list[dict[str, Any]] = []
    tasks: list[dict[str, Any]] = []
    calls: list[dict[str, Any]] = []


class InstancePage(ResponseModel):
    items: list[InstanceOut]
    next_cursor: str | None = None


class MessageOut(ResponseModel):
    started: list[str]
    continued: list[str]


def _filters(**values: str | None) -> dict[str, list[str]]:
    return {k: v.split(",") for k, v in values.items() if v}


@router.get(
    "/process-instances", response_model=InstancePage, operation_id="list_process_instances"
)
async def list_instances(
    limit: int = Query(50, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None),
    definition_id: str | None = Query(None, alias="filter[definition_id]"),
    status: str | None = Query(
        None, alias="filter[state]", description="running, waiting, completed, failed, cancelled"
    ),
    record_type: str | None = Query(None, alias="filter[record_type]"),
    record_id: str | None = Query(None, alias="filter[record_id]"),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Instances, newest first; a record's Process tab filters by ``record_type`` and
    ``record_id``."""
    query = {
        "limit": limit,
        "cursor": cursor,
        "filter": _filters(
            definition_id=definition_id, status=status, record_type=record_type, record_id=record_id
        ),
    }
    return await rpc.call("processes", "list_process_instances", query, actor=actor)


@router.post(
    "/process-instances",
    status_code=201,
    response_model=InstanceDetail,
    dependencies=[Depends(require_json)],
    operation_id="start_process_instance",
)
async def start_instance(
    body: StartIn,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Start the deployed version of a process by hand, about a record or not."""
    record = await rpc.call("processes", "start_process_instance", body.changes(), actor=actor)
    response.headers["Location"] = f"/api/v1/process-instances/{record['id']}"
    return record


@router.post(
    "/process-instances/messages",
    response_model=MessageOut,
    dependencies=[Depends(require_json)],
    operation_id="send_process_message",
)
async def send_message(
    body: MessageIn, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """Deliver a BPMN message: starts the processes that start on it, continues the
    instances waiting for it (only those about the record, when one is named)."""
    return await rpc.call(
        "processes",
        "send_process_message",
        body.name,
        body.data,
        actor=actor,
        record_type=body.record_type,
        record_id=body.record_id,
    )


@router.get(
    "/process-instances/{instance_id}",
    response_model=InstanceDetail,
    operation_id="get_process_instance",
)
async def get_instance(
    instance_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The instance, where it stands (``current``: element ids to highlight), its log,
    user tasks and action calls."""
    return await rpc.call("processes", "get_process_instance", instance_id, actor=actor)


@router.post(
    "/process-instances/{instance_id}/retry",
    response_model=InstanceDetail,
    dependencies=[Depends(require_json)],
    operation_id="retry_process_instance",
)
async def retry(
    instance_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Run the failed step again (administrators)."""
    await rpc.call("processes", "retry_process_instance", instance_id, actor=actor)
    return await rpc.call("processes", "get_process_instance", instance_id, actor=actor)


@router.post(
    "/process-instances/{instance_id}/skip",
    response_model=InstanceDetail,
    dependencies=[Depends(require_json)],
    operation_id="skip_process_step",
)
async def skip(
    instance_id: str = Path(),
    body: SkipIn | None = None,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Complete the failed step as if it had worked and go on (administrators)."""
    await rpc.call(
        "processes",
        "skip_process_step",
        instance_id,
        actor=actor,
        task_id=body.task_id if body else None,
        data=body.data if body else None,
    )
    return await rpc.call("processes", "get_process_instance", instance_id, actor=actor)


@router.post(
    "/process-instances/{instance_id}/cancel",
    response_model=InstanceDetail,
    dependencies=[Depends(require_json)],
    operation_id="cancel_process_instance",
)
async def cancel(
    instance_id: str = Path(),
    body: InstanceCancelIn | None = None,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """End the instance; its open tasks and their activities are cancelled (administrators)."""
    await rpc.call(
        "processes",
        "cancel_process_instance",
        instance_id,
        actor=actor,
        reason=body.reason if body else None,
    )
    return await rpc.call("processes", "get_process_instance", instance_id, actor=actor)


@router.post(
    "/process-instances/{instance_id}/migrate",
    response_model=InstanceDetail,
    dependencies=[Depends(require_json)],
    operation_id="migrate_process_instance",
)
async def migrate(
    body: MigrateIn,
    instance_id: str = Path(),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Move the instance to another version when its waiting tasks match (administrators)."""
    await rpc.call("processes", "migrate_process_instance", instance_id, body.version, actor=actor)
    return await rpc.call("processes", "get_process_instance", instance_id, actor=actor)
