"""An asyncio client for Nameko RPC, speaking Nameko 2.14's AMQP protocol with aio-pika.

The protocol (``nameko/rpc.py``): a request is published to the durable topic
exchange ``nameko-rpc`` with routing key ``<service>.<method>``, a JSON body
``{"args": [...], "kwargs": {...}}``, ``reply_to`` naming the routing key of the
caller's reply queue (bound to the same exchange), a ``correlation_id``, and the
``nameko.call_id_stack`` header. The service answers on ``reply_to`` with
``{"result": ..., "error": null | {"exc_type", "exc_path", "exc_args", "value"}}``
carrying the same correlation id.

One robust connection and one exclusive reply queue per gateway process; a small pool
of publisher channels (without publisher confirms: a request is transient and its
answer is awaited anyway). Requests are published ``mandatory``: when no queue is
bound for the service the broker returns the message, so the call fails at once with
:class:`ServiceUnavailable` instead of waiting for a reply that will never come.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import aio_pika
import orjson
from aio_pika.abc import (
    AbstractChannel,
    AbstractExchange,
    AbstractIncomingMessage,
    AbstractQueue,
    AbstractRobustConnection,
)
from aio_pika.pool import Pool

from services.platform.errors import BY_NAME, DuplicatesFound, RateLimited, ValidationFailed

log = logging.getLogger(__name__)

RPC_EXCHANGE = "nameko-rpc"
RPC_QUEUE_TEMPLATE = "rpc-{}"  # the queue a Nameko service consumes its RPC calls from
#: the integers every service can take: the RPC wire (orjson) and PostgreSQL's bigint
#: end at signed 64 bits, and no Osprey field counts further
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def huge_number_fields(value: Any, path: str = "") -> list[str]:
    """The paths of the integers in a decoded JSON value beyond signed 64 bits."""
    found: list[str] = []
    if isinstance(value, bool):
        return found
    if isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            found.append(path or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            found.extend(huge_number_fields(item, f"{path}.{key}" if path else str(key)))
    elif isinstance(value, list):
        for n, item in enumerate(value):
            found.extend(huge_number_fields(item, f"{path}[{n}]"))
    return found


def unencodable(args: tuple[Any, ...], kwargs: dict[str, Any]) -> ValidationFailed | None:
    """What to raise for a call the wire cannot carry. An integer beyond 64 bits in a
    body is refused by the gateway's middleware; one in a query parameter that its
    route does not bound (``?version=3201344564699299866122125312``, a fuzzer's find)
    gets here, and is a 422 naming the parameter (or the field of a body argument).
    Anything else (None here) is a bug and stays one."""
    fields = [f for arg in args for f in huge_number_fields(arg, "")]
    fields += [f for key, value in kwargs.items() for f in huge_number_fields(value, key)]
    if not fields:
        return None
    message = "is too large: a whole number must fit in 64 bits"
    return ValidationFailed(
        f"{', '.join(fields[:10])}: {message}",
        [{"field": field, "message": message} for field in fields[:100]],
    )


class RpcFailure(Exception):
    """The call did not produce an answer from the service (transport, not domain)."""

    status = 500
    title = "Internal server error"


class ServiceUnavailable(RpcFailure):
    """The broker is unreachable, or nothing serves the called service."""

    status = 503
    title = "Service unavailable"


class RpcTimeout(RpcFailure):
    """The service did not answer within the call's timeout."""

    status = 504
    title = "Gateway timeout"


class RemoteError(RpcFailure):
    """The service failed with an error that is not one of Osprey's typed errors: a bug.

    The remote type and message are kept for the log; they never reach the client.
    """

    def __init__(self, service: str, method: str, exc_type: str, value: str):
        self.service = service
        self.method = method
        self.exc_type = exc_type
        self.value = value
        super().__init__(f"{service}.{method} failed: {exc_type}")


def rebuild_error(service: str, method: str, error: dict[str, Any]) -> Exception:
    """The exception a Nameko error payload stands for."""
    exc_type = str(error.get("exc_type") or "")
    cls = BY_NAME.get(exc_type)
    if cls is not None:
        args = list(error.get("exc_args") or [])
        message = args[0] if args and isinstance(args[0], str) else str(error.get("value") or "")
        errors = args[1] if len(args) > 1 and isinstance(args[1], list) else []
        if cls is DuplicatesFound:
            # The candidates travel as a JSON string (see DuplicatesFound).
            candidates = args[2] if len(args) > 2 and isinstance(args[2], str) else None
            return DuplicatesFound(message, errors, candidates)
        if cls is RateLimited:
            # The seconds to wait travel as a string (see RateLimited).
            return RateLimited(message, errors, args[2] if len(args) > 2 else None)
        return cls(message, errors)
    return RemoteError(service, method, exc_type, str(error.get("value") or ""))


class RpcClient:
    """Calls Nameko services from asyncio. Safe to share by every request of a process.

    Connects lazily on the first call (and again after a failed attempt), so the
    gateway starts and answers ``/healthz`` while the broker is still down.
    """

    def __init__(
        self,
        amqp_uri: str,
        *,
        timeout: float,
        exchange: str = RPC_EXCHANGE,
        channels: int = 8,
        connect_timeout: float = 5.0,
        consumer_check_seconds: float = 1.0,
    ):
        self.amqp_uri = amqp_uri
        self.timeout = timeout
        self.exchange_name = exchange
        self.channel_pool_size = channels
        self.connect_timeout = connect_timeout
        self.consumer_check_seconds = consumer_check_seconds
        self.reply_routing_key = str(uuid.uuid4())
        self.reply_queue_name = f"rpc.reply-gateway-{self.reply_routing_key}"
        self._connection: AbstractRobustConnection | None = None
        self._reply_channel: AbstractChannel | None = None
        self._reply_queue: AbstractQueue | None = None
        self._channels: Pool[tuple[AbstractChannel, AbstractExchange]] | None = None
        self._pending: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._lock = asyncio.Lock()
        # service -> (checked at, consumer count); see _require_consumer()
        self._consumers: dict[str, tuple[float, int | None]] = {}
        self._consumer_locks: dict[str, asyncio.Lock] = {}

    # -- life cycle -------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed

    async def start(self) -> None:
        """Connect, declare the reply queue and start consuming replies."""
        if self._channels is not None:
            return
        async with self._lock:
            if self._channels is not None:
                return
            connection: AbstractRobustConnection | None = None
            try:
                connection = await aio_pika.connect_robust(
                    self.amqp_uri,
                    timeout=self.connect_timeout,
                    client_properties={"connection_name": "osprey-gateway"},
                )
                channel = await connection.channel()
                exchange = await self._declare_exchange(channel)
                # Exclusive and auto-deleted: the queue lives exactly as long as this
                # connection. The robust connection declares, binds and consumes it
                # again after a reconnect.
                queue = await channel.declare_queue(
                    self.reply_queue_name, exclusive=True, auto_delete=True
                )
                await queue.bind(exchange, routing_key=self.reply_routing_key)
                await queue.consume(self._on_reply, no_ack=True)
            except (TimeoutError, aio_pika.exceptions.AMQPError, OSError) as exc:
                if connection is not None:
                    await _quietly(connection.close())
                log.warning("message bus unreachable: %s", type(exc).__name__)
                raise ServiceUnavailable("The message bus is unreachable") from exc
            self._connection = connection
            self._reply_channel = channel
            self._reply_queue = queue
            self._channels = Pool(self._open_publisher, max_size=self.channel_pool_size)

    async def close(self) -> None:
        async with self._lock:
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(ServiceUnavailable("The gateway is shutting down"))
            self._pending.clear()
            if self._channels is not None:
                await _quietly(self._channels.close())
            if self._connection is not None:
                await _quietly(self._connection.close())
            self._channels = None
            self._connection = None
            self._reply_channel = None
            self._reply_queue = None

    async def _declare_exchange(self, channel: AbstractChannel) -> AbstractExchange:
        # Same declaration as Nameko's get_rpc_exchange(), so whichever side comes
        # first creates it and the other agrees with it.
        return await channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )

    async def _open_publisher(self) -> tuple[AbstractChannel, AbstractExchange]:
        assert self._connection is not None
        # No publisher confirms: a request is transient and its answer is awaited
        # anyway, so a confirm would only add a frame and a wait to every call. A
        # mandatory request that no queue takes comes back as basic.return, which
        # fails its call at once (_on_returned).
        channel = await self._connection.channel(publisher_confirms=False)
        channel.return_callbacks.add(self._on_returned)
        return channel, await self._declare_exchange(channel)

    def _on_returned(self, _channel: Any, message: AbstractIncomingMessage) -> None:
        future = self._pending.get(message.correlation_id or "")
        if future is not None and not future.done():
            service = (message.routing_key or "").partition(".")[0]
            future.set_exception(ServiceUnavailable(f"The {service} service is not running"))

    # -- calls ------------------------------------------------------------------------

    async def call(
        self,
        service: str,
        method: str,
        *args: Any,
        actor: dict[str, Any] | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call ``service.method(*args, **kwargs)`` and return its result.

        ``actor`` (the caller's identity) is passed as the ``actor`` keyword when given.
        Raises the service's typed Osprey error, :class:`ServiceUnavailable`,
        :class:`RpcTimeout` or :class:`RemoteError`.
        """
        if actor is not None:
            kwargs["actor"] = actor
        timeout = self.timeout if timeout is None else timeout
        await self.start()
        assert self._channels is not None
        await self._require_consumer(service)

        correlation_id = str(uuid.uuid4())
        try:
            body = orjson.dumps({"args": list(args), "kwargs": kwargs})
        except TypeError as exc:
            refused = unencodable(args, kwargs)
            if refused is None:
                raise
            raise refused from exc
        message = aio_pika.Message(
            body,
            content_type="application/json",
            content_encoding="utf-8",
            correlation_id=correlation_id,
            reply_to=self.reply_routing_key,
            headers={"nameko.call_id_stack": [f"gateway.{method}.{correlation_id}"]},
            # Transient, and dropped by the broker once nobody waits for the answer:
            # a request the gateway gave up on must not run later, when its service
            # comes back.
            delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT,
            expiration=max(timeout, 0.001),
        )
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, Any]] = loop.create_future()
        self._pending[correlation_id] = future
        deadline = loop.time() + timeout
        try:
            try:
                async with self._channels.acquire() as (_channel, exchange):
                    await exchange.publish(
                        message,
                        routing_key=f"{service}.{method}",
                        mandatory=True,
                        timeout=timeout,
                    )
            except TimeoutError as exc:
                raise RpcTimeout(f"{service}.{method} was not accepted in time") from exc
            except (aio_pika.exceptions.AMQPError, OSError, RuntimeError) as exc:
                # A robust connection that is reconnecting, a closed channel or pool.
                log.warning("publish to %s.%s failed: %r", service, method, exc)
                raise ServiceUnavailable("The message bus is unreachable") from exc
            # Wait in steps: if the service's last process dies meanwhile, the request
            # sits in its queue unanswered; say so now instead of at the timeout.
            while not future.done():
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise RpcTimeout(f"{service}.{method} did not answer in {timeout:g}s")
                await asyncio.wait([future], timeout=min(remaining, self.consumer_check_seconds))
                if not future.done():
                    await self._require_consumer(service)
            reply = future.result()
        finally:
            self._pending.pop(correlation_id, None)

        error = reply.get("error")
        if error:
            exc = rebuild_error(service, method, error)
            if isinstance(exc, RemoteError):
                log.error(
                    "%s.%s raised %s: %s",
                    service,
                    method,
                    exc.exc_type,
                    exc.value,
                )
            raise exc
        return reply.get("result")

    def _on_reply(self, message: AbstractIncomingMessage) -> None:
        future = self._pending.get(message.correlation_id or "")
        if future is None or future.done():
            # The caller timed out already, or the reply belongs to nobody here.
            log.debug("reply for unknown correlation id %s", message.correlation_id)
            return
        try:
            future.set_result(orjson.loads(message.body))
        except orjson.JSONDecodeError as exc:
            future.set_exception(RemoteError("?", "?", "InvalidReply", str(exc)))

    async def _require_consumer(self, service: str) -> None:
        """Fail fast when no process consumes the service's queue.

        ``mandatory`` only catches a queue that was never declared. Nameko's RPC
        queues are durable, so after the last process of a service dies its queue
        stays bound and would hold our request until the timeout. The consumer count
        is asked at most every ``consumer_check_seconds`` per service while it has
        consumers; a service found without any is asked again on the next call, so it
        serves again as soon as it is back.
        """
        loop = asyncio.get_running_loop()

        def stale(entry: tuple[float, int | None] | None) -> bool:
            return (
                entry is None
                or not entry[1]
                or loop.time() - entry[0] >= self.consumer_check_seconds
            )

        cached = self._consumers.get(service)
        if stale(cached):
            lock = self._consumer_locks.setdefault(service, asyncio.Lock())
            async with lock:  # one check in flight per service, however many callers
                cached = self._consumers.get(service)
                if stale(cached):
                    try:
                        count = await self.consumer_count(service)
                    except (aio_pika.exceptions.AMQPError, OSError, RuntimeError) as exc:
                        raise ServiceUnavailable("The message bus is unreachable") from exc
                    cached = (loop.time(), count)
                    self._consumers[service] = cached
        if not cached[1]:
            raise ServiceUnavailable(f"The {service} service is not running")

    # -- readiness --------------------------------------------------------------------

    async def consumer_count(self, service: str) -> int | None:
        """How many processes consume ``service``'s RPC queue; None if it has none."""
        await self.start()
        assert self._connection is not None
        # A passive declare of a missing queue closes its channel, so use a fresh one.
        channel = await self._connection.channel()
        try:
            queue = await channel.declare_queue(RPC_QUEUE_TEMPLATE.format(service), passive=True)
            result = queue.declaration_result
            return int(result.consumer_count or 0)
        except aio_pika.exceptions.ChannelClosed:
            return None
        finally:
            await _quietly(channel.close())


async def _quietly(awaitable: Any) -> None:
    try:
        await awaitable
    except Exception:  # noqa: BLE001 - closing what may already be gone
        log.debug("ignored error while closing", exc_info=True)
