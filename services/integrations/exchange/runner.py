"""Running one connection's sync under its lease, and releasing the lease with its
health: success; Exchange throttling (due again after the server's back-off hint, the
sync resuming from its cursors); or a failure in the user's words, backing off (a
wrong password or a refused token stops the connection until its owner fixes it)."""

from __future__ import annotations

import json
import logging
import os
import socket
from datetime import timedelta
from typing import Any

from services.integrations.sync import cursors as cursor_store
from services.integrations.sync import leases
from services.platform.events import utcnow

from . import domain, store
from .calendar_sync import sync_calendar, sync_tasks
from .contacts_sync import sync_contacts
from .dependencies import ExchangeAdapter, ExchangeError, ExchangeSettings
from .models import connections, cursors
from .sync import Context, Remote, SyncResult, sync_mail

log = logging.getLogger(__name__)


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def connection_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "settings": dict(row.settings or {}),
        "is_shared": row.is_shared,
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "secret": row.secret,
        "state": row.state,
    }


def open_secret(secrets: Any, token: bytes) -> dict[str, Any]:
    return json.loads(secrets.decrypt(token))


def run_sync(
    db: Any,
    adapter: ExchangeAdapter,
    secrets: Any,
    settings: ExchangeSettings,
    remote: Remote,
    connection_id: str,
    holder: str,
    *,
    keep_going: Any = lambda: True,
) -> SyncResult:
    """Sync a connection this holder has leased, then release the lease."""
    row = store.connection_row(db, connection_id)
    connection = connection_dict(row)
    known = cursor_store.read_cursors(db, cursors, connection_id)
    db.rollback()
    result = SyncResult()
    ews = None
    kept = False
    try:
        secret = open_secret(secrets, connection["secret"])
        ews = adapter.connect(connection["settings"], secret)
        if ews.ews_url != connection["settings"].get("ews_url") and (
            connection["settings"].get("discovered_ews_url") != ews.ews_url
        ):
            connection["settings"]["discovered_ews_url"] = ews.ews_url
            store.update_connection(db, connection_id, {"settings": connection["settings"]})
            db.commit()
        ctx = Context(
            db=db,
            ews=ews,
            connection=connection,
            settings=settings,
            remote=remote,
            actor=owner_actor(connection),
            result=result,
            keep_going=keep_going,
            cursors=known,
        )
        options = connection["settings"]
        if options.get("sync_mail", True):
            sync_mail(ctx)
        if options.get("import_contacts", True) or options.get("export_contacts") != "none":
            sync_contacts(ctx)
        if options.get("sync_calendar", True):
            sync_calendar(ctx)
        if options.get("sync_tasks", True):
            sync_tasks(ctx)
        leases.release_success(
            db,
            connections,
            connection_id,
            holder,
            next_in_seconds=settings.poll_seconds,
            counts=result.counts(),
        )
        db.commit()
        # the next sync reuses this session's connections (exchangelib keeps one
        # protocol per endpoint and credentials): no TLS handshake on every sync
        kept = True
    except ExchangeError as exc:
        db.rollback()
        if exc.kind == "busy":
            _throttled(db, connection, holder, exc.back_off, result)
        else:
            if exc.kind == "sync_state":
                _forget_cursors(db, connection_id)
            _failed(
                db,
                connection,
                holder,
                domain.failure_words(exc.kind, exc.detail),
                permanent=exc.kind in domain.PERMANENT,
                counts=result.counts(),
            )
            log.warning("exchange connection %s: sync failed: %s", connection_id, exc)
    except Exception as exc:  # noqa: BLE001 - a key gone, a bug: the connection waits
        db.rollback()
        log.exception("exchange connection %s: sync crashed", connection_id)
        _failed(
            db,
            connection,
            holder,
            domain.failure_words("protocol", f"{type(exc).__name__}: {exc}"),
            permanent=False,
            counts=result.counts(),
        )
    finally:
        if ews is not None and not kept:
            ews.close()
    return result


def owner_actor(connection: dict[str, Any]) -> dict[str, Any]:
    """As whom the sync reads and writes CRM records: the owner, as they were when they
    connected (kept in the settings; a shared connection acts as its creator)."""
    owner = dict(connection["settings"].get("actor") or {})
    if not owner.get("id"):
        owner = {"id": connection["owner_id"], "roles": ["sales_rep"]}
    return owner


def _throttled(
    db: Any, connection: dict[str, Any], holder: str, back_off: float | None, result: SyncResult
) -> None:
    """Exchange said ErrorServerBusy: what was synced is committed (cursors included);
    the connection is due again after the server's hint and goes on from there."""
    wait = max(1.0, back_off or 30.0)
    words = domain.failure_words("busy", back_off=wait)
    if leases.release_success(
        db,
        connections,
        connection["id"],
        holder,
        next_in_seconds=wait,
        counts={**result.counts(), "throttled": 1},
    ):
        db.execute(
            connections.update()
            .where(connections.c.id == connection["id"])
            .values(last_error=words, last_error_at=utcnow())
        )
    db.commit()
    log.info("exchange connection %s: throttled for %.1f s", connection["id"], wait)


def _forget_cursors(db: Any, connection_id: str) -> None:
    # links stay: the folders are read again and every item is recognised by its id
    db.execute(cursors.delete().where(cursors.c.connection_id == connection_id))
    db.commit()


def _failed(
    db: Any,
    connection: dict[str, Any],
    holder: str,
    words: str,
    *,
    permanent: bool,
    counts: dict[str, int] | None = None,
) -> None:
    outcome = leases.release_failure(
        db, connections, connection["id"], holder, error=words, permanent=permanent, counts=counts
    )
    if outcome is not None:
        db.emit(
            "exchange_sync_failed",
            {
                "connection_id": connection["id"],
                "email": connection["settings"].get("email"),
                "owner_id": connection["owner_id"],
                "error": words,
                "failures": outcome["failures"],
                "state": outcome["state"],
                "next_sync_at": outcome["next_sync_at"].isoformat(),
            },
        )
    db.commit()


def next_due(seconds: float) -> Any:
    return utcnow() + timedelta(seconds=seconds)
