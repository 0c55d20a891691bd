"""What the analytics service's parts are given: the database and the proxies of the
services it rebuilds from.

Each part (event handlers, reports, charts, dashboards, the rebuild) is a class of
entrypoints on :class:`AnalyticsBase`, which declares the dependency providers and
nothing else; ``service.py`` puts the parts together (docs/architecture.md).
"""

from __future__ import annotations

from nameko.rpc import RpcProxy

from services.platform.db import Database

from .models import metadata


class AnalyticsBase:
    """The providers: the database (the read models), the owning services, identity."""

    name = "analytics"

    db = Database(metadata)
    leads = RpcProxy("leads")
    sales = RpcProxy("sales")
    orders = RpcProxy("orders")
    # names the users and teams of an exported report
    identity = RpcProxy("identity")
