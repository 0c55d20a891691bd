"""The background sync: leases due mailboxes and syncs each in a green thread of its own.

Every instance of the mail service runs one :class:`SyncRunner`. Mailboxes are shared
among instances by the sync library's leases; one mailbox's slow or failing server
never holds up another's (each has its own thread and socket timeouts). After a sync a
mailbox whose server has IDLE is watched there (up to ``idle_seconds``) and synced as
soon as mail comes; one without IDLE is due again after ``poll_seconds``.
"""

from __future__ import annotations

import logging
import os
import socket
from typing import Any

import sqlalchemy as sa

from services.integrations.sync import cursors as cursor_store
from services.integrations.sync import leases

from . import domain, store
from .dependencies import Endpoint, ImapAdapter, MailServerError, MailSettings
from .models import connections, cursors
from .sync import SyncResult, sync_mailbox

log = logging.getLogger(__name__)


#: how long stopping waits for running syncs to reach the end of a batch
STOP_GRACE_SECONDS = 10


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def endpoint_of(
    mailbox: dict[str, Any], password: str, timeout: float, *, smtp: bool = False
) -> Endpoint:
    s = mailbox["settings"]
    if smtp:
        return Endpoint(
            s["smtp_host"], s["smtp_port"], s["smtp_security"], s["login"], password, timeout
        )
    return Endpoint(s["imap_host"], s["imap_port"], s["security"], s["login"], password, timeout)


def mailbox_dict(row: Any) -> dict[str, Any]:
    return {
        "id": row.id,
        "settings": dict(row.settings or {}),
        "is_shared": row.is_shared,
        "owner_id": row.owner_id,
        "team_id": row.team_id,
        "secret": row.secret,
        "state": row.state,
    }


def run_sync(
    Session: Any,
    imap_adapter: ImapAdapter,
    secrets: Any,
    settings: MailSettings,
    mailbox_id: str,
    holder: str,
    *,
    user_addresses: set[str],
    watch: bool = False,
    keep_going: Any = lambda: True,
) -> SyncResult | None:
    """Sync one mailbox this holder has leased, then release the lease with its
    health: success, or the failure in the user's words (``mailbox_sync_failed``)."""
    with Session() as db:
        row = store.mailbox_row(db, mailbox_id)
        mailbox = mailbox_dict(row)
        db.rollback()
        try:
            password = secrets.decrypt(mailbox["secret"])
        except Exception as exc:  # noqa: BLE001 - no key: the mailbox cannot sync
            _failed(db, mailbox, holder, str(exc), permanent=False)
            return None
        imap = None
        result = SyncResult()
        try:
            imap = imap_adapter.connect(endpoint_of(mailbox, password, settings.timeout))
            result = sync_mailbox(
                db, imap, mailbox, settings, user_addresses=user_addresses, keep_going=keep_going
            )
            if mailbox["settings"].get("sent_folder") != row.settings.get("sent_folder"):
                store.update_mailbox(db, mailbox_id, {"settings": mailbox["settings"]})
            idle = watch and imap.idle_supported
            # a watched mailbox is not due while IDLE waits; the watch makes it due
            next_in = (
                settings.idle_seconds + settings.lease_seconds if idle else settings.poll_seconds
            )
            leases.release_success(
                db, connections, mailbox_id, holder, next_in_seconds=next_in, counts=result.counts()
            )
            db.commit()
        except MailServerError as exc:
            db.rollback()
            _failed(
                db,
                mailbox,
                holder,
                domain.failure_words(exc.kind, exc.detail),
                permanent=exc.kind in domain.PERMANENT,
                counts=result.counts(),
            )
            log.warning("mailbox %s: sync failed: %s", mailbox_id, exc.kind)
            return result
        finally:
            if imap is not None and not (watch and imap.idle_supported):
                imap.logout()
        if watch and imap is not None and imap.idle_supported:
            _watch(Session, imap, mailbox_id, settings, keep_going)
        return result


def _watch(
    Session: Any,
    imap: Any,
    mailbox_id: str,
    settings: MailSettings,
    keep_going: Any,
) -> None:
    """IDLE on INBOX until something changes or ``idle_seconds`` pass; then the mailbox
    is due now, and the next claim (by any instance) syncs what changed. While it waits
    the mailbox is not due, so nobody syncs it meanwhile."""
    try:
        # Selected first, then compared with the cursor: mail that came after the
        # SELECT is announced by IDLE, mail that came before it shows in STATUS.
        imap.select("INBOX")
        with Session() as db:
            synced = cursor_store.read_cursors(db, cursors, mailbox_id).get("INBOX") or {}
            db.rollback()
        if keep_going() and imap.status("INBOX").uidnext <= synced.get("uidnext", 0):
            imap.idle("INBOX", settings.idle_seconds)
    except MailServerError:
        pass
    finally:
        imap.logout()
    with Session() as db:
        db.execute(
            connections.update()
            .where(connections.c.id == mailbox_id, connections.c.lease_owner.is_(None))
            .values(next_sync_at=sa.func.now())
        )
        db.commit()


def _failed(
    db: Any,
    mailbox: dict[str, Any],
    holder: str,
    words: str,
    *,
    permanent: bool,
    counts: dict | None = None,
) -> None:
    outcome = leases.release_failure(
        db, connections, mailbox["id"], holder, error=words, permanent=permanent, counts=counts
    )
    if outcome is not None:
        db.emit(
            "mailbox_sync_failed",
            {
                "mailbox_id": mailbox["id"],
                "email": mailbox["settings"].get("email"),
                "owner_id": mailbox["owner_id"],
                "error": words,
                "failures": outcome["failures"],
                "state": outcome["state"],
                "next_sync_at": outcome["next_sync_at"].isoformat(),
            },
        )
    db.commit()
