"""GET /api/v1/events/stream: the signed-in user's live updates as server-sent events."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse

from services.platform.errors import OspreyError, field_error

from .. import stream
from ..auth import ActorCache, current_actor, rpc_client
from ..rpc import RpcClient, RpcFailure

router = APIRouter(prefix="/api/v1", tags=["live updates"])

REPLAY_PAGE = 200


def hub_of(request: Request) -> stream.StreamHub:
    return request.app.state.stream_hub


def parse_last_event_id(value: str | None, name: str) -> int | None:
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    if not value.isdigit():
        raise field_error(name, "Must be the id (a non-negative integer) of a received event")
    return int(value)


@router.get(
    "/events/stream",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"text/event-stream": {}},
            "description": "Server-sent events: `id` = seq, `event` = type, `data` = "
            "`{seq, type, occurred_at, data}` (docs/api.md, Live updates)",
        }
    },
    operation_id="stream_events",
)
async def event_stream(
    request: Request,
    last_event_id: str | None = Query(
        None, description="For clients that cannot send the Last-Event-ID header"
    ),
    actor: dict[str, Any] = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> StreamingResponse:
    """New posts, comments, likes and notifications the caller may see, as they happen.

    With ``Last-Event-ID`` (header, or ``?last_event_id=``) every item after that seq
    the caller may see is sent first, exactly once, then the stream continues live.
    """
    header = request.headers.get("last-event-id")
    after = (
        parse_last_event_id(header, "Last-Event-ID")
        if header is not None and header.strip()
        else parse_last_event_id(last_event_id, "last_event_id")
    )
    hub = hub_of(request)
    token: str = request.state.token
    cache: ActorCache = request.app.state.actor_cache
    subscriber = stream.Subscriber(actor, hub.queue_size, None)

    async def fetch(after_seq: int, limit: int) -> list[dict[str, Any]]:
        return await rpc.call(
            "feed", "stream_items", after_seq=after_seq, limit=limit, actor=subscriber.actor
        )

    async def still_signed_in() -> bool:
        try:
            fresh = await rpc.call("identity", "authenticate_token", token)
        except OspreyError:  # Unauthenticated: revoked, expired; or the user was deactivated
            cache.evict(token)
            return False
        except RpcFailure:
            return True  # identity is briefly away: keep serving, ask again later
        subscriber.actor = fresh
        return True

    async def events() -> AsyncIterator[str]:
        # Registered before the replay is read, so nothing committed in between is
        # missed; what both carry is sent once (live items at or below the last sent
        # seq are skipped). Registered here, not before the response starts, so that
        # the finally below always unregisters it.
        hub.register(subscriber)
        try:
            yield stream.sse_retry()
            last_sent: int | None
            if after is not None:
                last_sent = after
                try:
                    async for item in stream.replay(fetch, after, REPLAY_PAGE):
                        last_sent = item["seq"]
                        yield stream.sse_message(item)
                    if last_sent == after and after > (subscriber.start_seq or 0):
                        # An id ahead of this gateway: another instance may simply be
                        # ahead, but an id past the feed's newest seq (a browser left
                        # open across a database restore) would hide every new item.
                        head = int(await rpc.call("feed", "last_stream_seq"))
                        if after > head:
                            # Start as a fresh stream does: from this gateway's "now"
                            # when this stream was registered. Items committed since are
                            # in its queue already; the feed's head, read later, could
                            # be past some of them and hide them.
                            start = subscriber.start_seq
                            last_sent = start if start is not None and start <= head else head
                            yield stream.sse_last_id(last_sent)
                except (RpcFailure, OspreyError):
                    # The feed is away: end here; the browser comes back with the last
                    # id it received after the retry delay.
                    return
            else:
                last_sent = subscriber.start_seq
                if last_sent is not None:
                    yield stream.sse_last_id(last_sent)
            now = time.monotonic()
            keepalive_at = now + stream.KEEPALIVE_SECONDS
            recheck_at = now + stream.RECHECK_SECONDS
            while True:
                now = time.monotonic()
                if now >= recheck_at:
                    if not await still_signed_in():
                        return
                    recheck_at = now + stream.RECHECK_SECONDS
                if now >= keepalive_at:
                    yield stream.KEEPALIVE
                    keepalive_at = now + stream.KEEPALIVE_SECONDS
                item = await subscriber.next_item(min(keepalive_at, recheck_at) - time.monotonic())
                if item is None:
                    if subscriber.is_closed:
                        # Cut off (too slow, or shutting down): the browser reconnects
                        # with Last-Event-ID after the retry delay and is replayed.
                        yield stream.sse_retry()
                        return
                    continue
                if last_sent is not None and item["seq"] <= last_sent:
                    continue
                last_sent = item["seq"]
                yield stream.sse_message(item)
        finally:
            hub.unsubscribe(subscriber)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache, no-transform", "X-Accel-Buffering": "no"},
    )
