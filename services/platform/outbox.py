"""The outbox relay: publishes committed events and marks them sent.

An event row is written in the same transaction as the change it describes
(:meth:`ServiceSession.emit`). The relay, a green thread in the same service
process, takes unsent rows with ``FOR UPDATE SKIP LOCKED`` (so replicas share the
work without sending a row twice at the same time), publishes them to Nameko's
``<service>.events`` exchange — where plain ``@event_handler`` consumers receive
them — with publisher confirms, waiting once for the whole batch's, and marks them
sent in that transaction.

A process that dies after commit leaves the row unsent: the next relay sends it.
A relay that dies after publishing but before marking sends it again: delivery is
at least once, and handlers are idempotent (:mod:`services.platform.idempotency`).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from kombu import Connection
from nameko.standalone.events import get_event_exchange
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine

from .faults import failpoint

log = logging.getLogger(__name__)

#: How long the relay waits for the broker to confirm a batch before it tries again.
CONFIRM_TIMEOUT_SECONDS = 10.0


class UnconfirmedPublish(Exception):
    """The broker refused (nacked) a message or did not confirm it in time."""


class BatchPublisher:
    """Publishes a batch of events to one exchange on one channel in confirm mode, and
    waits once for the broker's acknowledgements of all of them — not once per
    message, as a publisher that confirms each message would. The same messages as
    Nameko's event dispatcher sends (persistent JSON), so ``@event_handler`` consumes
    them. Used by one relay thread only; a failure closes the connection, and the
    next batch opens a new one."""

    def __init__(self, amqp_uri: str, exchange: Any, ssl: Any = None):
        self.amqp_uri = amqp_uri
        self.exchange = exchange
        self.ssl = ssl
        self._connection: Connection | None = None
        self._channel: Any = None
        self._acked = 0  # every delivery tag up to this one is confirmed
        self._nacked = False

    def _open(self) -> Any:
        if self._channel is not None:
            return self._channel
        connection = Connection(self.amqp_uri, ssl=self.ssl)
        try:
            channel = connection.channel()
            channel.exchange_declare(
                self.exchange.name,
                self.exchange.type,
                durable=self.exchange.durable,
                auto_delete=bool(self.exchange.auto_delete),
            )
            channel.confirm_select()
            channel.events["basic_ack"].add(self._on_ack)
            channel.events["basic_nack"].add(self._on_nack)
        except BaseException:
            connection.release()
            raise
        self._connection, self._channel = connection, channel
        self._acked, self._nacked = 0, False
        return channel

    def _on_ack(self, delivery_tag: int, multiple: bool) -> None:
        # Tags are confirmed in order here: one channel, one publisher.
        self._acked = max(self._acked, delivery_tag)

    def _on_nack(self, delivery_tag: int, multiple: bool) -> None:
        self._nacked = True

    def close(self) -> None:
        connection, self._connection, self._channel = self._connection, None, None
        if connection is not None:
            try:
                connection.release()
            except Exception:  # noqa: BLE001 - closing what may be broken already
                log.debug("ignored error while closing the relay's connection", exc_info=True)

    def publish(self, rows: list[Any]) -> None:
        """Publish ``rows`` (``id, type, envelope``) and return once all are confirmed;
        raise otherwise (nothing can then be taken as sent). A connection kept from an
        earlier batch that turns out broken (the broker restarted, an idle connection
        was cut) is replaced once."""
        reused = self._channel is not None
        try:
            self._publish(rows)
        except Exception:
            self.close()
            if not reused:
                raise
            log.info("the relay's broker connection broke; publishing on a new one")
            try:
                self._publish(rows)
            except BaseException:
                self.close()
                raise
        except BaseException:
            self.close()
            raise

    def _publish(self, rows: list[Any]) -> None:
        channel = self._open()
        last = self._acked
        for row in rows:
            failpoint("outbox.before_publish")
            message = channel.prepare_message(
                json.dumps(row.envelope),
                content_type="application/json",
                content_encoding="utf-8",
                headers={"osprey.event_id": row.id},
                properties={"delivery_mode": 2},
            )
            channel.basic_publish(message, exchange=self.exchange.name, routing_key=row.type)
            last += 1
        while self._acked < last and not self._nacked:
            self._connection.drain_events(timeout=CONFIRM_TIMEOUT_SECONDS)
        if self._nacked:
            raise UnconfirmedPublish("the broker refused an event")


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
        self.publisher = BatchPublisher(
            config["AMQP_URI"], self.exchange, ssl=config.get("AMQP_SSL")
        )
        self.poll_seconds = poll_seconds
        self.batch_size = batch_size
        self._wake = threading.Event()
        self._stopped = False
        self._written: set[str] = set()  # ids of events this process wrote, not yet sent
        self._scanned_at = 0.0
        t = outbox
        unsent = (
            sa.select(t.c.id, t.c.type, t.c.envelope)
            .where(t.c.sent_at.is_(None))
            .order_by(t.c.id)
            .limit(batch_size)
            .with_for_update(skip_locked=True)
        )
        # Made once, ids as one array parameter: a statement built per batch (an IN
        # list of its own length) cost more than the relay's work.
        ids = sa.cast(sa.bindparam("ids"), ARRAY(t.c.id.type))
        self._unsent = unsent
        self._unsent_of = unsent.where(t.c.id == sa.any_(ids))
        self._mark_sent = t.update().where(t.c.id == sa.any_(ids)).values(sent_at=sa.func.now())

    def wake(self, ids: Iterable[str] = ()) -> None:
        """Send soon: the events with these ids (just written here), or any unsent."""
        self._written.update(ids)
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
            if sent >= self.batch_size or self._written:
                continue
            self._wake.wait(timeout=backoff)
        self.publisher.close()

    def relay_once(self) -> int:
        """Publish one batch of unsent events; return how many were sent.

        Events this process wrote are looked up by their ids (primary key), so a
        busy relay never walks the unsent-index, whose entries for sent rows stay
        until vacuum; every ``poll_seconds`` at least, and when nothing was written
        here, it scans for any unsent event (another process's that died, or a
        rolled-back wake)."""
        now = time.monotonic()
        written: list[str] = []
        if self._written and now - self._scanned_at < self.poll_seconds:
            written = list(self._written)[: self.batch_size]
            self._written.difference_update(written)
        else:
            self._written.clear()
            self._scanned_at = now
        with self.engine.begin() as conn:
            if written:
                rows = conn.execute(self._unsent_of, {"ids": written}).all()
            else:
                rows = conn.execute(self._unsent).all()
            if not rows:
                return 0
            # A failure raises and rolls back: the rows stay unsent for the next try.
            self.publisher.publish(rows)
            failpoint("outbox.after_publish")
            conn.execute(self._mark_sent, {"ids": [row.id for row in rows]})
        return len(rows)
