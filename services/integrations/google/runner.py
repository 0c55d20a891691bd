"""One sync of one connection, and the background loop that leases due connections.

A sync refreshes the account's access token (a refused refresh token stops the
connection in ``needs_attention`` with ``needs_reconnect``: its owner connects it
again), then runs contacts, calendar and mail in turn; each step commits page by page
with its cursor, so a sync cut off (throttled, stopped, crashed) goes on from there
next time. The lease is released with the health: success, or the failure in the
owner's words with back-off (a throttled sync waits at least as long as Google asked).
"""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from services.integrations.sync import leases
from services.platform.errors import OspreyError, Unavailable
from services.platform.events import utcnow

from . import domain, store
from .calendar_sync import sync_calendar
from .contacts_sync import sync_contacts
from .context import CrmError, LeaseLost, SyncContext
from .dependencies import GoogleAdapter, GoogleError, GoogleSettings
from .gmail_sync import sync_gmail
from .models import connections

log = logging.getLogger(__name__)

STEPS = (sync_contacts, sync_calendar, sync_gmail)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def connection_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "settings": dict(row.settings or {}),
        "owner_id": row.owner_id,
        "secret": row.secret,
        "state": row.state,
    }


def run_sync(
    db: Any,
    adapter: GoogleAdapter,
    secrets: Any,
    config: GoogleSettings,
    connection_id: str,
    holder: str,
    rpc: dict[str, Any],
    *,
    keep_going: Any = lambda: True,
) -> dict[str, int] | None:
    """Sync one connection this holder has leased; its counts (None when the sync
    could not start). The lease is always released."""
    connection = connection_dict(store.connection_row(db, connection_id))
    db.rollback()
    ctx: SyncContext | None = None
    refresh_token: str | None = None
    try:
        refresh_token = secrets.decrypt(connection["secret"])
        api = adapter.session(refresh_token)
        ctx = SyncContext(db, api, connection, config, rpc, keep_going, holder=holder)
        for step in STEPS:
            if not keep_going():
                break
            step(ctx)
        leases.release_success(
            db,
            connections,
            connection_id,
            holder,
            next_in_seconds=config.poll_seconds,
            counts=dict(ctx.counts),
        )
        db.commit()
        return dict(ctx.counts)
    except LeaseLost:
        db.rollback()
        log.warning("google connection %s: lease lost to another instance; stopped", connection_id)
        return dict(ctx.counts) if ctx is not None else None
    except GoogleError as exc:
        db.rollback()
        log.warning("google connection %s: sync failed: %s", connection_id, exc)
        if exc.kind == "revoked" and refresh_token is not None:
            adapter.forget(refresh_token)
        _failed(db, connection, holder, exc.kind, retry_after=exc.retry_after, ctx=ctx)
    except (CrmError, OspreyError) as exc:
        db.rollback()
        log.warning("google connection %s: Osprey refused: %s", connection_id, exc)
        # a missing key or OAuth client says so in its own words; else a service refused
        kind = "protocol" if isinstance(exc, Unavailable) else "crm"
        _failed(
            db, connection, holder, kind, ctx=ctx, words=str(exc) if kind == "protocol" else None
        )
    return dict(ctx.counts) if ctx is not None else None


def _failed(
    db: Any,
    connection: dict[str, Any],
    holder: str,
    kind: str,
    *,
    retry_after: float | None = None,
    ctx: SyncContext | None = None,
    words: str | None = None,
) -> None:
    words = words or domain.failure_words(kind)
    outcome = leases.release_failure(
        db,
        connections,
        connection["id"],
        holder,
        error=words,
        permanent=kind in domain.PERMANENT,
        counts={
            **(dict(ctx.counts) if ctx else {}),
            **({"throttled": 1} if kind == "throttled" else {}),
        },
    )
    if outcome is None:
        db.rollback()
        return
    values: dict[str, Any] = {}
    if retry_after and kind == "throttled":
        at = utcnow() + timedelta(seconds=retry_after)
        if at > outcome["next_sync_at"]:
            values["next_sync_at"] = outcome["next_sync_at"] = at
    if kind == "revoked":
        values["settings"] = {**connection["settings"], "needs_reconnect": True}
    if values:
        db.execute(
            connections.update().where(connections.c.id == connection["id"]).values(**values)
        )
    db.emit(
        "google_connection_sync_failed",
        {
            "connection_id": connection["id"],
            "email": connection["settings"].get("email"),
            "owner_id": connection["owner_id"],
            "error": words,
            "kind": kind,
            "failures": outcome["failures"],
            "state": outcome["state"],
            "needs_reconnect": kind == "revoked",
            "next_sync_at": outcome["next_sync_at"].isoformat(),
        },
    )
    db.commit()


def claim_due(db: Any, holder: str, config: GoogleSettings, limit: int) -> list[str]:
    ids = leases.claim_due(db, connections, holder, lease_seconds=config.lease_seconds, limit=limit)
    db.commit()
    return ids


def make_due(db: Any, connection_id: str) -> None:
    db.execute(
        connections.update()
        .where(connections.c.id == connection_id)
        .values(next_sync_at=sa.func.now())
    )
