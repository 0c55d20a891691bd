"""Bulk work on many records of one list (the list's selection): assign an owner, change
a field, delete, or post the same words on each record's feed.

``POST /bulk-actions {entity, action, ids | all_matching (filter, q), ...}`` does each
record through the very call a single change makes — ``update_<record>``,
``delete_<record>`` or the feed's ``create_post`` — as the caller, with the version
the caller saw (``versions``, else the one read with the selection), so every record is
still checked for rights, state and version: each answers ``done`` or ``refused`` with
the service's reason and status. Up to ``SYNC_MAX`` ids are answered at once (200);
a larger selection, or all the records a filter matches, is a job (202, ``Location``)
whose ``GET /bulk-actions/{id}`` tells its progress and the records' results.
``dry_run`` counts the selection and changes nothing (what the confirmation says).

The jobs live in this gateway process (one replica, deploy/k8s/gateway.yaml) for an hour
after they end; a restart forgets them, and the records done by then stay done.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations.

import asyncio
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from services.platform.errors import NotFound, OspreyError, ValidationFailed

from ..auth import current_actor, rpc_client
from ..problems import PROBLEM_RESPONSES
from ..rpc import RpcClient, RpcFailure
from ..schemas import AccountUpdate, ContactUpdate, LeadUpdate
from ..schemas import Response as ResponseModel
from .activities import ActivityUpdate
from .common import require_json
from .exports import LISTS
from .invoices import InvoiceFields
from .opportunities import OpportunityUpdate
from .orders import OrderFields
from .products import PriceListFields, ProductFields

router = APIRouter(prefix="/api/v1", tags=["bulk actions"], responses=PROBLEM_RESPONSES)

Actor = dict[str, Any]
PATH = "/api/v1/bulk-actions"
#: the most ids one request names
MAX_IDS = 5000
#: the most records all_matching takes
MAX_MATCHING = 50_000
#: up to this many ids the answer is the results themselves
SYNC_MAX = 20
#: records done at once
PARALLEL = 4
#: how long an ended job is kept
KEEP_SECONDS = 3600
PAGE = 500
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


@dataclass(frozen=True)
class Target:
    service: str
    singular: str
    update_model: type[BaseModel]
    deletable: bool = True
    #: the feed's name for the record (None: no feed)
    feed_type: str | None = None
    #: whether the record has an owner to assign
    owned: bool = True


TARGETS: dict[str, Target] = {
    "leads": Target("leads", "lead", LeadUpdate, feed_type="lead"),
    "accounts": Target("sales", "account", AccountUpdate, feed_type="account"),
    "contacts": Target("sales", "contact", ContactUpdate, feed_type="contact"),
    "opportunities": Target("sales", "opportunity", OpportunityUpdate, feed_type="opportunity"),
    "activities": Target("sales", "activity", ActivityUpdate),
    "products": Target("orders", "product", ProductFields, owned=False),
    "price-lists": Target("orders", "price_list", PriceListFields, owned=False),
    "orders": Target("orders", "order", OrderFields, deletable=False, feed_type="order"),
    "invoices": Target("orders", "invoice", InvoiceFields, deletable=False, feed_type="invoice"),
}
Entity = Literal[
    "leads", "accounts", "contacts", "opportunities", "activities", "products",
    "price-lists", "orders", "invoices",
]  # fmt: skip
RecordId = Annotated[str, Field(pattern=UUID_PATTERN)]


class BulkActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity: Entity
    action: Literal["assign", "update", "delete", "post"]
    ids: list[RecordId] | None = Field(
        None, min_length=1, max_length=MAX_IDS, description="The selected records"
    )
    versions: dict[str, int] = Field(
        default_factory=dict,
        description="The version of each selected record the caller saw (a stale one is "
        "refused with 409 for that record)",
    )
    all_matching: bool = Field(
        False, description="Every record the list's filter and search match (not ids)"
    )
    filter: dict[str, str | list[str]] = Field(
        default_factory=dict, description="With all_matching: the list's filter[field] values"
    )
    q: str | None = Field(None, max_length=200, description="With all_matching: the search")
    owner_id: RecordId | None = Field(None, description="assign: the new owner")
    changes: dict[str, Any] | None = Field(
        None, description="update: the fields to set, as the record's PATCH takes them"
    )
    text: str | None = Field(
        None, min_length=1, max_length=10_000, description="post: the words posted"
    )
    dry_run: bool = Field(False, description="Count the selection; change nothing")

    @model_validator(mode="after")
    def _complete(self) -> "BulkActionIn":
        target = TARGETS[self.entity]
        if (self.ids is None) == (not self.all_matching):
            raise ValueError("give either ids or all_matching")
        if self.dry_run:
            return self  # only counted: what the action needs is asked when it is done
        if self.action == "assign" and (self.owner_id is None or not target.owned):
            raise ValueError(
                "assign needs owner_id" if target.owned else f"{self.entity} have no owner"
            )
        if self.action == "update" and not self.changes:
            raise ValueError("update needs changes")
        if self.action == "delete" and not target.deletable:
            raise ValueError(f"{self.entity} are not deleted (cancel them instead)")
        if self.action == "post" and (not self.text or not self.text.strip()):
            raise ValueError("post needs text")
        if self.action == "post" and target.feed_type is None:
            raise ValueError(f"{self.entity} have no feed")
        return self


class BulkResult(ResponseModel):
    id: str
    outcome: Literal["done", "refused"]
    status: int | None = Field(None, description="The refusal's HTTP status (403, 404, 409...)")
    reason: str | None = None


class BulkActionOut(ResponseModel):
    id: str | None = Field(None, description="The job's id (none for a dry run)")
    entity: str
    action: str
    state: Literal["counted", "running", "done", "failed"]
    total: int | None = Field(None, description="Records in the selection (once known)")
    done: int
    refused: int
    results: list[BulkResult]
    error: str | None = None
    created_at: str
    finished_at: str | None = None


@dataclass
class Job:
    id: str
    owner: str
    body: BulkActionIn
    changes: dict[str, Any]
    state: str = "running"
    total: int | None = None
    results: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    finished_at: str | None = None
    ended: float | None = None

    def view(self) -> dict[str, Any]:
        done = sum(1 for r in self.results if r["outcome"] == "done")
        return {
            "id": self.id,
            "entity": self.body.entity,
            "action": self.body.action,
            "state": self.state,
            "total": self.total,
            "done": done,
            "refused": len(self.results) - done,
            "results": self.results,
            "error": self.error,
            "created_at": self.created_at,
            "finished_at": self.finished_at,
        }


JOBS: dict[str, Job] = {}
_RUNNING: set[asyncio.Task[None]] = set()


def forget_old() -> None:
    now = time.monotonic()
    for job_id in [k for k, j in JOBS.items() if j.ended and now - j.ended > KEEP_SECONDS]:
        del JOBS[job_id]


def checked_changes(body: BulkActionIn) -> dict[str, Any]:
    """What each record's change sends, checked as the record's PATCH checks its body."""
    if body.action == "assign":
        return {"owner_id": body.owner_id}
    if body.action != "update":
        return {}
    model = TARGETS[body.entity].update_model
    try:
        return model.model_validate(body.changes).changes()  # type: ignore[attr-defined,no-any-return]
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": ("body", "changes", *e["loc"])} for e in exc.errors()]
        ) from exc


def list_query(body: BulkActionIn) -> dict[str, Any]:
    filters = {
        name: [v.strip() for v in (value.split(",") if isinstance(value, str) else value)
               if v.strip()]
        for name, value in body.filter.items()
    }  # fmt: skip
    query: dict[str, Any] = {"filter": filters}
    if body.q and body.q.strip():
        query["q"] = body.q.strip()
    return query


Picked = list[tuple[str, int | None]]


async def selection(body: BulkActionIn, actor: Actor, rpc: RpcClient) -> Picked:
    """``(id, version)`` of each selected record: the ids given with the versions the
    caller saw, or every record the list matches as the caller reads it now."""
    if body.ids is not None:
        unique = list(dict.fromkeys(i.lower() for i in body.ids))
        return [(i, body.versions.get(i)) for i in unique]
    service, method = LISTS[body.entity]
    query = list_query(body)
    found: Picked = []
    cursor = None
    while True:
        page = await rpc.call(
            service, method, {**query, "limit": PAGE, "cursor": cursor}, actor=actor
        )
        items = page["items"] if isinstance(page, dict) else page
        found.extend((r["id"], r.get("version")) for r in items)
        if len(found) > MAX_MATCHING:
            raise ValidationFailed(
                f"More than {MAX_MATCHING} records match; narrow the filter",
                [{"field": "all_matching", "message": f"at most {MAX_MATCHING} records"}],
            )
        cursor = page.get("next_cursor") if isinstance(page, dict) else None
        if not cursor:
            return found


def reason_of(exc: Exception) -> tuple[int, str]:
    if isinstance(exc, OspreyError):
        detail = "; ".join(
            f"{e.get('field')}: {e.get('message')}" for e in exc.errors if e.get("message")
        )
        return exc.status, f"{exc.message} ({detail})" if detail else exc.message
    if isinstance(exc, RpcFailure):
        return exc.status, exc.title
    return 500, "Internal server error"


async def do_one(
    body: BulkActionIn, changes: dict[str, Any], record_id: str, version: int | None,
    actor: Actor, rpc: RpcClient,
) -> dict[str, Any]:  # fmt: skip
    target = TARGETS[body.entity]
    try:
        if body.action in ("assign", "update"):
            await rpc.call(
                target.service, f"update_{target.singular}", record_id, changes,
                actor=actor, expected_version=version,
            )  # fmt: skip
        elif body.action == "delete":
            await rpc.call(
                target.service, f"delete_{target.singular}", record_id,
                actor=actor, expected_version=version,
            )  # fmt: skip
        else:
            # the record as the caller reads it (the feed knows owners, not every right)
            await rpc.call(target.service, f"get_{target.singular}", record_id, actor=actor)
            await rpc.call(
                "feed", "create_post",
                {"related": {"type": target.feed_type, "id": record_id}, "text": body.text},
                actor=actor,
            )  # fmt: skip
    except (OspreyError, RpcFailure) as exc:
        status, reason = reason_of(exc)
        return {"id": record_id, "outcome": "refused", "status": status, "reason": reason}
    return {"id": record_id, "outcome": "done", "status": None, "reason": None}


async def run(job: Job, picked: Picked | None, actor: Actor,
              rpc: RpcClient) -> None:  # fmt: skip
    try:
        if picked is None:
            picked = await selection(job.body, actor, rpc)
        job.total = len(picked)
        gate = asyncio.Semaphore(PARALLEL)

        async def one(record_id: str, version: int | None) -> None:
            async with gate:
                job.results.append(
                    await do_one(job.body, job.changes, record_id, version, actor, rpc)
                )

        await asyncio.gather(*(one(i, v) for i, v in picked))
        job.state = "done"
    except Exception as exc:  # noqa: BLE001 - the job says why it stopped
        job.state = "failed"
        job.error = reason_of(exc)[1]
    finally:
        job.finished_at = datetime.now(UTC).isoformat()
        job.ended = time.monotonic()


@router.post(
    "/bulk-actions",
    response_model=BulkActionOut,
    dependencies=[Depends(require_json)],
    responses={
        202: {"model": BulkActionOut, "description": "A job, for a larger selection"},
    },
    operation_id="create_bulk_action",
)
async def create_bulk_action(
    body: BulkActionIn,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Any:
    """Assign, change, delete or post on many records: each record checked for rights,
    state and version and answered `done` or `refused` with the reason. Up to 20 ids
    answer at once (200); more, or `all_matching`, make a job (202 with `Location`).
    `dry_run` answers how many records the selection holds."""
    changes = {} if body.dry_run else checked_changes(body)
    forget_old()
    job = Job(id=str(uuid.uuid4()), owner=str(actor.get("id")), body=body, changes=changes)
    if body.dry_run:
        picked = await selection(body, actor, rpc)
        job.total, job.state, job.id = len(picked), "counted", None  # type: ignore[assignment]
        job.finished_at = job.created_at
        return job.view()
    if body.ids is not None and len(body.ids) <= SYNC_MAX:
        await run(job, await selection(body, actor, rpc), actor, rpc)
        return job.view()
    JOBS[job.id] = job
    task = asyncio.create_task(run(job, None, actor, rpc))
    _RUNNING.add(task)
    task.add_done_callback(_RUNNING.discard)
    return JSONResponse(job.view(), status_code=202, headers={"Location": f"{PATH}/{job.id}"})


@router.get("/bulk-actions/{bulk_action_id}", response_model=BulkActionOut,
            operation_id="get_bulk_action")  # fmt: skip
async def get_bulk_action(
    bulk_action_id: Annotated[str, Path()],
    actor: Actor = Depends(current_actor),
) -> Any:
    """The job's state, its progress (`total`, `done`, `refused`) and each record's
    result so far; only its maker sees it."""
    job = JOBS.get(bulk_action_id)
    if job is None or job.owner != str(actor.get("id")):
        raise NotFound("No such bulk action")
    return job.view()
