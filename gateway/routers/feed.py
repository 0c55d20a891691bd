"""The corporate feed: a caller's feed, posts, comments and likes, served by the feed
service.

Any signed-in user may use the feed; what each sees is the feed service's to decide
(a private channel's posts reach its members only, a record's posts whoever may read
the record). docs/api.md, "Feed".
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations.

import re
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Query, Request, Response

from services.platform.errors import ValidationFailed

from ..auth import current_actor, rpc_client
from ..list_params import filter_schema
from ..problems import also
from ..rpc import RpcClient
from .common import etag, expected_version, require_json
from .feed_schemas import (
    CommentOut,
    CommentPage,
    Cursor,
    LikeList,
    LikesOut,
    Limit,
    PostIn,
    PostOut,
    PostPage,
    TextIn,
    page_query,
)

router = APIRouter(prefix="/api/v1")

Actor = dict[str, Any]


# --- posts -------------------------------------------------------------------------------


@router.get("/feed", response_model=PostPage, tags=["feed"], operation_id="get_my_feed")
async def my_feed(
    limit: int | None = Limit,
    cursor: str | None = Cursor,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """The caller's feed, newest first: followed channels and records, mentions, own posts."""
    return await rpc.call("feed", "list_feed", page_query(limit, cursor), actor=actor)


POST_RECORD_TYPES = ("lead", "opportunity", "account", "contact", "order", "invoice", "activity")
POST_FILTERS = {
    "channel_id": filter_schema("uuid"),
    "related_type": filter_schema("enum", POST_RECORD_TYPES),
    "related_id": filter_schema("uuid"),
}
POSTS_DOC: dict[str, Any] = {
    "parameters": [
        {
            "name": f"filter[{name}]",
            "in": "query",
            "required": False,
            "description": description,
            "schema": POST_FILTERS[name],
        }
        for name, description in (
            ("channel_id", "A channel's posts (pinned first)"),
            ("related_type", "With filter[related_id]: a record's posts"),
            ("related_id", "With filter[related_type]: a record's posts"),
        )
    ]
}


def _post_filters(request: Request) -> dict[str, str]:
    """``filter[channel_id|related_type|related_id]`` of the query string, one value each."""
    found: dict[str, str] = {}
    problems: list[dict[str, str]] = []
    for key, value in parse_qsl(request.url.query, keep_blank_values=True):
        if not (key.startswith("filter[") and key.endswith("]")):
            continue
        name = key[len("filter[") : -1]
        if name not in POST_FILTERS:
            problems.append({"field": key, "message": "cannot filter by this field"})
        elif not re.search(POST_FILTERS[name]["pattern"], value) or "," in value:
            problems.append({"field": key, "message": "give one value of its kind"})
        else:
            found[name] = value.strip()
    if problems:
        raise ValidationFailed("The query string is not valid", problems)
    return found


@router.get(
    "/posts",
    response_model=PostPage,
    tags=["feed"],
    operation_id="list_posts",
    openapi_extra=POSTS_DOC,
    responses=also(404),  # a record the caller may not read, a channel they are not in
)
async def record_posts(
    request: Request,
    related_type: str | None = Query(
        None, description="The same as filter[related_type] (kept for older clients)"
    ),
    related_id: str | None = Query(
        None, description="The same as filter[related_id] (kept for older clients)"
    ),
    limit: int | None = Limit,
    cursor: str | None = Cursor,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """Posts, newest first: a record's (`filter[related_type]` and `filter[related_id]`),
    a channel's (`filter[channel_id]`, pinned first), or — with no filter — the caller's
    feed (followed channels and records, mentions, their own)."""
    filters = _post_filters(request)
    related_type = filters.get("related_type", related_type)
    related_id = filters.get("related_id", related_id)
    page = page_query(limit, cursor)
    if related_type is not None or related_id is not None:
        return await rpc.call(
            "feed",
            "list_record_posts",
            related_type or "",
            related_id or "",
            page,
            actor=actor,
        )
    if "channel_id" in filters:
        return await rpc.call(
            "feed", "list_channel_posts", filters["channel_id"], page, actor=actor
        )
    return await rpc.call("feed", "list_feed", page, actor=actor)


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


@router.get(
    "/posts/{post_id}/comments",
    response_model=CommentPage,
    tags=["feed"],
    operation_id="list_post_comments",
)
async def list_comments(
    post_id: str,
    limit: int | None = Limit,
    cursor: str | None = Cursor,
    actor: Actor = Depends(current_actor),
    rpc: RpcClient = Depends(rpc_client),
) -> dict[str, Any]:
    """A post's comments, oldest first."""
    return await rpc.call("feed", "list_comments", post_id, page_query(limit, cursor), actor=actor)


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


@router.get(
    "/posts/{post_id}/likes", response_model=LikeList, tags=["feed"], operation_id="list_post_likes"
)
async def list_likes(
    post_id: str, actor: Actor = Depends(current_actor), rpc: RpcClient = Depends(rpc_client)
) -> dict[str, Any]:
    return await rpc.call("feed", "list_likes", post_id, actor=actor)
