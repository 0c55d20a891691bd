"""The live stream's source: ``stream_items`` read back for the gateway, and pruned.

``stream_items(actor, after_seq, limit)`` answers a reconnecting browser
(``Last-Event-ID``): the items after ``after_seq`` the actor may see, ascending.
``stream_range(from_seq, to_seq)`` answers the gateway's hub when it misses items
(all of them, whoever may see them: the hub filters per client). Both read a record's
items by its shares as they are now, as the hub hands on live ones
(:mod:`.record_shares`). Items older than ``STREAM_KEEP_DAYS`` are deleted by a timer.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from nameko.timer import timer

from services.platform.access import Actor
from services.platform.audience import as_seen_by
from services.platform.errors import EXPECTED, ValidationFailed
from services.platform.events import utcnow
from services.platform.rpc import rpc

from . import domain, record_shares, store
from .base import FeedBase
from .schemas import stream_wire

STREAM_KEEP_DAYS = 7
MAX_RANGE = 1000


def _seq(value: Any, field: str) -> int:
    if isinstance(value, bool):
        value = None
    try:
        seq = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(
            f"{field} must be a whole number", [{"field": field, "message": "must be a number"}]
        ) from None
    if seq < 0:
        raise ValidationFailed(f"{field} must be 0 or more", [{"field": field, "message": ">= 0"}])
    return seq


class StreamRpc(FeedBase):
    """Read the stream items back; prune old ones."""

    @rpc(expected_exceptions=EXPECTED)
    def stream_items(
        self, actor: dict[str, Any], after_seq: int = 0, limit: int = 500
    ) -> list[dict[str, Any]]:
        """Items with ``seq > after_seq`` the actor may see, ascending, at most ``limit``.

        Scans at most ``MAX_RANGE`` * 10 items past ``after_seq`` per call; a caller
        gets fewer than ``limit`` only when no more visible items exist.
        """
        caller = Actor.from_dict(actor)
        after = _seq(after_seq, "after_seq")
        wanted = max(1, min(_seq(limit, "limit"), MAX_RANGE))
        viewer = caller.to_dict()
        found: list[dict[str, Any]] = []
        while len(found) < wanted:
            rows = store.stream_rows_after(self.db, after, MAX_RANGE)
            # the records' shares as they are now, not as when each item was stored
            audiences = record_shares.current_audiences(self.db, [r.audience for r in rows])
            for row, audience in zip(rows, audiences, strict=True):
                after = row.seq
                if domain.audience_includes(audience, viewer):
                    found.append(as_seen_by(stream_wire(row), viewer))
                    if len(found) >= wanted:
                        break
            if len(rows) < MAX_RANGE:
                break
        self.db.commit()
        return found

    @rpc(expected_exceptions=EXPECTED)
    def stream_range(self, from_seq: int, to_seq: int) -> list[dict[str, Any]]:
        """Every item with ``from_seq <= seq <= to_seq`` (at most ``MAX_RANGE``), ascending.

        For the gateway's hub only (it applies ``audience_includes`` per client); a
        record's items carry its shares as they are now.
        """
        low, high = _seq(from_seq, "from_seq"), _seq(to_seq, "to_seq")
        high = min(high, low + MAX_RANGE - 1)
        rows = store.stream_rows_between(self.db, low, high)
        audiences = record_shares.current_audiences(self.db, [r.audience for r in rows])
        self.db.commit()
        return [
            {**stream_wire(row), "audience": audience}
            for row, audience in zip(rows, audiences, strict=True)
        ]

    @rpc(expected_exceptions=EXPECTED)
    def last_stream_seq(self) -> int:
        """The seq of the newest stream item (0 when none)."""
        value = store.last_stream_seq(self.db)
        self.db.commit()
        return value

    @timer(interval=3600)
    def prune_stream_items(self) -> int:
        """Delete stream items older than ``OSPREY_STREAM_KEEP_DAYS`` (default 7)."""
        days = float(os.environ.get("OSPREY_STREAM_KEEP_DAYS") or STREAM_KEEP_DAYS)
        cutoff = utcnow() - timedelta(days=days)
        deleted = store.prune_stream(self.db, cutoff)
        self.db.commit()
        return deleted
