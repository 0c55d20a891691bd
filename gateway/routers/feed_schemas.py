"""The feed's request and response bodies and list parameters, shared by its routers
(``channels``, ``feed``, ``notifications``)."""

# No ``from __future__ import annotations``: FastAPI reads the models' annotations.

from typing import Any, Literal

from fastapi import Query
from pydantic import Field

from ..schemas import Request as RequestModel
from ..schemas import Response as ResponseModel

Limit = Query(None, ge=1, le=500, description="page size")
Cursor = Query(None, description="next_cursor of the previous page")


def page_query(limit: int | None, cursor: str | None, **extra: Any) -> dict[str, Any]:
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
