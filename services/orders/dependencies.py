"""Providers of the orders service for what lies outside it: the company's accounting
system, reached over RabbitMQ (docs/accounting.md).

* :class:`AccountingLink` (a dependency provider) declares the durable exchange
  ``osprey.accounting`` and its two durable queues, ``accounting.to_erp`` and
  ``accounting.from_erp``, so messages wait in the broker while the accounting system
  is away; relays the ``accounting_outbox`` (written in the same transaction as the
  order change) with publisher confirms, persistent, in outbox order; and asks the
  accounting system for its snapshot when a reconciliation runs.
* :class:`AccountingConsumer` (an entrypoint) reads ``accounting.from_erp`` one message
  at a time with its own kombu consumer: the raw bytes go to a worker, so a body that
  is not JSON, or JSON that breaks the contract, is recorded as rejected and acked —
  never a crashed consumer. The message is acked only after its worker committed.

What the messages say and what they do to an order is :mod:`.accounting`'s business.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

import eventlet
import sqlalchemy as sa
from eventlet.event import Event
from kombu import Connection, Exchange, Queue
from kombu.messaging import Consumer as KombuConsumer
from kombu.messaging import Producer
from nameko.extensions import DependencyProvider, Entrypoint

from services.platform.db import create_db_engine
from services.platform.errors import Unavailable
from services.platform.ids import new_id

from .accounting_contract import EXCHANGE, FROM_ERP, TO_ERP, message
from .models import AccountingOutbox

log = logging.getLogger(__name__)

RECONCILE_TIMEOUT = 10.0


def accounting_exchange() -> Exchange:
    return Exchange(EXCHANGE, type="direct", durable=True)


def accounting_queues(exchange: Exchange | None = None) -> tuple[Queue, Queue]:
    """``accounting.to_erp`` and ``accounting.from_erp``, durable, bound by their names."""
    exchange = exchange or accounting_exchange()
    return (
        Queue(TO_ERP, exchange, routing_key=TO_ERP, durable=True),
        Queue(FROM_ERP, exchange, routing_key=FROM_ERP, durable=True),
    )


def declare_topology(connection: Connection) -> None:
    """Declare the exchange and both queues (idempotent)."""
    channel = connection.channel()
    try:
        exchange = accounting_exchange()
        exchange(channel).declare()
        for queue in accounting_queues(exchange):
            queue(channel).declare()
    finally:
        channel.close()


class AccountingUnavailable(Unavailable):
    """The accounting system did not answer in time (a 503 at the API: try again later)."""


class AccountingLink(DependencyProvider):
    """Declares the topology, relays the accounting outbox, asks for snapshots.

    Config: ``AMQP_URI``, ``DATABASE_URL``; ``ACCOUNTING_RELAY`` (default on),
    ``ACCOUNTING_POLL_SECONDS`` (default ``OUTBOX_POLL_SECONDS``, else 1),
    ``ACCOUNTING_RECONCILE_TIMEOUT`` (10 s) — each also read from ``OSPREY_<key>``.
    """

    def setup(self) -> None:
        config = self.container.config

        def setting(key: str, default: Any) -> Any:
            # The container's config, else the environment's OSPREY_<key>.
            value = config.get(key)
            return value if value is not None else os.environ.get(f"OSPREY_{key}", default)

        self.amqp_uri = config["AMQP_URI"]
        self.poll_seconds = float(
            setting("ACCOUNTING_POLL_SECONDS", config.get("OUTBOX_POLL_SECONDS", 1.0))
        )
        self.reconcile_timeout = float(setting("ACCOUNTING_RECONCILE_TIMEOUT", RECONCILE_TIMEOUT))
        self.enabled = str(setting("ACCOUNTING_RELAY", "1")).lower() not in (
            "0",
            "false",
            "no",
            "off",
        )
        self.engine = create_db_engine(config["DATABASE_URL"], pool_size=2, max_overflow=2)
        self.outbox = AccountingOutbox.__table__
        self._wake = threading.Event()
        self._stopped = False
        self._declared = False
        self._to_wake: set[Any] = set()

    def start(self) -> None:
        if self.enabled:
            self.container.spawn_managed_thread(self._run, identifier="accounting_relay")

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        self.engine.dispose()

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> WorkerLink:
        return WorkerLink(self, worker_ctx)

    def wake(self) -> None:
        self._wake.set()

    def worker_teardown(self, worker_ctx: Any) -> None:
        # A worker that queued messages has committed (or rolled back) by now.
        if worker_ctx in self._to_wake:
            self._to_wake.discard(worker_ctx)
            self.wake()

    def _run(self) -> None:
        backoff = self.poll_seconds
        while not self._stopped:
            self._wake.clear()
            try:
                sent = self.relay_once()
                backoff = self.poll_seconds
            except Exception:
                log.exception("accounting relay failed; retrying")
                sent = 0
                backoff = min(backoff * 2, 30.0)
            if sent:
                continue
            self._wake.wait(timeout=backoff)

    def relay_once(self, batch: int = 100) -> int:
        """Publish the oldest unsent messages (persistent, confirmed); return how many."""
        t = self.outbox
        sent: list[str] = []
        with self.engine.begin() as conn:
            rows = conn.execute(
                sa.select(t.c.id, t.c.message)
                .where(t.c.sent_at.is_(None))
                .order_by(t.c.id)
                .limit(batch)
                .with_for_update(skip_locked=True)
            ).all()
            if not rows:
                return 0
            try:
                # confirm_publish: each publish returns once the broker has taken it.
                with Connection(
                    self.amqp_uri, transport_options={"confirm_publish": True}
                ) as connection:
                    if not self._declared:
                        declare_topology(connection)
                        self._declared = True
                    channel = connection.channel()
                    producer = Producer(channel, exchange=accounting_exchange())
                    for row in rows:
                        producer.publish(
                            row.message,
                            routing_key=TO_ERP,
                            serializer="json",
                            delivery_mode=2,
                            message_id=row.message["message_id"],
                            type=row.message["type"],
                            retry=False,
                        )
                        sent.append(row.id)
                    channel.close()
            finally:
                if sent:
                    conn.execute(t.update().where(t.c.id.in_(sent)).values(sent_at=sa.func.now()))
                unsent = [row.id for row in rows[len(sent) :]]
                if unsent:
                    conn.execute(
                        t.update().where(t.c.id.in_(unsent)).values(attempts=t.c.attempts + 1)
                    )
        return len(sent)

    def request_snapshot(self, timeout: float | None = None) -> dict[str, Any]:
        """Send ``reconcile_request`` and wait for the ``reconcile_snapshot`` answer.

        The answer comes to an exclusive reply queue (``reply_to``, matched by
        ``correlation_id``); the request queues behind everything sent before it.
        """
        timeout = self.reconcile_timeout if timeout is None else timeout
        request = message(new_id(), "reconcile_request", None, None, {})
        answers: list[dict[str, Any]] = []
        with Connection(self.amqp_uri) as connection:
            declare_topology(connection)
            channel = connection.channel()
            reply = Queue(
                f"accounting.reply.{request['message_id']}",
                exclusive=True,
                auto_delete=True,
                durable=False,
            )
            reply(channel).declare()

            def on_answer(body: Any, msg: Any) -> None:
                msg.ack()
                if (
                    isinstance(body, dict)
                    and body.get("type") == "reconcile_snapshot"
                    and msg.properties.get("correlation_id") == request["message_id"]
                ):
                    answers.append(body)

            with KombuConsumer(channel, [reply], callbacks=[on_answer], accept=["json"]):
                Producer(channel, exchange=accounting_exchange()).publish(
                    request,
                    routing_key=TO_ERP,
                    serializer="json",
                    delivery_mode=2,
                    message_id=request["message_id"],
                    correlation_id=request["message_id"],
                    reply_to=reply.name,
                    type="reconcile_request",
                )
                deadline = eventlet.hubs.get_hub().clock() + timeout
                while not answers:
                    left = deadline - eventlet.hubs.get_hub().clock()
                    if left <= 0:
                        raise AccountingUnavailable(
                            f"The accounting system sent no snapshot within {timeout:g} s"
                        )
                    try:
                        connection.drain_events(timeout=min(left, 1.0))
                    except TimeoutError:
                        continue
                    except OSError as exc:  # socket.timeout is an OSError subclass
                        if "timed out" not in str(exc):
                            raise
        return answers[0]


class WorkerLink:
    """What a worker sees of :class:`AccountingLink`."""

    def __init__(self, link: AccountingLink, worker_ctx: Any):
        self.link = link
        self.worker_ctx = worker_ctx

    def written(self) -> None:
        """Messages were queued: wake the relay once this worker is done."""
        self.link._to_wake.add(self.worker_ctx)

    def request_snapshot(self, timeout: float | None = None) -> dict[str, Any]:
        return self.link.request_snapshot(timeout)


class AccountingConsumer(Entrypoint):
    """Reads ``accounting.from_erp``; each message's raw body goes to one worker.

    Messages are taken one at a time (prefetch 1) and acked once their worker has
    finished, so a message is applied before the next one is read. A lost broker
    connection is retried with a growing pause; unacked messages are redelivered.
    """

    def setup(self) -> None:
        self.amqp_uri = self.container.config["AMQP_URI"]
        self._stopped = False
        self._connection: Connection | None = None

    def start(self) -> None:
        self.container.spawn_managed_thread(self._run, identifier="accounting_consumer")

    def stop(self) -> None:
        self._stopped = True
        super().stop()

    def kill(self) -> None:
        self._stopped = True

    def _run(self) -> None:
        backoff = 0.5
        while not self._stopped:
            try:
                with Connection(self.amqp_uri, heartbeat=30) as connection:
                    self._connection = connection
                    declare_topology(connection)
                    channel = connection.channel()
                    channel.basic_qos(0, 1, False)
                    _, from_queue = accounting_queues()
                    consumer = KombuConsumer(
                        channel, [from_queue], on_message=self._on_message, prefetch_count=1
                    )
                    with consumer:
                        backoff = 0.5
                        while not self._stopped:
                            try:
                                connection.drain_events(timeout=1)
                            except TimeoutError:
                                connection.heartbeat_check()
                            except OSError as exc:
                                if "timed out" not in str(exc):
                                    raise
                                connection.heartbeat_check()
            except Exception:
                if self._stopped:
                    return
                log.exception("accounting consumer lost its connection; reconnecting")
                eventlet.sleep(backoff)
                backoff = min(backoff * 2, 15.0)

    def _on_message(self, msg: Any) -> None:
        done = Event()

        def finished(worker_ctx: Any, result: Any = None, exc_info: Any = None) -> Any:
            done.send(exc_info)
            return result, exc_info

        self.container.spawn_worker(self, (msg.body,), {}, handle_result=finished)
        exc_info = done.wait()
        if exc_info is not None:
            # The worker failed outside the contract (the database away, say): leave the
            # message for a later delivery rather than lose it.
            log.error("accounting message left for redelivery: %s", exc_info[1])
            eventlet.sleep(1.0)
            msg.requeue()
            return
        msg.ack()


accounting_consumer = AccountingConsumer.decorator
