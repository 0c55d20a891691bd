"""The processes service's event gate (:mod:`services.platform.event_gate`): a record's
``*_created`` event can only start a process — no instance is about a record before it
exists — so the queue of its handler is bound only while a deployed start is bound to
that event. Every other record event may wake a waiting instance and stays bound."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from services.platform import event_gate

from . import store

log = logging.getLogger(__name__)

#: the gate's lock, and how often its bindings are made right again
GATE = "processes.start_events"
GATE_SECONDS = 10


def start_only(method_name: str) -> bool:
    """The handlers the gate binds and unbinds: those of the created events."""
    return method_name.endswith("_created")


def gate_for_deploy(service: Any, triggers: Iterable[dict[str, Any]]) -> None:
    """Before a deployment commits: its starts' events bound, under the gate's lock
    (held to the commit), so no event after the commit is missed."""
    event_gate.lock(service.db, GATE)
    service.event_gate.bind(t["name"] for t in triggers if t["kind"] == "signal")


def refresh_gate(service: Any) -> None:
    """The gated queues bound to the deployed starts' events again (its own commit);
    a failure is logged and left to the next tick."""
    try:
        event_gate.lock(service.db, GATE)
        service.event_gate.apply(store.start_signal_names(service.db))
        service.db.commit()
    except Exception:  # the broker or the database away
        service.db.rollback()
        log.warning("processes: the start events' bindings not refreshed", exc_info=True)
