"""The inbound bus (docs/inbound.md): partners' systems publish leads and activities to
the ``osprey.inbound`` exchange with plain AMQP; the social service applies each message
once and dead-letters a refused one with its reason.

:class:`InboundBus` is a Nameko entrypoint with a kombu consumer of its own, not
Nameko's ``@consume``: a partner's message is not Nameko's, and one that is not JSON
must reach the handler as bytes (Nameko's shared consumer would decode it first and
fail there, outside any handler). Each message runs as an ordinary worker; the consumer
thread then acks it, or (refused: kept in ``dead_letters`` for an administrator,
:mod:`.dead_letters`) publishes it to ``osprey.inbound.dead`` with the reason in the
``x-osprey-reason`` header and acks it, or (the leads or sales service not answering)
puts it back after a pause. Exactly once: the message id is claimed in
``processed_events`` in the transaction that commits the outcome, and the owning
service's create is called with ``idempotency_key = inbound:<message_id>``.
"""

from __future__ import annotations

import functools
import logging
import os
from typing import Any

import eventlet
import kombu
from eventlet.event import Event
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.exceptions import ContainerBeingKilled
from nameko.extensions import Entrypoint

from services.platform.access import Actor
from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from services.platform.idempotency import claim_event

from . import contract, dead_letters
from .dependencies import SocialBase

log = logging.getLogger(__name__)

HANDLER = "social.inbound"
RETRY_PAUSE = 2.0


class InboundBus(Entrypoint):
    """Consumes :data:`contract.QUEUE` (declaring the exchanges and queues of the
    contract) and hands each message's raw body to the decorated method. Config
    ``INBOUND_BUS`` (or ``OSPREY_INBOUND_BUS``) off: no consumer."""

    def setup(self) -> None:
        config = self.container.config
        self.uri = config[AMQP_URI_CONFIG_KEY]
        flag = config.get("INBOUND_BUS", os.environ.get("OSPREY_INBOUND_BUS", "1"))
        self.enabled = str(flag).lower() not in ("0", "false", "off", "no")
        self.prefetch = int(config.get("INBOUND_PREFETCH", 10))
        self._stopped = False
        self._thread: Any = None

    def start(self) -> None:
        if self.enabled:
            self._thread = self.container.spawn_managed_thread(self._run, identifier="inbound")

    def stop(self) -> None:
        self._stopped = True
        if self._thread is not None:
            self._thread.wait()

    def kill(self) -> None:
        self._stopped = True
        if self._thread is not None:
            self._thread.kill()

    @staticmethod
    def declare(channel: Any) -> tuple[kombu.Queue, kombu.Exchange]:
        exchange = kombu.Exchange(contract.EXCHANGE, "topic", durable=True)
        dead = kombu.Exchange(contract.DEAD_EXCHANGE, "fanout", durable=True)
        queue = kombu.Queue(contract.QUEUE, exchange, routing_key="#", durable=True)
        dead_queue = kombu.Queue(contract.DEAD_QUEUE, dead, routing_key="", durable=True)
        queue(channel).declare()
        dead_queue(channel).declare()
        return queue, dead

    def _run(self) -> None:
        while not self._stopped:
            try:
                with kombu.Connection(self.uri) as connection:
                    channel = connection.channel()
                    queue, dead = self.declare(channel)
                    producer = kombu.Producer(channel)

                    on_message = functools.partial(self._on_message, producer, dead)
                    consumer = kombu.Consumer(channel, queues=[queue], on_message=on_message)
                    consumer.qos(prefetch_count=self.prefetch)
                    with consumer:
                        while not self._stopped:
                            try:
                                connection.drain_events(timeout=1)
                            except TimeoutError:  # socket.timeout is TimeoutError
                                continue
            except Exception as exc:  # noqa: BLE001 - the broker went away, closed the
                # connection or cancelled the consumer (a deleted vhost): connect again;
                # letting it out would kill the whole service
                if self._stopped:
                    return
                log.warning("inbound bus: %s: %s; connecting again", type(exc).__name__, exc)
                eventlet.sleep(RETRY_PAUSE)

    def _on_message(self, producer: Any, dead: kombu.Exchange, message: Any) -> None:
        done = Event()

        def handle_result(worker_ctx: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
            done.send((result, exc_info))
            return result, exc_info

        routing_key = (message.delivery_info or {}).get("routing_key") or ""
        body = message.body if isinstance(message.body, bytes) else str(message.body).encode()
        args = (body, message.content_type, routing_key)
        try:
            self.container.spawn_worker(self, args, {}, handle_result=handle_result)
        except ContainerBeingKilled:
            message.requeue()
            return
        result, exc_info = done.wait()
        if exc_info is not None:
            # a service it needs did not answer: back later, not dead
            eventlet.sleep(RETRY_PAUSE)
            message.requeue()
            return
        if result.get("outcome") == "dead":
            headers = {**(message.headers or {}), contract.REASON_HEADER: result["reason"],
                       "x-osprey-routing-key": routing_key}  # fmt: skip
            producer.publish(
                body,
                exchange=dead,
                routing_key=routing_key,
                headers=headers,
                content_type=message.content_type or "application/octet-stream",
                content_encoding="binary",
                delivery_mode=2,
                retry=True,
            )
        message.ack()


inbound_bus = InboundBus.decorator


class InboundRpc(SocialBase):
    @inbound_bus
    def apply_inbound_message(
        self, body: bytes, content_type: str | None, routing_key: str
    ) -> dict[str, Any]:
        """One partner's message: ``{outcome: applied, id}``, ``{outcome: duplicate}``
        (its id was applied before) or ``{outcome: dead, reason}``. A service that
        does not answer raises, and the message is delivered again later."""
        try:
            message = contract.parse_message(body, content_type)
            prefix = routing_key.split(".", 1)[0]
            if routing_key and prefix != message.type:
                raise contract.Malformed(
                    f"routing key {routing_key!r} is not for a {message.type} (use "
                    f"{message.type}.<anything>)"
                )
        except contract.Malformed as exc:
            log.warning("inbound bus: dead-lettered a message (%s)", exc.reason)
            return self._dead(body, content_type, routing_key, exc.reason)
        if not claim_event(self.db, message.message_id, HANDLER):
            self.db.rollback()
            log.info("inbound bus: %s applied before; skipped", message.message_id)
            return {"outcome": "duplicate"}
        actor = Actor.system(f"partner:{message.source}").to_dict()
        key = f"inbound:{message.message_id}"
        data = {"owner_id": None, **message.data}
        try:
            if message.type == "lead":
                record = self.leads_rpc.create_lead(data, actor=actor, idempotency_key=key)
            else:
                record = self.sales_rpc.create_activity(data, actor=actor, idempotency_key=key)
        except ValidationFailed as exc:
            self.db.rollback()
            reason = contract.field_reasons(exc.message, exc.errors)
            log.warning("inbound bus: %s refused: %s", message.message_id, reason)
            return self._dead(body, content_type, routing_key, reason)
        except (PermissionDenied, NotFound, Conflict) as exc:
            self.db.rollback()
            reason = f"{type(exc).__name__}: {exc.message}"
            return self._dead(body, content_type, routing_key, reason)
        self.db.commit()
        log.info(
            "inbound bus: %s %s from %s applied as %s",
            message.type, message.message_id, message.source, record["id"],
        )  # fmt: skip
        return {"outcome": "applied", "id": record["id"]}

    def _dead(
        self, body: bytes, content_type: str | None, routing_key: str, reason: str
    ) -> dict[str, Any]:
        """Keep the refused message for an administrator; the answer that dead-letters
        it."""
        letter_id = dead_letters.keep(self.db, body, content_type, routing_key, reason)
        self.db.commit()
        return {"outcome": "dead", "reason": reason, "dead_letter_id": letter_id}
