"""The live-update hub: the feed's stream items, in order, to each connected browser.

The feed service writes every visible change (a post, a comment, a like, a
notification...) into ``feed.stream_items`` under a gap-free ``seq`` taken last in
the change's transaction, so seq order is commit order, and its outbox publishes
``stream_item_added`` ``{seq, type, occurred_at, audience, data}`` to the topic
exchange ``feed.events`` (docs/events.md, docs/rpc.md).

One :class:`StreamHub` runs in each gateway process. It binds its OWN exclusive,
auto-deleted queue to ``feed.events`` / ``stream_item_added``, so every gateway
instance receives every item and serves its own clients without sharing state.
Delivery from the broker is at least once and not strictly ordered (several outbox
relays, a reconnect), so the hub keeps ``next_seq``:

- an item with a seq already passed is a duplicate and is dropped;
- an item ahead of a gap is held for ``gap_wait`` seconds; if the missing items do
  not arrive meanwhile the hub asks ``feed.stream_range(from_seq, to_seq)`` for them;
- items are handed on strictly in seq order, each exactly once.

Each connected client is a :class:`Subscriber` with a bounded queue. The hub offers
an item only to subscribers whose actor the item's audience includes
(``services.platform.audience.audience_includes``, the rule the feed stores items by),
as that actor sees it (``as_seen_by``: a system post without the record's fields the
actor's role hides). A record's items go by its shares as the hub last heard of them:
``record_access_changed`` (the feed writes one, in seq order, whenever a record's
shares change, and whenever the record is given to another owner or team — its
``before`` then holds the owner and team it had) is remembered (the last
``ACCESS_KEPT`` records: the shares, and the owner and team a reassignment gave) and
every later item about that record is handed on by them — also one whose transaction
read the record before the change — and is offered itself to whoever gained or lost
the record, so their browser reads its lists again (the replay reads the shares, the
owner and the team as they are now).
A client whose queue is full is cut off (it reconnects with ``Last-Event-ID`` and is replayed from
the feed), so one slow browser never holds up the hub or the others.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import aio_pika
from aio_pika.abc import AbstractIncomingMessage, AbstractRobustConnection

from services.platform.audience import OWNER_KEYS, as_seen_by, audience_includes, with_shares

log = logging.getLogger(__name__)

EXCHANGE = "feed.events"
ROUTING_KEY = "stream_item_added"

# The contract's types; anything else the feed may add later is passed on as is.
ITEM_TYPES = frozenset(
    {
        "post_created",
        "post_updated",
        "post_deleted",
        "comment_added",
        "comment_deleted",
        "post_liked",
        "post_unliked",
        "notification_created",
        "notifications_read",
        "record_access_changed",
    }
)
#: the item that says a record's shares changed (docs/events.md)
ACCESS_CHANGED = "record_access_changed"
#: how many records' latest shares the hub remembers (an item stored after a change
#: carries the new shares itself: only those racing the change need the hub's)
ACCESS_KEPT = 10_000

AudienceRule = Callable[[dict[str, Any], dict[str, Any]], bool]


def _env_float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


KEEPALIVE_SECONDS = _env_float("OSPREY_STREAM_KEEPALIVE_SECONDS", 15.0)
RECHECK_SECONDS = _env_float("OSPREY_STREAM_RECHECK_SECONDS", 60.0)
GAP_WAIT_SECONDS = _env_float("OSPREY_STREAM_GAP_WAIT_SECONDS", 0.3)
CLIENT_QUEUE_SIZE = 1000
RETRY_MILLISECONDS = 2000


class Caller(Protocol):
    """The part of :class:`gateway.rpc.RpcClient` the hub uses."""

    async def call(self, service: str, method: str, *args: Any, **kwargs: Any) -> Any: ...


def default_audience_rule() -> AudienceRule:
    """The platform's visibility rule, the one the feed stores items by (pure)."""
    return audience_includes


_END = {"seq": -1, "type": "_end"}  # put in a cut-off subscriber's queue to wake it


class Subscriber:
    """One open stream: its actor, its bounded queue, and why it was cut off (if it was)."""

    def __init__(self, actor: dict[str, Any], queue_size: int, start_seq: int | None):
        self.actor = actor
        # One slot more than the limit, for the end marker.
        self.queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(queue_size + 1)
        self.limit = queue_size
        # The last seq the hub had handed on when this subscriber joined ("now").
        self.start_seq = start_seq
        self.close_reason: str | None = None

    @property
    def is_closed(self) -> bool:
        return self.close_reason is not None

    def offer(self, item: dict[str, Any]) -> None:
        if self.close_reason is not None:
            return
        if self.queue.qsize() >= self.limit:
            self.close(f"too slow: more than {self.limit} items waiting")
            return
        self.queue.put_nowait(item)

    def close(self, reason: str) -> None:
        """Cut the stream off: what is still queued is dropped (the browser's reconnect
        with Last-Event-ID replays it), and a waiting reader wakes up at once."""
        if self.close_reason is not None:
            return
        self.close_reason = reason
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(_END)

    async def next_item(self, timeout: float) -> dict[str, Any] | None:
        """The next item, or None after ``timeout`` seconds or once the stream is cut off."""
        if self.queue.empty():
            if timeout <= 0:
                return None
            try:
                async with asyncio.timeout(timeout):
                    item = await self.queue.get()
            except TimeoutError:
                return None
        else:
            item = self.queue.get_nowait()
        if item is _END:
            self.queue.put_nowait(_END)  # stays cut off for any later call
            return None
        return item


class StreamHub:
    """Receives ``stream_item_added`` and fans the items out in seq order."""

    def __init__(
        self,
        amqp_uri: str | None,
        rpc: Caller,
        *,
        audience_rule: AudienceRule | None = None,
        gap_wait: float = GAP_WAIT_SECONDS,
        queue_size: int = CLIENT_QUEUE_SIZE,
        range_page: int = 500,
        exchange: str = EXCHANGE,
        routing_key: str = ROUTING_KEY,
        connect_timeout: float = 5.0,
        reconnect_seconds: float = 2.0,
    ):
        self.amqp_uri = amqp_uri
        self.rpc = rpc
        self._audience_rule = audience_rule
        self.gap_wait = gap_wait
        self.queue_size = queue_size
        self.range_page = range_page
        self.exchange_name = exchange
        self.routing_key = routing_key
        self.connect_timeout = connect_timeout
        self.reconnect_seconds = reconnect_seconds
        self.queue_name = f"feed.stream-gateway-{uuid.uuid4()}"
        # The next seq to hand on; None until the first item tells the hub where "now" is.
        self.next_seq: int | None = None
        self.subscribers: set[Subscriber] = set()
        # (record type, id) → its shares (and owner and team, once reassigned) as the
        # last record_access_changed said
        self.access: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._pending: dict[int, dict[str, Any]] = {}
        self._gap_task: asyncio.Task[None] | None = None
        self._catch_up_task: asyncio.Task[None] | None = None
        self._connect_task: asyncio.Task[None] | None = None
        self._head_task: asyncio.Task[None] | None = None
        self._connection: AbstractRobustConnection | None = None
        self.ending = False  # the process is shutting down: streams end at once
        self.delivered = 0  # items handed on in order (for tests and logs)
        self.dropped_duplicates = 0
        self.filled_from_range = 0
        self.skipped = 0

    # -- life cycle -------------------------------------------------------------------

    @property
    def audience_rule(self) -> AudienceRule:
        if self._audience_rule is None:
            self._audience_rule = default_audience_rule()
        return self._audience_rule

    @property
    def connected(self) -> bool:
        return self._connection is not None and not self._connection.is_closed

    @property
    def last_seq(self) -> int | None:
        """The last seq handed on to subscribers, or None before the first item."""
        return None if self.next_seq is None else self.next_seq - 1

    async def start(self, *, watch_signals: bool = False) -> None:
        """Bind the hub's queue; if the broker is down, keep trying in the background.

        With ``watch_signals`` a SIGTERM or SIGINT ends every open stream at once (with
        a retry hint) before the server's own handler runs: uvicorn waits for open
        responses before it shuts down, and an event stream never ends by itself.
        """
        self.audience_rule  # noqa: B018 - fail at start, not at the first item
        if watch_signals:
            self._watch_signals()
        if self.amqp_uri is None:
            return
        try:
            await self._connect()
        except (TimeoutError, aio_pika.exceptions.AMQPError, OSError) as exc:
            log.warning("live updates wait for the message bus: %s", type(exc).__name__)
            self._connect_task = asyncio.create_task(self._connect_forever())
        self._head_task = asyncio.create_task(self._learn_head())

    async def close(self) -> None:
        log.info(
            "live updates: %d items handed on, %d duplicates dropped, %d read from the feed"
            " to fill gaps, %d skipped",
            self.delivered,
            self.dropped_duplicates,
            self.filled_from_range,
            self.skipped,
        )
        for task in (self._connect_task, self._gap_task, self._catch_up_task, self._head_task):
            if task is not None:
                task.cancel()
                with contextlib.suppress(BaseException):
                    await task
        self.end_streams("the gateway is shutting down")
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.close()
            self._connection = None

    def _watch_signals(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(sig)
            if not callable(previous):
                continue  # default or ignored: nothing to chain to, leave it be

            def handler(signum: int, frame: Any, previous: Any = previous) -> None:
                loop.call_soon_threadsafe(self.end_streams, "the gateway is shutting down")
                previous(signum, frame)

            try:
                signal.signal(sig, handler)
            except ValueError:  # not the main thread
                return

    def end_streams(self, reason: str) -> None:
        """Cut every open stream off (its browser reconnects elsewhere with its last id)."""
        self.ending = True
        for subscriber in list(self.subscribers):
            subscriber.close(reason)

    async def _connect_forever(self) -> None:
        while True:
            await asyncio.sleep(self.reconnect_seconds)
            try:
                await self._connect()
                log.info("live updates connected to the message bus")
                self._catch_up()
                return
            except (TimeoutError, aio_pika.exceptions.AMQPError, OSError):
                continue

    async def _connect(self) -> None:
        assert self.amqp_uri is not None
        connection = await aio_pika.connect_robust(
            self.amqp_uri,
            timeout=self.connect_timeout,
            client_properties={"connection_name": "osprey-gateway-stream"},
        )
        try:
            channel = await connection.channel()
            await channel.set_qos(prefetch_count=0)
            # Declared as Nameko declares it (get_event_exchange), so either side may
            # come first.
            exchange = await channel.declare_exchange(
                self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
            )
            queue = await channel.declare_queue(self.queue_name, exclusive=True, auto_delete=True)
            await queue.bind(exchange, routing_key=self.routing_key)
            await queue.consume(self._on_message, no_ack=True)
        except BaseException:
            with contextlib.suppress(Exception):
                await connection.close()
            raise
        # The robust connection declares, binds and consumes again after a broker
        # outage; whatever was published meanwhile is fetched from the feed.
        connection.reconnect_callbacks.add(lambda *_: self._catch_up())
        self._connection = connection

    # -- receiving --------------------------------------------------------------------

    async def _on_message(self, message: AbstractIncomingMessage) -> None:
        try:
            envelope = json.loads(message.body)
            item = item_from_event(envelope)
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("ignored a malformed stream_item_added: %s", exc)
            return
        self.receive(item)

    def receive(self, item: dict[str, Any]) -> None:
        """Take one item from the bus (or from a range fill), in whatever order it came."""
        seq = item["seq"]
        if self.next_seq is None:
            # The first items since this process started: "now" begins at the lowest
            # that arrives within gap_wait (the bus may bring them out of order).
            self._pending.setdefault(seq, item)
            if self._gap_task is None or self._gap_task.done():
                self._gap_task = asyncio.create_task(self._start_at_lowest())
            return
        if seq < self.next_seq or seq in self._pending:
            self.dropped_duplicates += 1
            return
        self._pending[seq] = item
        self._drain()
        if self._pending and (self._gap_task is None or self._gap_task.done()):
            self._gap_task = asyncio.create_task(self._fill_gaps())

    async def _learn_head(self) -> None:
        """Ask the feed where "now" is (its newest seq), until it answers or items come.

        Called once the hub's queue is bound, so every item after the answer reaches
        the queue; those at or below it that also arrive are dropped as duplicates.
        """
        delay = 0.25
        while self.next_seq is None:
            try:
                head = int(await self.rpc.call("feed", "last_stream_seq", timeout=5))
            except Exception as exc:  # noqa: BLE001 - the feed starts later: ask again
                log.debug("feed.last_stream_seq: %r", exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if self.next_seq is None:
                self._settle(head + 1)

    async def _start_at_lowest(self) -> None:
        await asyncio.sleep(self.gap_wait)
        if self.next_seq is None and self._pending:
            self._settle(min(self._pending))

    def _settle(self, next_seq: int) -> None:
        self.next_seq = next_seq
        for seq in [s for s in self._pending if s < next_seq]:
            del self._pending[seq]
            self.dropped_duplicates += 1
        self._drain()
        if self._pending and (self._gap_task is None or self._gap_task.done()):
            self._gap_task = asyncio.create_task(self._fill_gaps())

    def _drain(self) -> None:
        assert self.next_seq is not None
        while self.next_seq in self._pending:
            item = self._pending.pop(self.next_seq)
            self.next_seq += 1
            self._fan_out(item)

    def _fan_out(self, item: dict[str, Any]) -> None:
        self.delivered += 1
        audience = item.get("audience") or {}
        if item.get("type") == ACCESS_CHANGED:
            self._remember_access(audience)
        else:
            audience = self._current_access(audience)
        rule = self.audience_rule
        for subscriber in list(self.subscribers):
            if subscriber.is_closed:
                continue
            try:
                included = rule(audience, subscriber.actor)
            except Exception:  # noqa: BLE001 - a bad audience reaches nobody, the hub lives on
                log.exception("audience check failed for stream item %s", item.get("seq"))
                included = False
            if included:
                # a system post's text without the record's fields the reader's role hides
                subscriber.offer(as_seen_by(item, subscriber.actor))

    def _remember_access(self, audience: Any) -> None:
        """Keep a record's shares from a ``record_access_changed`` item's audience, and
        its owner and team when the item says the record was reassigned (its
        ``before`` names an owner or a team); a change of shares keeps the owner and
        team an earlier reassignment gave."""
        record = audience.get("record") if isinstance(audience, dict) else None
        if not isinstance(record, dict) or audience.get("kind") != "record_access":
            return
        key = (str(record.get("type")), str(record.get("id")))
        before = audience.get("before")
        reassigned = isinstance(before, dict) and any(k in before for k in OWNER_KEYS)
        kept = self.access.get(key) or {}
        access: dict[str, Any] = {
            "shared_user_ids": list(record.get("shared_user_ids") or ()),
            "shared_team_ids": list(record.get("shared_team_ids") or ()),
        }
        for name in OWNER_KEYS:
            if reassigned:
                access[name] = record.get(name)
            elif name in kept:
                access[name] = kept[name]
        self.access[key] = access
        self.access.move_to_end(key)
        while len(self.access) > ACCESS_KEPT:
            self.access.popitem(last=False)

    def _current_access(self, audience: Any) -> Any:
        """A record item's audience with the record's shares (owner, team) as the hub
        last heard."""
        record = audience.get("record") if isinstance(audience, dict) else None
        if not isinstance(record, dict):
            return audience
        shares = self.access.get((str(record.get("type")), str(record.get("id"))))
        return with_shares(audience, shares)

    async def _fill_gaps(self) -> None:
        """Wait for held items' predecessors; fetch those that do not come from the feed."""
        await asyncio.sleep(self.gap_wait)
        failures = 0
        while self._pending:
            assert self.next_seq is not None
            low = self.next_seq
            high = min(self._pending) - 1
            if high < low:  # filled meanwhile
                self._drain()
                continue
            try:
                items = await self._range(low, high)
            except Exception as exc:  # noqa: BLE001 - the feed is down or slow: retry, then skip
                failures += 1
                if failures < 3:
                    log.warning("stream gap %d..%d: feed.stream_range failed: %r", low, high, exc)
                    await asyncio.sleep(self.gap_wait * failures)
                    continue
                items = []
            failures = 0
            for found in items:
                if low <= found["seq"] <= high and self.next_seq <= found["seq"]:
                    self._pending.setdefault(found["seq"], found)
                    self.filled_from_range += 1
            self._drain()
            if self._pending and self.next_seq is not None and self.next_seq < min(self._pending):
                # Still missing after asking the feed (pruned, or the feed is down): do not
                # hold everyone back for it.
                missing = min(self._pending) - self.next_seq
                log.warning(
                    "stream items %d..%d are lost; skipped", self.next_seq, min(self._pending) - 1
                )
                self.skipped += missing
                self.next_seq = min(self._pending)
                self._drain()

    async def _range(self, low: int, high: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        start = low
        while start <= high:
            end = min(high, start + self.range_page - 1)
            page = await self.rpc.call("feed", "stream_range", start, end)
            found.extend(normalise(item) for item in page or [])
            start = end + 1
        return found

    def _catch_up(self) -> None:
        """After a reconnect: fetch what was published while the hub's queue was gone."""
        if self.next_seq is None:
            return
        if self._catch_up_task is None or self._catch_up_task.done():
            self._catch_up_task = asyncio.create_task(self._catch_up_from_feed())

    async def _catch_up_from_feed(self) -> None:
        while self.next_seq is not None:
            low = self.next_seq
            try:
                page = await self.rpc.call("feed", "stream_range", low, low + self.range_page - 1)
            except Exception as exc:  # noqa: BLE001 - the next live item triggers a gap fill
                log.warning("catching up the live stream failed: %r", exc)
                return
            items = [normalise(item) for item in page or []]
            for item in sorted(items, key=lambda i: i["seq"]):
                self.receive(item)
            if len(items) < self.range_page:
                return

    # -- clients ----------------------------------------------------------------------

    def subscribe(self, actor: dict[str, Any]) -> Subscriber:
        return self.register(Subscriber(actor, self.queue_size, None))

    def register(self, subscriber: Subscriber) -> Subscriber:
        """Start offering items to ``subscriber``; its ``start_seq`` is "now"."""
        subscriber.start_seq = self.last_seq
        self.subscribers.add(subscriber)
        if self.ending:
            subscriber.close("the gateway is shutting down")
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)


def normalise(item: dict[str, Any]) -> dict[str, Any]:
    """A stream item with an int seq (from the event or from an RPC answer)."""
    seq = item["seq"]
    if isinstance(seq, bool) or not isinstance(seq, int | str):
        raise TypeError("seq must be an integer")
    return {**item, "seq": int(seq)}


def item_from_event(envelope: dict[str, Any]) -> dict[str, Any]:
    """The stream item a ``stream_item_added`` envelope carries."""
    data = envelope["data"]
    if not isinstance(data, dict):
        raise TypeError("data must be an object")
    return normalise(data)


# -- the wire format ----------------------------------------------------------------------


def sse_message(item: dict[str, Any]) -> str:
    """One server-sent event: ``id`` = seq, ``event`` = type, ``data`` = the public envelope.

    The audience (e.g. a private channel's member list) stays in the gateway.
    """
    cached = item.get("_sse")
    if cached is not None:  # the same item goes to many streams: encode it once
        return cached
    payload = {
        "seq": item["seq"],
        "type": item["type"],
        "occurred_at": item.get("occurred_at"),
        "data": item.get("data"),
    }
    # json.dumps never emits a raw newline, so the data fits on one "data:" line.
    text = f"id: {item['seq']}\nevent: {item['type']}\ndata: {json.dumps(payload)}\n\n"
    item["_sse"] = text
    return text


def sse_retry(milliseconds: int = RETRY_MILLISECONDS) -> str:
    return f"retry: {milliseconds}\n\n"


def sse_last_id(seq: int) -> str:
    """Sets the browser's Last-Event-ID without dispatching an event (no data field)."""
    return f"id: {seq}\n\n"


KEEPALIVE = ": keep-alive\n\n"


async def replay(
    fetch: Callable[[int, int], Awaitable[list[dict[str, Any]]]],
    after_seq: int,
    page_size: int = 200,
) -> Any:
    """Yield the items after ``after_seq`` page by page, ascending, until a short page."""
    cursor = after_seq
    while True:
        page = [normalise(item) for item in await fetch(cursor, page_size) or []]
        page.sort(key=lambda i: i["seq"])
        for item in page:
            if item["seq"] > cursor:
                cursor = item["seq"]
                yield item
        if len(page) < page_size:
            return
