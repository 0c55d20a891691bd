"""Scoring rules and the explainable score of each lead."""

from __future__ import annotations

from .base import LeadsBase


class ScoringRpc(LeadsBase):
    """Scoring rules and the explainable score of each lead."""
