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

This router checks the request (the change as the record's PATCH checks its body) and
hands the records to the imports service (services/integrations/imports/bulk.py), which
does each one: ``run_bulk_action`` for the ids answered at once, ``create_bulk_action``
for a job — a row in its database run by its runner, so the job outlives a restart of
any gateway or of the imports service and ``get_bulk_action`` answers it from every
gateway replica — and ``count_bulk_selection`` for a dry run. Ended jobs are kept an
hour.
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations.

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ..auth import current_actor, rpc_client
from ..problems import PROBLEM_RESPONSES
from ..rpc import RpcClient
from ..schemas import AccountUpdate, ContactUpdate, LeadUpdate
from ..schemas import Response as ResponseModel
from .activities import ActivityUpdate
from .common import require_json
from .invoices import InvoiceFields
from .opportunities import OpportunityUpdate
from .orders import OrderFields
from .products import PriceListFields, ProductFields

router = APIRouter(prefix="/api/v1", tags=["bulk actions"], responses=PROBLEM_RESPONSES)

Actor = dict[str, Any]
PATH = "/api/v1/bulk-actions"
#: the most ids one request names
MAX_IDS = 5000
#: up to this many ids the answer is the results themselves
SYNC_MAX = 20
#: the imports service's answer to a dry run or the ids done at once: a selection of
#: all that a filter matches is read a page at a time before it is counted
LONG_CALL_SECONDS = 120.0
UUID_PATTERN = r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"


@dataclass(frozen=True)
class Target:
    """What a request for the entity may ask (the imports service knows where each
    record is done)."""

    update_model: type[BaseModel]
    deletable: bool = True
    #: whether the record has a feed to post on
    has_feed: bool = True
    #: whether the record has an owner to assign
    owned: bool = True


TARGETS: dict[str, Target] = {
    "leads": Target(LeadUpdate),
    "accounts": Target(AccountUpdate),
    "contacts": Target(ContactUpdate),
    "opportunities": Target(OpportunityUpdate),
    "activities": Target(ActivityUpdate, has_feed=False),
    "products": Target(ProductFields, has_feed=False, owned=False),
    "price-lists": Target(PriceListFields, has_feed=False, owned=False),
    "orders": Target(OrderFields, deletable=False),
    "invoices": Target(InvoiceFields, deletable=False),
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
        if self.action == "post" and not target.has_feed:
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


def spec_of(body: BulkActionIn, changes: dict[str, Any]) -> dict[str, Any]:
    """What the imports service is given to do (services/integrations/imports/bulk.py)."""
    spec: dict[str, Any] = {"entity": body.entity, "action": body.action, "changes": changes,
                            "text": body.text}  # fmt: skip
    if body.ids is not None:
        return {**spec, "ids": body.ids, "versions": body.versions}
    return {**spec, "query": list_query(body)}


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
    spec = spec_of(body, changes)
    if body.dry_run:
        return await rpc.call(
            "imports", "count_bulk_selection", spec, actor=actor, timeout=LONG_CALL_SECONDS
        )
    if body.ids is not None and len(body.ids) <= SYNC_MAX:
        return await rpc.call(
            "imports", "run_bulk_action", spec, actor=actor, timeout=LONG_CALL_SECONDS
        )
    job = await rpc.call("imports", "create_bulk_action", spec, actor=actor)
    return JSONResponse(job, status_code=202, headers={"Location": f"{PATH}/{job['id']}"})


@router.get("/bulk-actions/{bulk_action_id}", response_model=BulkActionOut,
            operation_id="get_bulk_action")  # fmt: skip
async def get_bulk_action(
    bulk_action_id: Annotated[str, Path()],
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Any:
    """The job's state, its progress (`total`, `done`, `refused`) and each record's
    result so far; only its maker sees it."""
    return await rpc.call("imports", "get_bulk_action", bulk_action_id, actor=actor)
