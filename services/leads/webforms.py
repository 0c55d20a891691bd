"""Web forms: leads from a website without a login, and the lookups."""

from __future__ import annotations

from .base import LeadsBase


class WebFormsRpc(LeadsBase):
    """Web forms: leads from a website without a login, and the lookups."""
