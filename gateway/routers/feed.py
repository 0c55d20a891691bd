"""The corporate feed: a caller's feed, posts, comments and likes, served by the feed
service.

Any signed-in user may use the feed; what each sees is the feed service's to decide
(a private channel's posts reach its members only, a record's posts whoever may read
the record). docs/api.md, "Feed".
"""

# No ``from __future__ import annotations``: FastAPI reads the routes' annotations.

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from ..auth import current_actor, rpc_client
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


@router.get("/posts", response_model=PostPage, tags=["feed"], operation_id="list_posts")
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
        page_query(limit, cursor),
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
