"""A connection's health as its owner sees it: when it last synced, what it counted,
the last error in words they can act on, and whether it needs them."""

from __future__ import annotations

from typing import Any

from services.platform.events import isoformat


def dump_health(row: Any) -> dict[str, Any]:
    """``{state, last_synced_at, last_error, last_error_at, failures, next_sync_at,
    counts, syncing}`` of a ``connections`` row."""
    return {
        "state": row.state,
        "last_synced_at": isoformat(row.last_synced_at),
        "last_error": row.last_error,
        "last_error_at": isoformat(row.last_error_at),
        "failures": row.failures,
        "next_sync_at": isoformat(row.next_sync_at),
        "counts": dict(row.counts or {}),
        "syncing": row.lease_owner is not None,
    }
