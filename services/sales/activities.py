"""Activities (tasks, calls, meetings, emails) and their participants."""

from __future__ import annotations

from .base import SalesBase


class ActivitiesRpc(SalesBase):
    """Activities (tasks, calls, meetings, emails) and their participants."""
