"""Leads: served by the leads service."""

from __future__ import annotations

from fastapi import APIRouter

from ..schemas import LeadCreate, LeadOut, LeadPage, LeadUpdate
from .records import record_routes

router = APIRouter(prefix="/api/v1", tags=["leads"])
record_routes(
    router,
    service="leads",
    path="leads",
    plural="leads",
    singular="lead",
    create_model=LeadCreate,
    update_model=LeadUpdate,
    out_model=LeadOut,
    page_model=LeadPage,
)
