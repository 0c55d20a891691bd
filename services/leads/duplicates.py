"""Similar leads and merging them."""

from __future__ import annotations

from .base import LeadsBase


class DuplicatesRpc(LeadsBase):
    """Similar leads and merging them."""
