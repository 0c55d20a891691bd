"""``osprey demo-data``: the demo data of every service, loaded in the order they
build on each other.

The people come first, straight into the identity schema (:mod:`osprey.identity`);
then each service's own ``demo.py`` loads its records through the running service
by RPC, like any client, so the events flow as they would: leads, then sales
(accounts, contacts, deals, activities, plans), then orders (made from the deals
sales won), then the feed. Each loader is safe to run again: what exists is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from services.feed import demo as feed_demo
from services.leads import demo as leads_demo
from services.orders import demo as orders_demo
from services.platform.config import settings
from services.sales import demo as sales_demo

from .identity import demo_people, identity_session


class ServiceNotAnswering(Exception):
    """A service the demo data goes through does not answer (not started, or stuck)."""

    def __init__(self, service: str, note: str = "") -> None:
        self.service = service
        super().__init__(
            f"the {service} service does not answer; start it (osprey run {service}) and "
            f"run demo-data again.{note}"
        )


@dataclass(frozen=True)
class DemoLoaded:
    """What one run created: the people's logins and how many records each service made
    (0: its demo data was there already)."""

    people: dict[str, Any]
    leads: int
    sales: int
    orders: int
    feed: int
    processes: list[str]


def load_demo() -> DemoLoaded:
    """Create whatever demo data is missing. Raises :class:`ServiceNotAnswering` when a
    service does not answer (what was loaded before it stays)."""
    with identity_session() as db:
        people = demo_people(db)
    actor, owner_ids, team_id = people["admin_actor"], people["owner_ids"], people["team_id"]
    leads = _through(
        "leads",
        lambda cluster: leads_demo.load_demo(cluster.leads, actor, owner_ids, team_id),
        note=" The demo users were created.",
    )
    sales = _through(
        "sales",
        lambda cluster: sales_demo.load_demo(cluster.sales, actor, owner_ids, team_id),
    )
    orders = _through(
        "orders",
        lambda cluster: orders_demo.load_demo(cluster.orders, cluster.sales, actor),
    )
    feed = _through(
        "feed",
        lambda cluster: feed_demo.load_demo(cluster.feed, actor, people["people"]),
    )
    # Last, so the shipped processes start for the leads and deals users make from now
    # on, not for the demo's own (a process users already have is left as it is).
    processes = _through(
        "processes",
        lambda cluster: [d["name"] for d in cluster.processes.ensure_shipped_process_definitions()],
    )
    return DemoLoaded(people, leads, sales, orders, feed, processes)


def _through(service: str, load: Callable[[Any], Any], note: str = "") -> Any:
    """Run ``load`` with an RPC cluster proxy; a service that does not answer becomes
    :class:`ServiceNotAnswering` naming ``service``."""
    # Imported here: only demo-data talks RPC, and the other commands start faster.
    from nameko.exceptions import RpcTimeout, UnknownService
    from nameko.standalone.rpc import ClusterRpcProxy

    s = settings()
    config = {"AMQP_URI": s.amqp_uri, "serializer": "json"}
    try:
        with ClusterRpcProxy(config, timeout=s.rpc_timeout) as cluster:
            return load(cluster)
    except (UnknownService, RpcTimeout):
        raise ServiceNotAnswering(service, note) from None
