"""The outbox relay: publishes committed events and marks them sent.

An event row is written in the same transaction as the change it describes
(:meth:`ServiceSession.emit`). The relay, a green thread in the same service
process, takes unsent rows with ``FOR UPDATE SKIP LOCKED`` (so replicas share the
work without sending a row twice at the same time), publishes each with publisher
confirms to Nameko's ``<service>.events`` exchange — where plain
``@event_handler`` consumers receive it — and marks it sent in that transaction.

A process that dies after commit leaves the row unsent: the next relay sends it.
A relay that dies after publishing but before marking sends it again: delivery is
at least once, and handlers are idempotent (:mod:`services.platform.idempotency`).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import sqlalchemy as sa
from nameko.amqp.publish import Publisher
from nameko.standalone.events import get_event_exchange
from sqlalchemy.engine import Engine

from .faults import failpoint

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        *,
        engine: Engine,
        outbox: sa.Table,
        service_name: str,
        config: dict[str, Any],
        poll_seconds: float = 1.0,
        batch_size: int = 200,
    ):
        self.engine = engine
        self.outbox = outbox
        self.service_name = service_name
        self.exchange = get_event_exchange(service_name, config)
        self.publisher = Publisher(config["AMQP_URI"], serializer=config.get("serializer", "json"))
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self._wake = threading.Event()
        self._stopped = False

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()

    def run(self) -> None:
        backoff = self.poll_seconds
        while not self._stopped:
            self._wake.clear()
            try:
                sent = self.relay_once()
                backoff = self.poll_seconds
            except Exception:
                log.exception("outbox relay of %s failed; retrying", self.service_name)
                sent = 0
                backoff = min(backoff * 2, 30.0)
            if sent >= self.batch_size:
                continue
            self._wake.wait(timeout=backoff)

    def relay_once(self) -> int:
        """Publish one batch of unsent events; return how many were sent."""
        t = self.outbox
        sent: list[str] = []
        with self.engine.begin() as conn:
            rows = conn.execute(
                sa.select(t.c.id, t.c.type, t.c.envelope)
                .where(t.c.sent_at.is_(None))
                .order_by(t.c.id)
                .limit(self.batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            try:
                for row in rows:
                    failpoint("outbox.before_publish")
                    self.publisher.publish(
                        row.envelope,
                        exchange=self.exchange,
                        routing_key=row.type,
                        headers={"osprey.event_id": row.id},
                        # the exchange exists only once someone declares it; a
                        # service with no consumer yet must not fail every publish
                        declare=[self.exchange],
                    )
                    failpoint("outbox.after_publish")
                    sent.append(row.id)
            finally:
                if sent:
                    conn.execute(t.update().where(t.c.id.in_(sent)).values(sent_at=sa.func.now()))
                unsent = [row.id for row in rows[len(sent) :]]
                if unsent:
                    conn.execute(
                        t.update().where(t.c.id.in_(unsent)).values(attempts=t.c.attempts + 1)
                    )
        return len(sent)
