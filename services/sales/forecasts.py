"""Forecasts: plans per owner or team and period, with fact and pipeline."""

from __future__ import annotations

from .base import SalesBase


class ForecastsRpc(SalesBase):
    """Forecasts: plans per owner or team and period, with fact and pipeline."""
