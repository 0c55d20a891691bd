"""Opportunities: served by the sales service."""

from __future__ import annotations

from fastapi import APIRouter

from ..problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["opportunities"], responses=PROBLEM_RESPONSES)
