"""The feed's channels and each channel's posts, served by the feed service.

Any signed-in user may use the feed; what each sees is the feed service's to decide
(a private channel's posts reach its members only, a record's posts whoever may read
the record). docs/api.md, "Feed".
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations.

from typing import Any

from fastapi import APIRouter, Depends, Request

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from . import feed_filters
from .feed_schemas import (
    ChannelIn,
    ChannelOut,
    ChannelPage,
    ChannelPatch,
    Cursor,
    Limit,
    PostPage,
    page_query,
)
from .records import record_routes

router = APIRouter(prefix="/api/v1")

Actor = dict[str, Any]


# --- channels ----------------------------------------------------------------------------


@router.get(
    "/channels",
    response_model=ChannelPage,
    tags=["feed"],
    openapi_extra=feed_filters.document(feed_filters.CHANNEL_FILTERS),
)
async def list_channels(
    request: Request,
    limit: int | None = Limit,
    cursor: str | None = Cursor,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The channels the caller may see: public ones and private ones they belong to;
    `filter[is_private]`, `filter[member_ids]`."""
    query = page_query(limit, cursor)
    filters = feed_filters.parse(request, feed_filters.CHANNEL_FILTERS)
    if filters:
        query["filter"] = filters
    return await rpc.call("feed", "list_channels", query, actor=actor)


# Create (Location), get, change (If-Match) and delete, as for every record.
record_routes(
    router,
    service="feed",
    path="channels",
    plural="channels",
    singular="channel",
    create_model=ChannelIn,
    update_model=ChannelPatch,
    out_model=ChannelOut,
    skip=("list",),
    tags=["feed"],
)


@router.get("/channels/{channel_id}/posts", response_model=PostPage, tags=["feed"])
async def list_channel_posts(
    channel_id: str,
    limit: int | None = Limit,
    cursor: str | None = Cursor,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """A channel's posts: pinned ones first, then newest first."""
    return await rpc.call(
        "feed", "list_channel_posts", channel_id, page_query(limit, cursor), actor=actor
    )
