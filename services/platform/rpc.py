"""``@rpc`` for Osprey services: Nameko's RPC entrypoint with a leaner reply.

Nameko 2.14 answers every call by serializing the result twice (once to check that it
can, once to send it) and publishing the reply with publisher confirms, so each call
waits for the broker's acknowledgement of its own answer before the worker ends. An
answer goes to the caller's own transient reply queue: a confirm cannot make it
arrive, and a caller that gets none times out either way. Here the reply is
serialized once and published without confirms; everything else — the request
protocol, errors, acknowledging the request after the reply — is Nameko's.

Every ``@rpc`` of a service must come from here (or every one from Nameko): the two
consume the service's queue through different shared consumers.
"""

from __future__ import annotations

import sys
from typing import Any

import kombu.serialization
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.exceptions import UnserializableValueError, serialize
from nameko.rpc import Responder, Rpc, RpcConsumer, get_rpc_exchange


class LeanResponder(Responder):
    """Sends the reply serialized once, without waiting for a publisher confirm."""

    def send_response(self, result: Any, exc_info: Any) -> tuple[Any, Any]:
        error = serialize(exc_info[1]) if exc_info is not None else None
        # Encoded the way the request was.
        content_type = self.message.properties["content_type"]
        serializer = kombu.serialization.registry.type_to_name[content_type]
        try:
            body_type, encoding, body = kombu.serialization.dumps(
                {"result": result, "error": error}, serializer
            )
        except Exception:  # noqa: BLE001 - a result that cannot be sent is the caller's error
            exc_info = sys.exc_info()
            error = serialize(UnserializableValueError(result))
            result = None
            body_type, encoding, body = kombu.serialization.dumps(
                {"result": None, "error": error}, serializer
            )
        publisher = self.publisher_cls(
            self.amqp_uri, ssl=self.ssl, login_method=self.login_method, use_confirms=False
        )
        publisher.publish(
            body,
            content_type=body_type,
            content_encoding=encoding,
            exchange=self.exchange,
            routing_key=self.message.properties["reply_to"],
            correlation_id=self.message.properties.get("correlation_id"),
        )
        return result, exc_info


class LeanRpcConsumer(RpcConsumer):
    def handle_result(self, message: Any, result: Any, exc_info: Any) -> tuple[Any, Any]:
        config = self.container.config
        responder = LeanResponder(
            config[AMQP_URI_CONFIG_KEY],
            get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY),
            login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
        )
        result, exc_info = responder.send_response(result, exc_info)
        self.queue_consumer.ack_message(message)
        return result, exc_info


class LeanRpc(Rpc):
    rpc_consumer = LeanRpcConsumer()


rpc = LeanRpc.decorator
