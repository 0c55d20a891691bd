"""The analytics service: read models kept from every owning service's events, reports,
section charts and the Results page.

One Nameko service (``analytics``) made of parts, a module each, side by side on
:class:`services.analytics.dependencies.AnalyticsBase`, which declares the providers and
nothing else (docs/architecture.md). It never reads another service's tables.
"""

from __future__ import annotations

from .dashboards import DashboardsRpc
from .exports import ExportsRpc
from .handlers import HandlersMixin
from .imports import ImportsHandlers
from .reports import ReportsRpc


class AnalyticsService(HandlersMixin, ImportsHandlers, ReportsRpc, ExportsRpc, DashboardsRpc):
    """Every ``@rpc`` method and event handler of the parts, on one service."""

    name = "analytics"
