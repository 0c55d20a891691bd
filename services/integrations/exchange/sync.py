"""One sync of one Exchange connection, and its mail part.

Each synced folder has a cursor holding its SyncFolderItems sync state. A folder is read
a page at a time (``page_size`` changes); a page's records, links and the folder's new
state commit together, so a sync cut off anywhere — the server throttling with
``ErrorServerBusy``, the process killed — goes on from its last page with nothing
stored twice. Mail goes to the mail service's pipeline (stored once per Message-ID,
linked, private as the connection says); contacts, meetings and tasks are in
:mod:`.contacts_sync` and :mod:`.calendar_sync`.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from services.integrations.sync import cursors as cursor_store
from services.integrations.sync.sales_batch import SalesBatch
from services.platform.access import Actor
from services.platform.errors import NotFound

from .dependencies import EwsSession, ExchangeSettings
from .models import cursors

log = logging.getLogger(__name__)

#: whom the Exchange service acts as towards the mail service
SERVICE_ACTOR = Actor.system("exchange").to_dict()

#: mail folders synced, with the direction of their mail
MAIL_FOLDERS = (("inbox", "Inbox", "incoming"), ("sentitems", "Sent Items", "outgoing"))


@dataclass
class SyncResult:
    messages: int = 0
    duplicates: int = 0
    contacts_in: int = 0
    contacts_out: int = 0
    meetings_in: int = 0
    meetings_out: int = 0
    tasks_in: int = 0
    tasks_out: int = 0
    deleted: int = 0
    conflicts: int = 0
    skipped: int = 0
    pages: int = 0

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in self.__dict__.items() if k != "pages"}


@dataclass
class Remote:
    """The other services a sync talks to (the worker's RPC proxies)."""

    sales: Any
    mail: Any
    identity: Any


@dataclass
class Context:
    """What every step of one connection's sync needs."""

    db: Any
    ews: EwsSession
    connection: dict[str, Any]
    settings: ExchangeSettings
    remote: Remote
    #: the connection's owner, as whom records are read and written in the CRM
    actor: dict[str, Any]
    result: SyncResult = field(default_factory=SyncResult)
    keep_going: Callable[[], bool] = lambda: True
    cursors: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: email address → participant ({type, id}) or None, asked once per sync
    people: dict[str, dict[str, str] | None] = field(default_factory=dict)
    _batch: SalesBatch | None = None
    #: account names and ids asked once per sync (a contact's company)
    companies: Any = None

    @property
    def batch(self) -> SalesBatch:
        """Creates and look-alike checks sent to sales many at a time (flushed with
        each page, before its cursor commits)."""
        if self._batch is None:
            self._batch = SalesBatch(lambda ops: self.remote.sales.batch(ops, actor=self.actor))
        return self._batch

    @property
    def id(self) -> str:
        return self.connection["id"]

    @property
    def options(self) -> dict[str, Any]:
        return self.connection["settings"]

    def cursor(self, key: str) -> dict[str, Any]:
        return dict(self.cursors.get(key) or {})

    def save_cursor(self, key: str, state: dict[str, Any]) -> None:
        """Write a cursor in the current transaction (committed with what it covers)."""
        cursor_store.write_cursor(self.db, cursors, self.id, key, state)
        self.cursors[key] = state


def folder_pages(ctx: Context, key: str, cursor_key: str, handle: Callable[[Any], None]) -> None:
    """Read one folder from its cursor to the end, a page at a time: ``handle(page)``
    stores the page's changes, then the new state commits with them."""
    while ctx.keep_going():
        state = ctx.cursor(cursor_key).get("state")
        page = ctx.ews.sync_page(key, state, ctx.settings.page_size)
        ctx.result.pages += 1
        handle(page)
        ctx.batch.flush()  # the page's records and links before its state
        if page.changes or page.state != state:
            # a folder with nothing new keeps its state: nothing to write
            ctx.save_cursor(cursor_key, {"state": page.state})
        ctx.db.commit()
        if page.done:
            return


def changed_items(ctx: Context, kind: str, changes: list[Any]) -> list[str]:
    """The ids of a page's created and updated items to read: not those whose change
    key is the one their links were last synced at (Osprey's own write coming back
    when a folder is read again past it, or a change already synced) — Exchange gives
    an item a new change key whenever it changes."""
    from . import store

    wanted = [c for c in changes if c.kind in ("create", "update")]
    synced = store.change_keys(ctx.db, ctx.id, kind, [c.item_id for c in wanted])
    return [
        c.item_id for c in wanted if c.change_key is None or synced.get(c.item_id) != {c.change_key}
    ]


def request_key(ctx: Context, *parts: str) -> str:
    """An idempotency key for a create in the CRM (a page read again after a crash gets
    the same record back): EWS ids are long, keys at most 200 characters."""
    digest = hashlib.sha256("\x1f".join((ctx.id, *parts)).encode()).hexdigest()
    return f"exchange:{digest}"


#: what this process last registered with the mail service, by connection
_registered: dict[str, dict[str, Any]] = {}


def register_mailbox(ctx: Context) -> None:
    """The connection is a mailbox of kind ``exchange`` in the mail service (same id),
    whose owner and visibility decide what colleagues see of its mail. Registered once
    per process and change (one RPC less a sync)."""
    c = ctx.connection
    mailbox = {
        "id": c["id"],
        "kind": "exchange",
        "email": c["settings"]["email"],
        "owner_id": c["owner_id"],
        "team_id": c["team_id"],
        "is_shared": c["is_shared"],
        "visibility": c["settings"].get("visibility") or "headers",
    }
    if _registered.get(c["id"]) == mailbox:
        return
    ctx.remote.mail.register_external_mailbox(mailbox, actor=SERVICE_ACTOR)
    _registered[c["id"]] = mailbox


def sync_mail(ctx: Context) -> None:
    """New mail in Inbox and Sent Items, as MIME, into the mail service's pipeline.
    Mail changed or deleted in Exchange stays in Osprey (it is the records' history)."""
    register_mailbox(ctx)
    for key, name, direction in MAIL_FOLDERS:

        def handle(page: Any, name: str = name, direction: str = direction) -> None:
            created = [c.item_id for c in page.changes if c.kind == "create"]
            raws = ctx.ews.fetch_mime(created)
            if not raws:
                return
            got = _store(ctx, name, direction, raws)
            ctx.result.messages += got["stored"]
            ctx.result.duplicates += got["duplicates"]
            ctx.result.skipped += got["skipped"]

        folder_pages(ctx, key, f"mail:{key}", handle)


def _store(ctx: Context, name: str, direction: str, raws: list[tuple[str, bytes]]) -> Any:
    """Hand a page's messages to the mail service; its mailbox registered again when
    the mail service no longer has it (removed while this process remembered it)."""
    messages = [
        {"remote_id": item_id, "raw_base64": base64.b64encode(raw).decode()}
        for item_id, raw in raws
    ]
    try:
        return ctx.remote.mail.store_external_messages(
            ctx.id, name, direction, messages, actor=SERVICE_ACTOR
        )
    except NotFound:
        _registered.pop(ctx.id, None)
        register_mailbox(ctx)
        return ctx.remote.mail.store_external_messages(
            ctx.id, name, direction, messages, actor=SERVICE_ACTOR
        )


def participant_for(ctx: Context, address: str) -> dict[str, str] | None:
    """The CRM user, else contact, with this address (asked once per sync)."""
    address = address.lower()
    if address in ctx.people:
        return ctx.people[address]
    found = None
    users = ctx.remote.identity.list_users({"q": address, "limit": 5}, actor=SERVICE_ACTOR)
    for user in users["items"]:
        if (user.get("email") or "").lower() == address:
            found = {"type": "user", "id": user["id"]}
            break
    if found is None:
        contacts = ctx.remote.sales.list_contacts({"q": address, "limit": 5}, actor=ctx.actor)
        for contact in contacts["items"]:
            if address in {e["email"].lower() for e in contact.get("emails") or []}:
                found = {"type": "contact", "id": contact["id"]}
                break
    ctx.people[address] = found
    return found


def addresses_of(ctx: Context, participants: list[dict[str, Any]]) -> list[str]:
    """The email addresses of an activity's participants (contacts' first, users')."""
    found = []
    for p in participants or []:
        try:
            if p["type"] == "contact":
                record = ctx.remote.sales.get_contact(p["id"], actor=ctx.actor)
                emails = [e["email"] for e in record.get("emails") or []]
            else:
                emails = [ctx.remote.identity.get_user(p["id"], actor=SERVICE_ACTOR)["email"]]
        except Exception:  # noqa: BLE001 - a participant gone meanwhile is left out
            log.info("participant %s %s could not be read", p.get("type"), p.get("id"))
            continue
        if emails:
            found.append(emails[0].lower())
    own = ctx.options.get("email")
    return [a for a in dict.fromkeys(found) if a != own]


def apply_crm_deletions(ctx: Context, kinds: tuple[str, ...]) -> None:
    """Records deleted in the CRM since the last sync (sales' ``*_deleted`` events mark
    their links): with deletions ``mirror`` their Exchange items are deleted, else the
    items stay unlinked (a tombstone keeps them from coming back as new records)."""
    from . import store

    for link in store.crm_deleted_links(ctx.db, ctx.id, kinds):
        if link.occurrence:
            # one meeting of a series: with deletions mirror that occurrence is
            # cancelled in Exchange; the rest of the series stays
            if ctx.options.get("deletions") == "mirror":
                from .calendar_sync import delete_occurrence

                delete_occurrence(ctx, link)
            store.save_link(
                ctx.db, ctx.id, link.kind, link.remote_id, link.crm_id,
                occurrence=link.occurrence, snapshot={"tombstone": True},
            )  # fmt: skip
        elif ctx.options.get("deletions") == "mirror":
            for item in ctx.ews.fetch([link.remote_id], ["subject"]):
                ctx.ews.delete(item)
            store.drop_link(ctx.db, ctx.id, link.kind, link.remote_id)
            ctx.result.deleted += 1
        else:
            store.save_link(
                ctx.db, ctx.id, link.kind, link.remote_id, link.crm_id,
                snapshot={"tombstone": True},
            )  # fmt: skip
        ctx.db.commit()
