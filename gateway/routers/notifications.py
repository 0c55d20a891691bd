"""What reaches whom in the feed: mention suggestions, subscriptions, notifications and
the system post settings, served by the feed service.

Any signed-in user may use the feed; what each sees is the feed service's to decide
(a private channel's posts reach its members only, a record's posts whoever may read
the record). docs/api.md, "Feed".
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations.

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response

from ..auth import current_actor, rpc_client
from ..rpc import RpcClient
from . import feed_filters
from .common import require_json
from .feed_schemas import (
    Count,
    Cursor,
    Limit,
    NotificationOut,
    NotificationPage,
    SubscriptionIn,
    SubscriptionList,
    SubscriptionOut,
    SuggestionList,
    SystemPostSetting,
    SystemPostSettingIn,
    SystemPostSettingList,
    page_query,
)

router = APIRouter(prefix="/api/v1")

Actor = dict[str, Any]


# --- mentions, subscriptions, notifications ----------------------------------------------


@router.get("/mentions/suggest", response_model=SuggestionList, tags=["feed"])
async def suggest_mentions(
    q: str = Query("", max_length=100),
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """At most 10 users and teams whose handle or name starts with `q`."""
    return await rpc.call("feed", "suggest_mentions", q, actor=actor)


@router.get("/subscriptions", response_model=SubscriptionList, tags=["feed"])
async def list_subscriptions(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    return await rpc.call("feed", "list_subscriptions", actor=actor)


@router.post(
    "/subscriptions",
    response_model=SubscriptionOut,
    status_code=201,
    responses={200: {"model": SubscriptionOut, "description": "Followed already: that follow"}},
    dependencies=[Depends(require_json)],
    tags=["feed"],
    operation_id="create_subscription",
)
async def follow(
    body: SubscriptionIn,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Follow a channel or record: 201, or 200 with the existing follow."""
    answer = await rpc.call("feed", "follow", body.target.model_dump(), actor=actor)
    if not answer["created"]:
        response.status_code = 200
    return answer["subscription"]


@router.delete(
    "/subscriptions/{subscription_id}",
    status_code=204,
    response_class=Response,
    tags=["feed"],
    operation_id="delete_subscription",
)
async def unfollow(
    subscription_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    await rpc.call("feed", "unfollow", subscription_id, actor=actor)
    return Response(status_code=204)


@router.get(
    "/notifications",
    response_model=NotificationPage,
    tags=["feed"],
    openapi_extra=feed_filters.document(feed_filters.NOTIFICATION_FILTERS),
)
async def list_notifications(
    request: Request,
    unread: bool | None = None,
    limit: int | None = Limit,
    cursor: str | None = Cursor,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The caller's notifications, newest first (`?unread=true`: unread ones only), by
    `filter[kind]`, `filter[read]`, `filter[related_type]` and `filter[related_id]`."""
    filters = feed_filters.parse(request, feed_filters.NOTIFICATION_FILTERS)
    query = page_query(limit, cursor, unread=True if unread else None)
    if filters:
        query["filter"] = filters
    return await rpc.call("feed", "list_notifications", query, actor=actor)


@router.get(
    "/notifications/unread-count",
    response_model=Count,
    tags=["feed"],
    operation_id="count_unread_notifications",
)
async def unread_count(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    return await rpc.call("feed", "unread_count", actor=actor)


@router.post(
    "/notifications/read-all",
    response_model=Count,
    tags=["feed"],
    operation_id="read_all_notifications",
)
async def read_all(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    return await rpc.call("feed", "mark_all_notifications_read", actor=actor)


@router.post(
    "/notifications/{notification_id}/read",
    response_model=NotificationOut,
    tags=["feed"],
    operation_id="read_notification",
)
async def read_one(
    notification_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    return await rpc.call("feed", "mark_notification_read", notification_id, actor=actor)


# --- system post settings ----------------------------------------------------------------


@router.get(
    "/feed-settings/system-posts",
    response_model=SystemPostSettingList,
    tags=["feed"],
    operation_id="list_system_post_settings",
)
async def system_post_settings(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """Which domain events post to the feed, and to which channel besides the record."""
    return await rpc.call("feed", "list_system_post_settings", actor=actor)


@router.put(
    "/feed-settings/system-posts/{event_type}",
    response_model=SystemPostSetting,
    dependencies=[Depends(require_json)],
    tags=["feed"],
)
async def set_system_post_setting(
    event_type: str,
    body: SystemPostSettingIn,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Turn an event type's system posts on or off (administrators)."""
    return await rpc.call(
        "feed", "set_system_post_setting", event_type, body.model_dump(), actor=actor
    )
