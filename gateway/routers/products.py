"""Products, price lists and their prices: served by the orders service.

Products and price lists have the five record routes, and a list's prices are set and
taken out one product at a time.
"""

# No ``from __future__ import annotations``: FastAPI reads the route helpers' closures'
# annotations at run time, and they name the models passed in.

from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import ConfigDict

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from ..schemas import SentOut
from .common import require_json
from .records import record_routes

router = APIRouter(prefix="/api/v1")

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


class ProductCreate(ProductFields):
    # the orders service names a missing code or name itself; the schema says they are needed
    model_config = ConfigDict(json_schema_extra={"required": ["code", "name"]})


class ProductOut(SentOut):
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


class PriceOut(SentOut):
    """A price in a list; the product's code, name, the price and its currency are absent
    where products hide the caller that field (docs/architecture.md, "Access rights")."""

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
    create_model=ProductCreate,
    update_model=ProductFields,
    out_model=ProductOut,
    page_model=ProductPage,
    tags=["products"],
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
    tags=["price-lists"],
)


@router.get(
    "/price-lists/{price_list_id}/prices",
    response_model=PriceList,
    tags=["price-lists"],
    operation_id="list_price_list_prices",
)
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
    operation_id="set_price_list_price",
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
    operation_id="remove_price_list_price",
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
