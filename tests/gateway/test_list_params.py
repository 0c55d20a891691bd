"""The lists' query parameters in the OpenAPI document are the services' own: each
list's ``filter[<field>]``, ``sort`` and ``q`` match its ``ListSpec`` (issue 20)."""

from __future__ import annotations

import importlib
import re
from typing import Any

import pytest

from gateway import openapi
from gateway.app import create_app
from gateway.list_params import LISTS, ListParams
from gateway.listing import list_query

#: operation id → (module, name) of the service's ListSpec it is served by
SPECS = {
    "list_users": ("services.identity.store", "USER_LIST"),
    "list_leads": ("services.leads.store", "LIST_SPEC"),
    "list_accounts": ("services.sales.accounts_store", "ACCOUNT_LIST_SPEC"),
    "list_contacts": ("services.sales.contacts_store", "CONTACT_LIST_SPEC"),
    "list_opportunities": ("services.sales.opportunities_store", "OPPORTUNITY_LIST_SPEC"),
    "list_activities": ("services.sales.activities_store", "ACTIVITY_LIST_SPEC"),
    "list_forecasts": ("services.sales.forecasts_store", "PLAN_LIST_SPEC"),
    "list_products": ("services.orders.catalog_store", "PRODUCT_LIST_SPEC"),
    "list_price_lists": ("services.orders.catalog_store", "PRICE_LIST_SPEC"),
    "list_orders": ("services.orders.store", "ORDER_LIST_SPEC"),
    "list_invoices": ("services.orders.store", "INVOICE_LIST_SPEC"),
}


@pytest.mark.parametrize("op_id", sorted(SPECS))
def test_the_document_takes_what_the_service_spec_takes(op_id: str) -> None:
    module, name = SPECS[op_id]
    spec = getattr(importlib.import_module(module), name)
    params: ListParams = LISTS[op_id]
    assert params.filters == {k: (f.kind, tuple(f.options)) for k, f in spec.filters.items()}
    assert set(params.sorts) == set(spec.sorts)
    assert params.default_sort == spec.default_sort
    assert params.searchable == spec.searchable


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return create_app().openapi()


def test_every_list_the_gateway_reads_is_described() -> None:
    app = create_app()
    routes = openapi._route_contexts(app)
    doc = app.openapi()
    read_by_gateway = {
        doc["paths"][path][method]["operationId"]
        for (path, method), route in routes.items()
        if list_query in set(openapi._calls(route.dependant))
    }
    # forecasts read theirs with parse_list_query (a plan's period among the filters)
    missing = read_by_gateway - set(LISTS)
    assert not missing, f"describe these lists' query in gateway/list_params.LISTS: {missing}"
    assert read_by_gateway | {"list_forecasts"} == set(LISTS)


def test_filters_sort_and_limit_are_typed(document: dict[str, Any]) -> None:
    leads = document["paths"]["/api/v1/leads"]["get"]
    params = {p["name"]: p for p in leads["parameters"]}
    assert "filter" not in params
    stage = params["filter[stage]"]["schema"]
    assert re.search(stage["pattern"], "qualification,nurturing")
    assert not re.search(stage["pattern"], "won")
    owner = params["filter[owner_id]"]["schema"]["pattern"]
    assert re.search(owner, "0190e2a4-7c1e-7000-8000-000000000001")
    assert not re.search(owner, "me")
    created = params["filter[created_at]"]["schema"]["pattern"]
    assert re.search(created, "2026-01-01..2026-02-01")
    assert not re.search(created, "2026-01-01")
    assert "-created_at" in params["sort"]["schema"]["enum"]
    assert params["limit"]["schema"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 500,
        "default": 50,
    }
    forecasts = {p["name"] for p in document["paths"]["/api/v1/forecasts"]["get"]["parameters"]}
    assert "q" not in forecasts  # no search box there
