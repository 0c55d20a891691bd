"""The feed service: channels, posts, comments, likes, mentions, subscriptions,
notifications, attachments and the live stream's source.

One Nameko service (``feed``) made of parts, a module each; the shared steps and the
database live in :mod:`services.feed.base` (docs/architecture.md).
"""

from __future__ import annotations

from .channels import ChannelsRpc
from .files import FilesRpc
from .handlers import HandlersMixin
from .notifications import NotificationsRpc
from .posts import PostsRpc
from .stream import StreamRpc
from .subscriptions import SubscriptionsRpc


class FeedService(
    ChannelsRpc,
    PostsRpc,
    HandlersMixin,
    NotificationsRpc,
    SubscriptionsRpc,
    FilesRpc,
    StreamRpc,
):
    """Every ``@rpc`` method and event handler of the parts, on one service."""

    name = "feed"
