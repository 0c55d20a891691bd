"""The corporate feed: channels, posts, comments, likes, subscriptions, notifications,
mention suggestions and the system post settings, served by the feed service.

Any signed-in user may use the feed; what each sees is the feed service's to decide
(a private channel's posts reach its members only, a record's posts whoever may read
the record). docs/api.md, "Feed".
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations.

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field

from ..auth import current_actor, rpc_client
from ..problems import PROBLEM_RESPONSES
from ..rpc import RpcClient
from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel
from .common import etag, expected_version, require_json
from .records import record_routes

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)

Actor = dict[str, Any]
Limit = Query(None, ge=1, le=500, description="page size")
Cursor = Query(None, description="next_cursor of the previous page")


def _page_query(limit: int | None, cursor: str | None, **extra: Any) -> dict[str, Any]:
    query: dict[str, Any] = {k: v for k, v in extra.items() if v is not None}
    if limit is not None:
        query["limit"] = limit
    if cursor:
        query["cursor"] = cursor
    return query


# --- models ------------------------------------------------------------------------------


class ChannelIn(RequestModel):
    name: str = Field(max_length=100)
    description: str | None = Field(None, max_length=2000)
    is_private: bool | None = None
    member_ids: list[str] | None = None


class ChannelPatch(RequestModel):
    name: str | None = Field(None, max_length=100)
    description: str | None = Field(None, max_length=2000)
    is_private: bool | None = None
    member_ids: list[str] | None = None


class ChannelOut(ResponseModel):
    id: str
    name: str
    description: str | None = None
    is_private: bool
    member_ids: list[str]
    admin_ids: list[str]
    created_by: str
    created_at: str
    version: int
    is_member: bool
    is_following: bool


class ChannelPage(ResponseModel):
    items: list[ChannelOut]
    next_cursor: str | None = None


class RecordRef(RequestModel):
    type: str
    id: str


class PostIn(RequestModel):
    channel_id: str | None = None
    related: RecordRef | None = None
    text: str
    attachment_ids: list[str] | None = None


class TextIn(RequestModel):
    text: str


class Mention(ResponseModel):
    type: Literal["user", "team"]
    id: str
    handle: str


class Attachment(ResponseModel):
    id: str
    name: str
    content_type: str
    size: int


class RelatedOut(ResponseModel):
    type: str
    id: str


class PostOut(ResponseModel):
    id: str
    channel_id: str | None = None
    related: RelatedOut | None = None
    text: str
    html: str
    author_id: str | None = None
    kind: Literal["user", "system"]
    event_type: str | None = None
    mentions: list[Mention]
    attachments: list[Attachment]
    like_count: int
    liked_by_me: bool
    comment_count: int
    is_pinned: bool
    created_at: str
    edited_at: str | None = None
    version: int


class PostPage(ResponseModel):
    items: list[PostOut]
    next_cursor: str | None = None


class CommentOut(ResponseModel):
    id: str
    post_id: str
    text: str
    html: str
    author_id: str
    mentions: list[Mention]
    created_at: str
    edited_at: str | None = None
    version: int


class CommentPage(ResponseModel):
    items: list[CommentOut]
    next_cursor: str | None = None


class LikesOut(ResponseModel):
    like_count: int
    liked_by_me: bool


class LikeOut(ResponseModel):
    user_id: str
    created_at: str


class LikeList(ResponseModel):
    items: list[LikeOut]


class SubscriptionIn(RequestModel):
    target: RecordRef


class SubscriptionOut(ResponseModel):
    id: str
    target: RelatedOut
    created_at: str


class SubscriptionList(ResponseModel):
    items: list[SubscriptionOut]
    next_cursor: str | None = None


class NotificationOut(ResponseModel):
    id: str
    kind: Literal["mention", "comment", "like", "assignment", "system"]
    text: str
    related: RelatedOut | None = None
    post_id: str | None = None
    actor_id: str | None = None
    read_at: str | None = None
    created_at: str


class NotificationPage(ResponseModel):
    items: list[NotificationOut]
    next_cursor: str | None = None


class Count(ResponseModel):
    count: int


class Suggestion(ResponseModel):
    type: Literal["user", "team"]
    id: str
    handle: str
    name: str | None = None


class SuggestionList(ResponseModel):
    items: list[Suggestion]


class SystemPostSetting(ResponseModel):
    event_type: str
    enabled: bool
    channel_id: str | None = None


class SystemPostSettingList(ResponseModel):
    items: list[SystemPostSetting]


class SystemPostSettingIn(RequestModel):
    enabled: bool
    channel_id: str | None = None


# --- channels ----------------------------------------------------------------------------


@router.get("/channels", response_model=ChannelPage, tags=["feed"])
async def list_channels(
    limit: int | None = Limit,
    cursor: str | None = Cursor,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The channels the caller may see: public ones and private ones they belong to."""
    return await rpc.call("feed", "list_channels", _page_query(limit, cursor), actor=actor)


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
        "feed", "list_channel_posts", channel_id, _page_query(limit, cursor), actor=actor
    )


# --- posts -------------------------------------------------------------------------------


@router.get("/feed", response_model=PostPage, tags=["feed"])
async def my_feed(
    limit: int | None = Limit,
    cursor: str | None = Cursor,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The caller's feed, newest first: followed channels and records, mentions, own posts."""
    return await rpc.call("feed", "list_feed", _page_query(limit, cursor), actor=actor)


@router.get("/posts", response_model=PostPage, tags=["feed"])
async def record_posts(
    related_type: str,
    related_id: str,
    limit: int | None = Limit,
    cursor: str | None = Cursor,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """A record's feed (`?related_type=opportunity&related_id=…`), newest first."""
    return await rpc.call(
        "feed",
        "list_record_posts",
        related_type,
        related_id,
        _page_query(limit, cursor),
        actor=actor,
    )


@router.post(
    "/posts",
    response_model=PostOut,
    status_code=201,
    dependencies=[Depends(require_json)],
    tags=["feed"],
)
async def create_post(
    body: PostIn,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Post in a channel (`channel_id`) or on a record (`related`); `html` is made here."""
    data = body.changes()
    if body.related is not None:
        data["related"] = body.related.model_dump()
    post = await rpc.call("feed", "create_post", data, actor=actor)
    response.headers["Location"] = f"/api/v1/posts/{post['id']}"
    response.headers["ETag"] = etag(post)
    return post


@router.get("/posts/{post_id}", response_model=PostOut, tags=["feed"])
async def get_post(
    post_id: str,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    post = await rpc.call("feed", "get_post", post_id, actor=actor)
    response.headers["ETag"] = etag(post)
    return post


@router.patch(
    "/posts/{post_id}",
    response_model=PostOut,
    dependencies=[Depends(require_json)],
    tags=["feed"],
)
async def update_post(
    post_id: str,
    body: TextIn,
    request: Request,
    response: Response,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Change a post's text (its author only)."""
    post = await rpc.call(
        "feed",
        "update_post",
        post_id,
        body.changes(),
        actor=actor,
        expected_version=expected_version(request),
    )
    response.headers["ETag"] = etag(post)
    return post


@router.delete("/posts/{post_id}", status_code=204, response_class=Response, tags=["feed"])
async def delete_post(
    post_id: str,
    request: Request,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    """Delete a post (its author, the channel's admin or an administrator)."""
    await rpc.call(
        "feed", "delete_post", post_id, actor=actor, expected_version=expected_version(request)
    )
    return Response(status_code=204)


@router.post("/posts/{post_id}/pin", response_model=PostOut, tags=["feed"])
async def pin_post(
    post_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    return await rpc.call("feed", "pin_post", post_id, actor=actor)


@router.post("/posts/{post_id}/unpin", response_model=PostOut, tags=["feed"])
async def unpin_post(
    post_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    return await rpc.call("feed", "unpin_post", post_id, actor=actor)


# --- comments and likes ------------------------------------------------------------------


@router.get("/posts/{post_id}/comments", response_model=CommentPage, tags=["feed"])
async def list_comments(
    post_id: str,
    limit: int | None = Limit,
    cursor: str | None = Cursor,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """A post's comments, oldest first."""
    return await rpc.call("feed", "list_comments", post_id, _page_query(limit, cursor), actor=actor)


@router.post(
    "/posts/{post_id}/comments",
    response_model=CommentOut,
    status_code=201,
    dependencies=[Depends(require_json)],
    tags=["feed"],
)
async def add_comment(
    post_id: str,
    body: TextIn,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    return await rpc.call("feed", "add_comment", post_id, body.changes(), actor=actor)


@router.patch(
    "/posts/{post_id}/comments/{comment_id}",
    response_model=CommentOut,
    dependencies=[Depends(require_json)],
    tags=["feed"],
)
async def update_comment(
    post_id: str,
    comment_id: str,
    body: TextIn,
    request: Request,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    return await rpc.call(
        "feed",
        "update_comment",
        post_id,
        comment_id,
        body.changes(),
        actor=actor,
        expected_version=expected_version(request),
    )


@router.delete(
    "/posts/{post_id}/comments/{comment_id}",
    status_code=204,
    response_class=Response,
    tags=["feed"],
)
async def delete_comment(
    post_id: str,
    comment_id: str,
    request: Request,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    await rpc.call(
        "feed",
        "delete_comment",
        post_id,
        comment_id,
        actor=actor,
        expected_version=expected_version(request),
    )
    return Response(status_code=204)


@router.post("/posts/{post_id}/likes", response_model=LikesOut, tags=["feed"])
async def like_post(
    post_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    """Like a post; liking twice counts once."""
    return await rpc.call("feed", "like_post", post_id, actor=actor)


@router.delete("/posts/{post_id}/likes", response_model=LikesOut, tags=["feed"])
async def unlike_post(
    post_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    return await rpc.call("feed", "unlike_post", post_id, actor=actor)


@router.get("/posts/{post_id}/likes", response_model=LikeList, tags=["feed"])
async def list_likes(
    post_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    return await rpc.call("feed", "list_likes", post_id, actor=actor)


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
    dependencies=[Depends(require_json)],
    tags=["feed"],
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
    "/subscriptions/{subscription_id}", status_code=204, response_class=Response, tags=["feed"]
)
async def unfollow(
    subscription_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> Response:
    await rpc.call("feed", "unfollow", subscription_id, actor=actor)
    return Response(status_code=204)


@router.get("/notifications", response_model=NotificationPage, tags=["feed"])
async def list_notifications(
    unread: bool | None = None,
    limit: int | None = Limit,
    cursor: str | None = Cursor,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The caller's notifications, newest first (`?unread=true`: unread ones only)."""
    query = _page_query(limit, cursor, unread=True if unread else None)
    return await rpc.call("feed", "list_notifications", query, actor=actor)


@router.get("/notifications/unread-count", response_model=Count, tags=["feed"])
async def unread_count(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    return await rpc.call("feed", "unread_count", actor=actor)


@router.post("/notifications/read-all", response_model=Count, tags=["feed"])
async def read_all(
    actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    return await rpc.call("feed", "mark_all_notifications_read", actor=actor)


@router.post("/notifications/{notification_id}/read", response_model=NotificationOut, tags=["feed"])
async def read_one(
    notification_id: str,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    return await rpc.call("feed", "mark_notification_read", notification_id, actor=actor)


# --- system post settings ----------------------------------------------------------------


@router.get("/feed-settings/system-posts", response_model=SystemPostSettingList, tags=["feed"])
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
