"""lead process: served by the leads service."""

from __future__ import annotations

from fastapi import APIRouter

from ..problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/api/v1", tags=["leads"], responses=PROBLEM_RESPONSES)
