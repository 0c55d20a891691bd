"""One sync of one mailbox: each folder from its cursor, a batch per transaction.

A folder's cursor (sync library's ``cursors``) holds ``uidvalidity``, ``uidnext`` (every
UID below it that is newer than the first sync is stored), ``modseq`` (HIGHESTMODSEQ,
with CONDSTORE) and ``backfill_below`` (the first sync's progress: mail older than this
UID and newer than ``since`` is still to fetch; None once done).

- A later sync asks STATUS (one round trip per folder); a folder whose UIDVALIDITY,
  UIDNEXT and HIGHESTMODSEQ did not move costs nothing more.
- New mail (UID ≥ ``uidnext``) comes first, oldest to newest; then the first sync's
  backfill goes on, newest first, so recent mail shows within seconds.
- A UIDVALIDITY change drops the folder's locations and syncs it again from scratch;
  messages already stored are recognised by their keys and only gain a location.
- Each batch's messages, locations, events and the cursor commit together: a sync cut
  off anywhere (the server stopped, the process killed) goes on from the last commit,
  with nothing lost and nothing stored twice.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from services.integrations.sync import cursors as cursor_store

from . import domain, storing
from .dependencies import ImapConnection, MailServerError, MailSettings
from .models import cursors
from .parsing import Parsed, parse_message

log = logging.getLogger(__name__)


@dataclass
class SyncResult:
    folders: int = 0
    fetched: int = 0
    stored: int = 0  # new messages
    duplicates: int = 0  # already stored from another folder or mailbox
    internal: int = 0  # mail between CRM users, not stored
    malformed: int = 0  # stored as well as could be, with problems named
    skipped: int = 0  # could not be stored at all (the reason logged)
    uidvalidity_resets: int = 0
    received: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "messages": self.stored,
            "duplicates": self.duplicates,
            "internal_skipped": self.internal,
            "malformed": self.malformed,
            "skipped": self.skipped,
            "uidvalidity_resets": self.uidvalidity_resets,
        }


def folders_to_sync(mailbox: dict[str, Any], sent_folder: str | None) -> list[tuple[str, str]]:
    """``(folder, direction)``: INBOX and the folders the user picked as incoming, and the
    server's Sent folder as outgoing."""
    picked = [f for f in mailbox["settings"].get("folders") or ["INBOX"] if f != sent_folder]
    out = [(folder, "incoming") for folder in dict.fromkeys(["INBOX", *picked])]
    if sent_folder:
        out.append((sent_folder, "outgoing"))
    return out


def sync_mailbox(
    db: Any,
    imap: ImapConnection,
    mailbox: dict[str, Any],
    settings: MailSettings,
    *,
    user_addresses: set[str] = frozenset(),  # type: ignore[assignment]
    only: list[str] | None = None,
    keep_going: Callable[[], bool] = lambda: True,
) -> SyncResult:
    """Sync the mailbox's folders (``only`` some of them); commit per batch. Raises
    ``MailServerError`` when the server fails; what was committed before stays."""
    result = SyncResult()
    sent = mailbox["settings"].get("sent_folder")
    if sent is None:
        sent = imap.sent_folder()
        mailbox["settings"]["sent_folder"] = sent
    since = date.fromisoformat(mailbox["settings"]["sync_since"])
    known = cursor_store.read_cursors(db, cursors, mailbox["id"])
    db.rollback()  # no transaction held open across the server's answers
    for folder, direction in folders_to_sync(mailbox, sent):
        if only is not None and folder not in only:
            continue
        if not keep_going():
            break
        result.folders += 1
        sync_folder(
            db,
            imap,
            mailbox,
            folder,
            direction,
            known.get(folder),
            since,
            settings,
            user_addresses,
            result,
            keep_going,
        )
    return result


def sync_folder(
    db: Any,
    imap: ImapConnection,
    mailbox: dict[str, Any],
    folder: str,
    direction: str,
    cursor: dict[str, Any] | None,
    since: date,
    settings: MailSettings,
    user_addresses: set[str],
    result: SyncResult,
    keep_going: Callable[[], bool],
) -> None:
    # STATUS first: most folders of most syncs have nothing new, and a STATUS costs the
    # server half a SELECT of a large folder; the SELECT below only when something moved.
    status = imap.status(folder)
    if (
        cursor is not None
        and cursor.get("uidvalidity") == status.uidvalidity
        and cursor.get("uidnext") == status.uidnext
        and cursor.get("backfill_below") is None
        and (status.highestmodseq is None or cursor.get("modseq") == status.highestmodseq)
        and cursor.get("since") == since.isoformat()
    ):
        return  # nothing new
    if cursor is not None and (
        cursor.get("uidvalidity") != status.uidvalidity or cursor.get("since") != since.isoformat()
    ):
        if cursor.get("uidvalidity") != status.uidvalidity:
            log.info(
                "mailbox %s: %s has a new UIDVALIDITY; syncing it again", mailbox["id"], folder
            )
            storing.forget_folder(db, mailbox["id"], folder)
            result.uidvalidity_resets += 1
        cursor = None
    if cursor is None:
        cursor = {
            "uidvalidity": status.uidvalidity,
            "uidnext": status.uidnext,
            "modseq": status.highestmodseq,
            "backfill_below": status.uidnext,
            "since": since.isoformat(),
        }
        cursor_store.write_cursor(db, cursors, mailbox["id"], folder, cursor)
        db.commit()

    opened = imap.open(folder)  # what SELECT says now is what the fetch sees
    if opened.uidvalidity != status.uidvalidity:
        # renumbered between the two commands: the next sync starts the folder afresh
        raise MailServerError("protocol", f"{folder}: UIDVALIDITY changed during the sync")
    status = opened
    own = user_addresses | {mailbox["settings"].get("email")}
    batch = settings.batch_size

    def read(uids: list[int]) -> list[tuple[int, Parsed]]:
        return _read_batch(imap, mailbox, folder, uids, settings, own, result)

    def write(items: list[tuple[int, Parsed]], at: dict[str, Any]) -> None:
        _write_batch(db, mailbox, folder, direction, status.uidvalidity, items, at, result)

    with BatchWriter() as writer:
        # 1. new mail since the last sync, oldest first, the cursor moving with each batch
        if status.uidnext > cursor["uidnext"]:
            # by range when few are new: UIDs are not dense (expunged ones leave gaps),
            # and fetching a UID that is not there returns nothing for it
            new = imap.new_uids(
                folder, cursor["uidnext"] - 1, status.uidnext - cursor["uidnext"], batch
            )
            for start in range(0, len(new), batch):
                if not keep_going():
                    return
                uids = new[start : start + batch]
                items = read(uids)
                cursor["uidnext"] = uids[-1] + 1
                writer.submit(write, items, dict(cursor))
        cursor["uidnext"] = max(cursor["uidnext"], status.uidnext)

        # 2. the first sync's backfill, newest first
        if cursor.get("backfill_below") is not None:
            older = imap.uids(folder, since=since)
            older = [uid for uid in older if uid < cursor["backfill_below"]]
            for start in range(0, len(older), batch):
                if not keep_going():
                    return
                uids = older[start : start + batch]
                items = read(uids)
                cursor["backfill_below"] = uids[-1]
                writer.submit(write, items, dict(cursor))
            cursor["backfill_below"] = None
    cursor["modseq"] = status.highestmodseq
    cursor_store.write_cursor(db, cursors, mailbox["id"], folder, cursor)
    db.commit()


class BatchWriter:
    """Stores one batch while the next is fetched and parsed: a thread of its own (a
    green one in the service) that owns the session meanwhile, one batch queued at most.
    Batches commit in order; leaving the block waits for the last, and a failure on
    either side stops both and is raised."""

    def __init__(self) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=1)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="mail-batch-writer", daemon=True)

    def __enter__(self) -> BatchWriter:
        self._thread.start()
        return self

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            if self._error is None:
                fn, args = job
                try:
                    fn(*args)
                except BaseException as exc:  # noqa: BLE001 - handed to the reading side
                    self._error = exc

    def submit(self, fn: Callable[..., None], *args: Any) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put((fn, args))

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        self._queue.put(None)
        self._thread.join()
        if self._error is not None and exc is None:
            raise self._error


def _read_batch(
    imap: ImapConnection,
    mailbox: dict[str, Any],
    folder: str,
    uids: list[int],
    settings: MailSettings,
    own: set[str],
    result: SyncResult,
) -> list[tuple[int, Parsed]]:
    """Fetch and parse a batch (no database)."""
    items: list[tuple[int, Parsed]] = []
    store_internal = bool(mailbox["settings"].get("store_internal"))
    for fetched in imap.fetch(folder, uids, max_bytes=settings.max_message_bytes):
        result.fetched += 1
        try:
            parsed = parse_message(
                fetched.raw,
                keep_attachment_bytes=settings.keep_attachment_bytes,
                headers_only=fetched.headers_only,
                size=fetched.size,
            )
        except Exception:  # noqa: BLE001 - one bad message never stops a sync
            log.exception(
                "mailbox %s: %s UID %s could not be read; skipped",
                mailbox["id"],
                folder,
                fetched.uid,
            )
            result.skipped += 1
            continue
        if (
            not store_internal
            and own
            # a stranger's mail is not internal: no need to list its participants
            and (parsed.from_address is None or parsed.from_address in own)
            and domain.is_internal(parsed.participants(), own)
        ):
            result.internal += 1
            continue
        if parsed.problems:
            result.malformed += 1
            log.info(
                "mailbox %s: %s UID %s stored with problems: %s",
                mailbox["id"],
                folder,
                fetched.uid,
                "; ".join(parsed.problems),
            )
        items.append((fetched.uid, parsed))
    undated = {uid: parsed for uid, parsed in items if parsed.sent_at is None}
    for uid, when in imap.arrival_times(folder, list(undated)).items():
        undated[uid].sent_at = _aware(when)
    return items


def _write_batch(
    db: Any,
    mailbox: dict[str, Any],
    folder: str,
    direction: str,
    uidvalidity: int,
    items: list[tuple[int, Parsed]],
    cursor: dict[str, Any],
    result: SyncResult,
) -> None:
    """Store a batch with the cursor that follows it, in one transaction."""
    received = storing.store_messages(
        db,
        mailbox_id=mailbox["id"],
        folder=folder,
        uidvalidity=uidvalidity,
        items=items,
        direction=direction,
        user_id=mailbox.get("owner_id"),
        team_id=mailbox.get("team_id"),
    )
    cursor_store.write_cursor(db, cursors, mailbox["id"], folder, cursor)
    db.commit()
    result.stored += len(received)
    result.duplicates += len(items) - len(received)
    result.received.extend(r["id"] for r in received)


def _aware(value: Any) -> Any:
    from datetime import UTC

    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
