"""Forecasts: plans per user or team and period, with fact and pipeline.

Served by the sales service (docs/rpc.md). ``GET /forecasts`` is filtered like every
list, ``filter[<field>]=a,b`` (``period_kind``, ``period_start``, ``owner_id``,
``team_id``, ``currency``), besides ``limit``, ``cursor`` and ``sort``; the plain
parameters it took first (``period_kind=month``, ``owner_id=a,b``) still work and mean
the same. Only administrators and sales managers create, change and delete plans.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Depends, Query, Request

from ..auth import current_actor, rpc_client
from ..listing import DEFAULT_LIMIT, FILTER_PARAMETER_DOC, MAX_LIMIT, parse_list_query
from ..rpc import RpcClient
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from .records import record_routes

router = APIRouter(prefix="/api/v1", tags=["forecasts"])

Actor = dict[str, Any]
Money = str | int | float

#: The plain query parameters that filter the list (``filter[<name>]`` as well), as the
#: sales service names them.
FILTERS = ("period_kind", "period_start", "owner_id", "team_id", "currency")


class ForecastCreate(RequestModel):
    # Either owner_id (a user's plan) or team_id (a team's plan). period_start is the
    # first day of the month, quarter or year; the sales service checks the values.
    owner_id: str | None = None
    team_id: str | None = None
    period_kind: str | None = None
    period_start: str | None = None
    amount: Money | None = None
    currency: str | None = None


class ForecastUpdate(RequestModel):
    amount: Money | None = None


class ForecastOut(ResponseModel):
    id: str
    owner_id: str | None = None
    team_id: str | None = None
    period_kind: str
    period_start: str
    period_end: str
    currency: str
    plan_amount: str
    fact_amount: str
    pipeline_amount: str
    weighted_amount: str
    version: int
    created_at: str | None = None
    updated_at: str | None = None
    created_by: str | None = None


class ForecastPage(ResponseModel):
    items: list[ForecastOut]
    next_cursor: str | None = None


def forecast_query(raw_query: str) -> dict[str, Any]:
    """``?filter[period_kind]=month&owner_id=a,b&limit=20`` → the sales service's list query.

    The query every list takes (:func:`gateway.listing.parse_list_query`); a plain
    filter parameter is read as its ``filter[...]`` twin, and one with no value is
    left out, as it always was.
    """
    pairs: list[tuple[str, str]] = []
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        if key in FILTERS:
            if any(v.strip() for v in value.split(",")):
                pairs.append((f"filter[{key}]", value))
        else:
            pairs.append((key, value))
    return parse_list_query(urlencode(pairs))


@router.get("/forecasts", response_model=ForecastPage, openapi_extra=FILTER_PARAMETER_DOC)
async def list_forecasts(
    request: Request,
    # Declared for the OpenAPI document; the values are read from the raw query string.
    # The plain filters, each the same as its filter[...] twin.
    period_kind: str | None = Query(None, description="month, quarter or year"),
    period_start: str | None = Query(None, description="YYYY-MM-DD, a period's first day"),
    owner_id: str | None = Query(None, description="a user's plans"),
    team_id: str | None = Query(None, description="a team's plans"),
    currency: str | None = Query(None, description="ISO 4217"),
    limit: int = Query(DEFAULT_LIMIT, description=f"1..{MAX_LIMIT}"),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
    sort: str | None = Query(None, description="period_start (default -period_start), created_at"),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The plans the caller may read, each with ``fact_amount`` (won deals closing in the
    period), ``pipeline_amount`` (open ones) and ``weighted_amount`` (Σ amount ×
    probability / 100)."""
    query = forecast_query(request.url.query)
    return await rpc.call("sales", "list_forecast_plans", query, actor=actor)


# Set a plan (administrators and sales managers; 409 when the user or team has one for
# that period and currency already), read one with its figures, change its amount, delete.
record_routes(
    router,
    service="sales",
    path="forecasts",
    plural="forecast_plans",
    singular="forecast_plan",
    create_model=ForecastCreate,
    update_model=ForecastUpdate,
    out_model=ForecastOut,
    skip=("list",),  # the list above also takes the plain filter parameters
    id_name="forecast_id",
)
