"""The Results page (the home page after sign-in): widgets on a grid, each a report,
saved per user, with a team default a manager or an administrator shares."""

from __future__ import annotations

from typing import Any

from services.platform.access import Actor
from services.platform.errors import EXPECTED
from services.platform.rpc import rpc

from . import saved_store
from .dependencies import AnalyticsBase


class DashboardsRpc(AnalyticsBase):
    """The caller's Results page."""

    @rpc(expected_exceptions=EXPECTED)
    def get_results_page(self, *, actor: dict[str, Any]) -> dict[str, Any]:
        """The caller's own page, else their team's default, else Osprey's
        (``source``: ``mine``, ``team``, ``built_in``)."""
        return saved_store.results_page(self.db, Actor.from_dict(actor))

    @rpc(expected_exceptions=EXPECTED)
    def save_results_page(
        self,
        data: dict[str, Any],
        *,
        actor: dict[str, Any],
        team_default: bool = False,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Save ``{name, widgets: [{kind, title, report, x, y, w, h}]}`` as the caller's
        page, or (``team_default``, managers and administrators) as their team's."""
        out = saved_store.save_results_page(
            self.db,
            data,
            Actor.from_dict(actor),
            team_default=team_default,
            expected=expected_version,
        )
        self.db.commit()
        return out
