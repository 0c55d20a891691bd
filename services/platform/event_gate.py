"""Event queues bound only to the events a service wants now.

Nameko binds every ``@event_handler``'s queue to its event when the service starts, so
a consumer pays for each event — delivery, a worker, its dependencies, a read to learn
it wants nothing, the acknowledgement — even when no row of its own asks for that
event. A webhook service with no webhook subscribed to ``lead_created``, or a process
engine with no start bound to it, still received every lead created (about 1.5 ms of
CPU each, on two shared cores).

:class:`EventGate` keeps the broker's bindings of chosen handlers' queues to what the
service wants: ``gate.apply(wanted)`` binds the queue of each gated handler whose event
type is in ``wanted`` and unbinds the others (the queue stays, with what it already
holds, and is still consumed). The service decides what it wants from its own rows, and
keeps it right in three places:

* a change that makes an event wanted binds it *before* its transaction commits
  (``gate.bind``), under the gate's lock taken first in that transaction
  (:func:`lock`), so no event after the commit is missed;
* after a change, and on a timer (which also heals a reconnection, where kombu binds
  every queue again), ``lock`` → read what is wanted → ``apply`` → commit: the lock
  makes the last reader apply the last committed state;
* each gated handler keeps its own check of whether it wants the event, so an event
  delivered while a binding is on its way out is still dropped correctly.

With several instances of a service the queues are shared, so the bindings are too.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from eventlet.semaphore import Semaphore
from kombu import Connection
from nameko.events import EventHandler
from nameko.extensions import DependencyProvider

log = logging.getLogger(__name__)


def lock(db: Any, name: str) -> None:
    """The gate's lock for ``name`` (one per service), held to the end of ``db``'s
    transaction: changes of what is wanted and the appliers take turns."""
    db.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:name))"), {"name": name})


class Gate:
    """What a worker holds: ``bind`` and ``apply``."""

    def __init__(self, provider: EventGate):
        self._provider = provider

    def bind(self, event_types: Iterable[str]) -> None:
        """Bind the queues of the gated handlers of ``event_types`` (nothing unbound)."""
        wanted = set(event_types)
        self._provider.change(bind=[h for h in self._provider.handlers() if h.event_type in wanted])

    def apply(self, wanted: Iterable[str]) -> dict[str, bool]:
        """Bind the gated handlers of ``wanted`` and unbind the rest:
        ``{event type: bound}``."""
        wanted = set(wanted)
        handlers = self._provider.handlers()
        self._provider.change(
            bind=[h for h in handlers if h.event_type in wanted],
            unbind=[h for h in handlers if h.event_type not in wanted],
        )
        return {h.event_type: h.event_type in wanted for h in handlers}


class EventGate(DependencyProvider):
    """The gate over the service's event handlers that ``gated(method_name)`` picks
    (all of them by default)."""

    def __init__(self, gated: Callable[[str], bool] | None = None):
        self.gated = gated or (lambda name: True)

    def handlers(self) -> list[EventHandler]:
        return sorted(
            (
                extension
                for extension in self.container.entrypoints
                if isinstance(extension, EventHandler) and self.gated(extension.method_name)
            ),
            key=lambda handler: handler.method_name,
        )

    def setup(self) -> None:
        self._connection: Connection | None = None
        self._lock = Semaphore()

    def stop(self) -> None:
        self._close()

    def _close(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(Exception):  # closing one that already failed
                self._connection.release()
            self._connection = None

    def change(
        self, bind: Iterable[EventHandler] = (), unbind: Iterable[EventHandler] = ()
    ) -> None:
        """Bind and unbind, on one connection kept for the gate (made again after a
        failure, which is raised: the caller's next apply tries again)."""
        calls = [("queue_bind", h) for h in bind] + [("queue_unbind", h) for h in unbind]
        if not calls:
            return
        with self._lock:
            try:
                if self._connection is None:
                    self._connection = Connection(self.container.config["AMQP_URI"])
                channel = self._connection.default_channel
                for method, handler in calls:
                    getattr(channel, method)(
                        queue=handler.queue.name,
                        exchange=handler.queue.exchange.name,
                        routing_key=handler.event_type,
                    )
            except Exception:
                self._close()
                raise
        log.debug("event gate: %s", [(method, h.event_type) for method, h in calls])

    def get_dependency(self, worker_ctx: Any) -> Gate:
        return Gate(self)
