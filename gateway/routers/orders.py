"""Orders: served by the orders service (docs/rpc.md).

Orders have no ``DELETE`` (their numbers are gap-free: cancel instead); their business
actions are ``POST /orders/{id}/<verb>``. The exchange with the accounting system
(docs/accounting.md) is read and driven here too: an order's message log, a stock
query, the reconciliation.
"""

# No ``from __future__ import annotations``: FastAPI reads the route helpers' closures'
# annotations at run time, and they name the models passed in.

from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import Field

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import OrderLineIn, SentOut
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from .common import etag, require_json
from .numbered import numbered_routes
from .records import record_action

router = APIRouter(prefix="/api/v1")

Actor = dict[str, Any]


class OrderFields(RequestModel):
    account_id: str | None = None
    contact_id: str | None = None
    opportunity_id: str | None = None
    currency: str | None = None
    lines: list[OrderLineIn] | None = None
    notes: str | None = None
    owner_id: str | None = None
    team_id: str | None = None


class OrderLineOut(SentOut):
    """A line; where products hide the caller the price, its price and every amount
    worked out from it (amount, discount_amount, net, tax, total) are absent, and
    where they hide the tax rate, its tax_rate, tax and total (docs/architecture.md,
    "Access rights")."""

    product_id: str
    quantity: str
    price: str
    discount: str
    tax_rate: str
    amount: str
    discount_amount: str
    net: str
    tax: str
    total: str


class OrderOut(SentOut):
    id: str
    number: str
    account_id: str | None = None
    contact_id: str | None = None
    opportunity_id: str | None = None
    currency: str
    status: str
    lines: list[OrderLineOut] = []
    subtotal: str
    discount_total: str
    tax_total: str
    total: str
    notes: str | None = None
    cancel_reason: str | None = None
    accounting_status: str | None = None
    accounting_note: str | None = None
    accounting_updated_at: str | None = None
    owner_id: str
    team_id: str | None = None
    version: int
    created_at: str | None = None
    updated_at: str | None = None
    created_by: str | None = None


class OrderPage(ResponseModel):
    items: list[OrderOut]
    next_cursor: str | None = None


class FromOpportunityIn(RequestModel):
    opportunity_id: str = Field(min_length=1, max_length=64)
    allow_another: bool = False


class CancelIn(RequestModel):
    reason: str | None = None


class OrderHistory(ResponseModel):
    items: list[dict[str, Any]]


# The order lines' values are checked by the orders service, which names each bad field
# (``lines[1].quantity``); the gateway checks their shape (OrderLineIn).
numbered_routes(
    router,
    path="orders",
    plural="orders",
    singular="order",
    create_model=OrderFields,
    update_model=OrderFields,
    out_model=OrderOut,
    page_model=OrderPage,
)


def _with_etag(response: Response, record: dict[str, Any]) -> dict[str, Any]:
    response.headers["ETag"] = etag(record)
    return record


@router.post(
    "/orders/from-opportunity",
    status_code=201,
    response_model=OrderOut,
    dependencies=[Depends(require_json)],
    tags=["orders"],
)
async def create_order_from_opportunity(
    body: FromOpportunityIn,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """A draft order from a deal: its account, contact, currency and product lines.

    A deal gets one order (409 while it has one that is not cancelled) unless
    `allow_another` is true.
    """
    record = await rpc.call(
        "orders",
        "create_order_from_opportunity",
        body.opportunity_id,
        actor=actor,
        allow_another=body.allow_another,
    )
    response.headers["Location"] = f"/api/v1/orders/{record['id']}"
    return _with_etag(response, record)


def order_action(verb: str, method: str, description: str, **options: Any) -> None:
    """``POST /orders/{order_id}/<verb>`` calling the orders service's ``method``."""
    record_action(
        router,
        service="orders",
        path="orders",
        id_name="order_id",
        verb=verb,
        method=method,
        out_model=OrderOut,
        description=description,
        tags=["orders"],
        **options,
    )


order_action("confirm", "confirm_order", "draft → confirmed (needs a line); 409 otherwise.")
order_action("start", "start_order", "confirmed → in_progress; 409 otherwise.")
order_action("ship", "ship_order", "in_progress → shipped; 409 otherwise.")
order_action("complete", "complete_order", "shipped → completed; 409 otherwise.")
order_action(
    "reserve",
    "reserve_order",
    "Send the reservation request to the accounting system again (a confirmed or in-progress"
    " order whose accounting status is not_sent, rejected or waiting); 409 otherwise.",
)


order_action(
    "cancel",
    "cancel_order",
    "Cancel a draft, confirmed or in-progress order with an optional `reason`; 409 otherwise.",
    body_model=CancelIn,
    body_required=False,
)


@router.get(
    "/orders/{order_id}/history",
    response_model=OrderHistory,
    tags=["orders"],
    operation_id="list_order_history",
)
async def order_history(
    order_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The order's status changes, oldest first: `{from, to, reason, changed_by, changed_at}`."""
    return {"items": await rpc.call("orders", "order_history", order_id, actor=actor)}


# --- the accounting exchange (docs/accounting.md) ----------------------------------------


class AccountingMessage(ResponseModel):
    direction: str
    message_id: str | None = None
    type: str | None = None
    order_seq: int | None = None
    at: str | None = None
    state: str
    data: Any = None


class OrderAccounting(ResponseModel):
    order_id: str
    status: str
    note: str | None = None
    updated_at: str | None = None
    messages: list[AccountingMessage]


class Reconciliation(ResponseModel):
    checked_at: str
    orders: int
    payments: int
    differences: list[dict[str, Any]]


@router.get(
    "/orders/{order_id}/accounting",
    response_model=OrderAccounting,
    tags=["orders"],
    operation_id="get_order_accounting",
)
async def order_accounting(
    order_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The order's accounting status and its messages to and from the accounting system."""
    return await rpc.call("orders", "order_accounting", order_id, actor=actor)


@router.post("/orders/{order_id}/stock-query", tags=["orders"])
async def query_order_stock(
    order_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Ask the accounting system for the stock of the order's products; the answer
    (`stock_availability`) appears in `GET /orders/{id}/accounting`. Returns the message sent."""
    return await rpc.call("orders", "query_order_stock", order_id, actor=actor)


@router.post("/accounting/reconcile", response_model=Reconciliation, tags=["orders"])
async def reconcile_accounting(
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Compare the orders sent to accounting and their invoices' payments with the
    accounting system's own books (administrators): `differences: [{order_number |
    invoice_number, field, crm, accounting}]`. 503 when the accounting system does not
    answer in time."""
    return await rpc.call("orders", "reconcile_accounting", actor=actor, timeout=20.0)
