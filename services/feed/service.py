"""The feed service: channels, posts, comments, likes, mentions, subscriptions,
notifications, attachments and the live stream's source.

One Nameko service (``feed``) made of parts, a module each, side by side on
:class:`services.feed.base.FeedBase`, which declares the providers and nothing else
(docs/architecture.md).
"""

from __future__ import annotations

from services.platform.record_batch import RecordBatchRpc

from .channels import ChannelsRpc
from .comments import CommentsRpc
from .files import FilesRpc
from .handlers import HandlersMixin
from .imports import ImportsHandlers
from .likes import LikesRpc
from .notifications import NotificationsRpc
from .posts import PostsRpc
from .record_shares import RecordSharesHandlers
from .stream import StreamRpc
from .subscriptions import SubscriptionsRpc


class FeedService(
    ChannelsRpc,
    PostsRpc,
    CommentsRpc,
    LikesRpc,
    HandlersMixin,
    RecordSharesHandlers,
    ImportsHandlers,
    NotificationsRpc,
    SubscriptionsRpc,
    FilesRpc,
    StreamRpc,
    RecordBatchRpc,
):
    """Every ``@rpc`` method and event handler of the parts, on one service."""

    name = "feed"
