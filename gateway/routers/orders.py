"""Products, price lists and their prices, orders and invoices: served by the orders service.

Products and price lists have the five record routes. Orders and invoices have no
``DELETE`` (their numbers are gap-free: cancel instead); their business actions are
``POST /orders/{id}/<verb>`` and ``POST /invoices/{id}/<verb>`` (docs/rpc.md).
"""

# No ``from __future__ import annotations``: FastAPI reads the route helpers' closures'
# annotations at run time, and they name the models passed in.

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field

from ..auth import current_actor, rpc_client
from ..listing import FILTER_PARAMETER_DOC, list_query
from ..problems import PROBLEM_RESPONSES
from ..rpc import RpcClient
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from .common import as_page, etag, expected_version, require_json
from .records import IF_MATCH_DOC, record_action, record_routes

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)

Actor = dict[str, Any]
# Money and percentages are decimal strings ("1500.00", "20"); numbers are accepted too.
# Formats and ranges are the orders service's to check (describe_products, …).
Decimalish = str | int | float

# --- products ---------------------------------------------------------------------------


class ProductFields(RequestModel):
    code: str | None = None
    name: str | None = None
    unit: str | None = None
    category: str | None = None
    is_active: bool | None = None
    description: str | None = None
    tax_rate: Decimalish | None = None


class ProductOut(ResponseModel):
    id: str
    code: str
    name: str
    unit: str | None = None
    category: str | None = None
    is_active: bool
    description: str | None = None
    tax_rate: str | None = None
    price: str | None = None
    currency: str | None = None
    version: int
    created_at: str | None = None
    updated_at: str | None = None
    created_by: str | None = None


class ProductPage(ResponseModel):
    items: list[ProductOut]
    next_cursor: str | None = None


class PriceListFields(RequestModel):
    name: str | None = None
    currency: str | None = None
    is_default: bool | None = None


class PriceListOut(ResponseModel):
    id: str
    name: str
    currency: str
    is_default: bool
    version: int
    created_at: str | None = None
    updated_at: str | None = None
    created_by: str | None = None


class PriceListPage(ResponseModel):
    items: list[PriceListOut]
    next_cursor: str | None = None


class PriceIn(RequestModel):
    price: Decimalish


class PriceOut(ResponseModel):
    price_list_id: str
    product_id: str
    product_code: str | None = None
    product_name: str | None = None
    price: str
    currency: str
    updated_at: str | None = None
    updated_by: str | None = None


class PriceList(ResponseModel):
    items: list[PriceOut]


record_routes(
    router,
    service="orders",
    path="products",
    plural="products",
    singular="product",
    create_model=ProductFields,
    update_model=ProductFields,
    out_model=ProductOut,
    page_model=ProductPage,
)
record_routes(
    router,
    service="orders",
    path="price-lists",
    plural="price_lists",
    singular="price_list",
    create_model=PriceListFields,
    update_model=PriceListFields,
    out_model=PriceListOut,
    page_model=PriceListPage,
)


@router.get("/price-lists/{price_list_id}/prices", response_model=PriceList, tags=["price-lists"])
async def list_prices(
    price_list_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The list's prices, by product code, in the list's currency."""
    return {"items": await rpc.call("orders", "list_prices", price_list_id, actor=actor)}


@router.put(
    "/price-lists/{price_list_id}/prices/{product_id}",
    response_model=PriceOut,
    dependencies=[Depends(require_json)],
    tags=["price-lists"],
)
async def set_price(
    price_list_id: str,
    product_id: str,
    body: PriceIn,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Set a product's price in the list `{price}` (sales managers and administrators)."""
    return await rpc.call("orders", "set_price", price_list_id, product_id, body.price, actor=actor)


@router.delete(
    "/price-lists/{price_list_id}/prices/{product_id}",
    status_code=204,
    response_class=Response,
    tags=["price-lists"],
)
async def remove_price(
    price_list_id: str,
    product_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """Take a product out of the list."""
    await rpc.call("orders", "remove_price", price_list_id, product_id, actor=actor)
    return Response(status_code=204)


# --- orders and invoices: list, create, get, change (no delete) -------------------------


def numbered_routes(
    *,
    path: str,
    plural: str,
    singular: str,
    create_model: type[BaseModel],
    update_model: type[BaseModel],
    out_model: type[BaseModel],
    page_model: type[BaseModel],
) -> None:
    """``GET/POST /<path>`` and ``GET/PATCH /<path>/{id}`` of a numbered record."""
    item_path = f"/{path}/{{{singular}_id}}"
    RecordId = Annotated[str, Path(alias=f"{singular}_id")]  # noqa: N806 - a type alias

    async def list_records(
        query: dict[str, Any] = Depends(list_query),
        actor: Actor = Depends(current_actor),
        rpc: RpcClient = Depends(rpc_client),
    ) -> dict[str, Any]:
        return as_page(await rpc.call("orders", f"list_{plural}", query, actor=actor))

    async def create_record(
        body: create_model,  # type: ignore[valid-type]
        response: Response,
        actor: Actor = Depends(current_actor),
        rpc: RpcClient = Depends(rpc_client),
    ) -> dict[str, Any]:
        record = await rpc.call("orders", f"create_{singular}", body.changes(), actor=actor)
        response.headers["Location"] = f"/api/v1/{path}/{record['id']}"
        response.headers["ETag"] = etag(record)
        return record

    async def get_record(
        record_id: RecordId,
        response: Response,
        actor: Actor = Depends(current_actor),
        rpc: RpcClient = Depends(rpc_client),
    ) -> dict[str, Any]:
        record = await rpc.call("orders", f"get_{singular}", record_id, actor=actor)
        response.headers["ETag"] = etag(record)
        return record

    async def update_record(
        record_id: RecordId,
        body: update_model,  # type: ignore[valid-type]
        request: Request,
        response: Response,
        actor: Actor = Depends(current_actor),
        rpc: RpcClient = Depends(rpc_client),
    ) -> dict[str, Any]:
        record = await rpc.call(
            "orders",
            f"update_{singular}",
            record_id,
            body.changes(),
            actor=actor,
            expected_version=expected_version(request),
        )
        response.headers["ETag"] = etag(record)
        return record

    tags = [path]
    router.add_api_route(
        f"/{path}",
        list_records,
        methods=["GET"],
        response_model=page_model,
        tags=tags,
        name=f"list_{plural}",
        description=f"The {plural} the caller may read, a page at a time (keyset cursor).",
        openapi_extra=FILTER_PARAMETER_DOC,
    )
    router.add_api_route(
        f"/{path}",
        create_record,
        methods=["POST"],
        status_code=201,
        response_model=out_model,
        dependencies=[Depends(require_json)],
        tags=tags,
        name=f"create_{singular}",
        description=f"Create a draft {singular} with the next number of the year.",
    )
    router.add_api_route(
        item_path,
        get_record,
        methods=["GET"],
        response_model=out_model,
        tags=tags,
        name=f"get_{singular}",
        description=f"One {singular}; its `ETag` is its version, to send back as `If-Match`.",
    )
    router.add_api_route(
        item_path,
        update_record,
        methods=["PATCH"],
        response_model=out_model,
        dependencies=[Depends(require_json)],
        openapi_extra=IF_MATCH_DOC,
        tags=tags,
        name=f"update_{singular}",
        description=f"Change some fields of a {singular}; with `If-Match`, only if nobody "
        "changed it since.",
    )


class OrderFields(RequestModel):
    account_id: str | None = None
    contact_id: str | None = None
    opportunity_id: str | None = None
    currency: str | None = None
    lines: list[dict[str, Any]] | None = None
    notes: str | None = None
    owner_id: str | None = None
    team_id: str | None = None


class OrderLineOut(ResponseModel):
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


class OrderOut(ResponseModel):
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


# The order lines are checked by the orders service, which names each bad field
# (``lines[1].quantity``); the gateway only checks they are objects.
numbered_routes(
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


@router.get("/orders/{order_id}/history", response_model=OrderHistory, tags=["orders"])
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


@router.get("/orders/{order_id}/accounting", response_model=OrderAccounting, tags=["orders"])
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


# --- invoices ---------------------------------------------------------------------------


class InvoiceFields(RequestModel):
    order_id: str | None = None
    account_id: str | None = None
    currency: str | None = None
    tax_total: Decimalish | None = None
    total: Decimalish | None = None
    due_date: str | None = None
    notes: str | None = None
    owner_id: str | None = None
    team_id: str | None = None


class InvoiceOut(ResponseModel):
    id: str
    number: str
    order_id: str | None = None
    account_id: str | None = None
    currency: str
    status: str
    subtotal: str
    discount_total: str
    tax_total: str
    total: str
    paid_amount: str
    due_date: str
    issued_at: str | None = None
    paid_at: str | None = None
    cancel_reason: str | None = None
    notes: str | None = None
    owner_id: str
    team_id: str | None = None
    version: int
    created_at: str | None = None
    updated_at: str | None = None
    created_by: str | None = None


class InvoicePage(ResponseModel):
    items: list[InvoiceOut]
    next_cursor: str | None = None


class PaymentIn(RequestModel):
    amount: Decimalish
    paid_at: str | None = None


class PaymentOut(ResponseModel):
    id: str
    invoice_id: str
    amount: str
    paid_at: str
    registered_by: str
    registered_at: str


class PaymentList(ResponseModel):
    items: list[PaymentOut]


numbered_routes(
    path="invoices",
    plural="invoices",
    singular="invoice",
    create_model=InvoiceFields,
    update_model=InvoiceFields,
    out_model=InvoiceOut,
    page_model=InvoicePage,
)


def invoice_action(verb: str, method: str, description: str, **options: Any) -> None:
    """``POST /invoices/{invoice_id}/<verb>`` calling the orders service's ``method``."""
    record_action(
        router,
        service="orders",
        path="invoices",
        id_name="invoice_id",
        verb=verb,
        method=method,
        out_model=InvoiceOut,
        description=description,
        tags=["invoices"],
        **options,
    )


invoice_action("issue", "issue_invoice", "draft → issued; 409 otherwise.")


invoice_action(
    "register-payment",
    "register_payment",
    "Record a payment `{amount, paid_at?}` of an issued or overdue invoice. Paying more than"
    " is outstanding is a 422; the invoice is `paid` once its payments reach the total.",
    body_model=PaymentIn,
)


invoice_action(
    "cancel",
    "cancel_invoice",
    "Cancel an invoice that is not paid, with an optional `reason`; 409 when paid.",
    body_model=CancelIn,
    body_required=False,
)


@router.get("/invoices/{invoice_id}/payments", response_model=PaymentList, tags=["invoices"])
async def list_payments(
    invoice_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The invoice's payments, oldest first."""
    return {"items": await rpc.call("orders", "list_payments", invoice_id, actor=actor)}


@router.get(
    "/invoices/{invoice_id}/pdf",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}, "description": "The invoice as PDF"}},
    tags=["invoices"],
)
async def invoice_pdf(
    invoice_id: str,
    download: bool = False,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """The printable invoice (`application/pdf`), named by its number.

    Shown in the browser (`inline`); `?download=true` asks to save it (`attachment`).
    """
    answer = await rpc.call("orders", "invoice_pdf", invoice_id, actor=actor)
    filename = answer["filename"]
    disposition = "attachment" if download else "inline"
    return Response(
        content=base64.b64decode(answer["content"]),
        media_type=answer["content_type"],
        headers={
            "Content-Disposition": f'{disposition}; filename="{filename}"',
            "Cache-Control": "private, no-store",
        },
    )


# --- settings ---------------------------------------------------------------------------


class OrdersSettingsIn(RequestModel):
    propose_order_on_win: bool | None = None


class OrdersSettingsOut(ResponseModel):
    propose_order_on_win: bool
    version: int
    updated_at: str | None = None
    updated_by: str | None = None


@router.get("/orders-settings", response_model=OrdersSettingsOut, tags=["orders"])
async def get_orders_settings(
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The orders settings (version 0 until an administrator first sets them)."""
    record = await rpc.call("orders", "get_orders_settings", actor=actor)
    return _with_etag(response, record)


@router.put(
    "/orders-settings",
    response_model=OrdersSettingsOut,
    dependencies=[Depends(require_json)],
    openapi_extra=IF_MATCH_DOC,
    tags=["orders"],
)
async def update_orders_settings(
    body: OrdersSettingsIn,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Change the settings that are sent (administrators): `propose_order_on_win` drafts
    an order for every won deal."""
    record = await rpc.call(
        "orders",
        "update_orders_settings",
        body.model_dump(exclude_unset=True),
        actor=actor,
        expected_version=expected_version(request),
    )
    return _with_etag(response, record)
