"""Distribution rules and assigning leads to owners."""

from __future__ import annotations

from .base import LeadsBase


class DistributionRpc(LeadsBase):
    """Distribution rules and assigning leads to owners."""
