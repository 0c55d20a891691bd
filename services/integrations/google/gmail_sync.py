"""Gmail into the mail pipeline: the same storing, dedup by Message-ID, linking and
privacy as IMAP mail, through the mail service's ``store_external_messages``.

The account is registered with the mail service as a mailbox of kind ``google`` (same
id as the connection, its owner, team and visibility). The first sync asks the profile's
history id, then lists the messages since ``sync_since`` page by page (``format=raw``);
later syncs read ``users.history.list`` from the kept history id. A history id Google
no longer keeps (404) starts a full list again: messages already stored only gain a
location, none is stored twice. Each page is stored with its cursor, so a sync cut off
(throttled, stopped) goes on from there.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from services.integrations.sync import cursors as cursor_store
from services.platform.access import Actor

from .context import SyncContext
from .dependencies import GoogleError
from .models import cursors

CURSOR = "gmail"
#: what the mail service takes in one call
BATCH = 100
SYSTEM = Actor.system("google").to_dict()
#: the mailbox each connection was last registered as, in this process
_registered: dict[str, dict[str, Any]] = {}


def sync_gmail(ctx: SyncContext) -> None:
    mail = ctx.settings.get("mail") or {}
    if not mail.get("enabled"):
        return
    mailbox = {
        "id": ctx.id,
        "kind": "google",
        "email": ctx.settings["email"],
        "owner_id": ctx.owner["id"],
        "team_id": ctx.owner.get("team_id"),
        "visibility": mail.get("visibility") or "headers",
    }
    if _registered.get(ctx.id) != mailbox:  # once per process and change, not every sync
        ctx.rpc["mail"].register_external_mailbox(mailbox, actor=SYSTEM)
        _registered[ctx.id] = mailbox
    state = cursor_store.read_cursors(ctx.db, cursors, ctx.id).get(CURSOR) or {}
    ctx.db.rollback()
    gmail = ctx.api.client("gmail").users()
    if state.get("history_id") and not state.get("full"):
        try:
            _incremental(ctx, gmail, state)
            return
        except GoogleError as exc:
            if exc.kind != "not_found":
                raise
            ctx.count("mail_full_resyncs")
            state = {}
    _full(ctx, gmail, state, mail)


def _full(ctx: SyncContext, gmail: Any, state: dict[str, Any], mail: dict[str, Any]) -> None:
    if not state.get("full"):
        profile = ctx.api.call(gmail.getProfile(userId="me"))
        state = {"full": True, "history_id": profile["historyId"], "page_token": None}
    since = date.fromisoformat(mail.get("sync_since") or date.today().isoformat())
    while ctx.keep_going():
        params: dict[str, Any] = {
            "userId": "me",
            "q": f"after:{since.strftime('%Y/%m/%d')}",
            "maxResults": min(ctx.config.page_size, 500),
            "includeSpamTrash": False,
        }
        if state.get("page_token"):
            params["pageToken"] = state["page_token"]
        page = ctx.api.call(gmail.messages().list(**params))
        _store(ctx, gmail, [m["id"] for m in page.get("messages") or []])
        if page.get("nextPageToken"):
            state = {**state, "page_token": page["nextPageToken"]}
            _save(ctx, state)
            continue
        _save(ctx, {"history_id": state["history_id"]})
        return


def _incremental(ctx: SyncContext, gmail: Any, state: dict[str, Any]) -> None:
    while ctx.keep_going():
        params: dict[str, Any] = {
            "userId": "me",
            "startHistoryId": state["history_id"],
            "historyTypes": "messageAdded",
        }
        if state.get("page_token"):
            params["pageToken"] = state["page_token"]
        page = ctx.api.call(gmail.history().list(**params))
        added = [
            item["message"]["id"]
            for record in page.get("history") or []
            for item in record.get("messagesAdded") or []
            if "DRAFT" not in (item["message"].get("labelIds") or [])
        ]
        _store(ctx, gmail, list(dict.fromkeys(added)))
        if page.get("nextPageToken"):
            state = {**state, "page_token": page["nextPageToken"]}
            _save(ctx, state)
            continue
        _save(ctx, {"history_id": page.get("historyId") or state["history_id"]})
        return


def _store(ctx: SyncContext, gmail: Any, ids: list[str]) -> None:
    """Fetch each message raw and hand them to the mail service, by folder."""
    by_folder: dict[tuple[str, str], list[dict[str, str]]] = {}
    for message_id in ids:
        try:
            message = ctx.api.call(gmail.messages().get(userId="me", id=message_id, format="raw"))
        except GoogleError as exc:
            if exc.kind == "not_found":
                continue  # deleted since it was listed
            raise
        labels = message.get("labelIds") or []
        if "DRAFT" in labels:
            continue
        key = ("SENT", "outgoing") if "SENT" in labels else ("INBOX", "incoming")
        raw = message["raw"]
        # Gmail sends base64url; the mail service takes standard base64
        raw = raw.replace("-", "+").replace("_", "/")
        raw += "=" * (-len(raw) % 4)
        by_folder.setdefault(key, []).append({"remote_id": message["id"], "raw_base64": raw})
    for (folder, direction), items in by_folder.items():
        for start in range(0, len(items), BATCH):
            result = ctx.rpc["mail"].store_external_messages(
                ctx.id, folder, direction, items[start : start + BATCH], actor=SYSTEM
            )
            ctx.count("messages", result["stored"])
            ctx.count("message_duplicates", result["duplicates"])
            ctx.count("messages_skipped", result["skipped"] + result["internal_skipped"])


def _save(ctx: SyncContext, state: dict[str, Any]) -> None:
    cursor_store.write_cursor(ctx.db, cursors, ctx.id, CURSOR, state)
    ctx.commit()


def forget_mailbox(connection_id: str) -> None:
    """The connection is gone: register its mailbox again if it ever comes back."""
    _registered.pop(connection_id, None)
