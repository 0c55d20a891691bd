"""Invoices and their payments, and the printable invoice: served by the orders service.

Invoices have no ``DELETE`` (their numbers are gap-free: cancel instead); their business
actions are ``POST /invoices/{id}/<verb>`` (docs/rpc.md).
"""

# No ``from __future__ import annotations``: FastAPI reads the route helpers' closures'
# annotations at run time, and they name the models passed in.

import base64
from typing import Any

from fastapi import APIRouter, Depends, Response

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from ..schemas import SentOut
from .numbered import numbered_routes
from .orders import CancelIn
from .records import record_action

router = APIRouter(prefix="/api/v1")

Actor = dict[str, Any]
# Money and percentages are decimal strings ("1500.00", "20"); numbers are accepted too.
# Formats and ranges are the orders service's to check (describe_products, …).
Decimalish = str | int | float


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


class InvoiceOut(SentOut):
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
    router,
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


@router.get(
    "/invoices/{invoice_id}/payments",
    response_model=PaymentList,
    tags=["invoices"],
    operation_id="list_invoice_payments",
)
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
    operation_id="get_invoice_pdf",
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
