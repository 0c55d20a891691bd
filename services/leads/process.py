"""The lead process: qualify, disqualify, reopen, hand off, stage history, lookups use."""

from __future__ import annotations

from .base import LeadsBase


class ProcessRpc(LeadsBase):
    """The lead process: qualify, disqualify, reopen, hand off, stage history, lookups use."""
