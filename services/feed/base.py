"""The dependencies every part of the feed service is built on.

The service is one Nameko service (``feed``) composed of parts (channels, posts,
comments, likes, notifications, subscriptions, files, the stream, the event handlers);
each part is a class of ``@rpc`` methods or handlers on :class:`FeedBase`, put together
in ``service.py``. The steps they share are functions in :mod:`.store` (SQL and the live
stream) and :mod:`.directory` (people), the rules in :mod:`.domain`.
"""

from __future__ import annotations

from nameko.rpc import RpcProxy

from services.platform.db import Database

from .models import metadata


class FeedBase:
    """The providers: the database and the identity service."""

    name = "feed"

    db = Database(metadata)
    identity = RpcProxy("identity")
