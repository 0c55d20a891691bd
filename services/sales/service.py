"""The sales service: accounts, contacts, opportunities, activities and forecasts.

One Nameko service (``sales``) made of parts, a module each; the shared steps
and the database live in :mod:`services.sales.base` (docs/architecture.md).
"""

from __future__ import annotations

from services.platform.name_index import NameIndexStatusRpc

from .accounts import AccountsRpc
from .activities import ActivitiesRpc
from .forecasts import ForecastsRpc
from .lead_links import LeadLinksHandlers
from .opportunities import OpportunitiesRpc


class SalesService(
    AccountsRpc,
    OpportunitiesRpc,
    ActivitiesRpc,
    ForecastsRpc,
    LeadLinksHandlers,
    NameIndexStatusRpc,
):
    """Every ``@rpc`` method of the parts, on one service."""

    name = "sales"
