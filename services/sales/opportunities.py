"""Opportunities: stages, stage history, tactics, competitors, the pipeline board."""

from __future__ import annotations

from .base import SalesBase


class OpportunitiesRpc(SalesBase):
    """Opportunities, their stages, stage history, tactics and competitors, the pipeline board."""
